import { createReadStream, createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DEFAULT_DETECTOR, HybridDetector, SEQUENCE_DEFAULTS } from '../src/analysis/anomaly/index.ts';
import type { AnomalyDetector } from '../src/analysis/anomaly/types.ts';
import { parseTimestamp, scoreCsv } from '../src/cli/anomalies-command.ts';
import { dataSetRoot } from './support/data-sets.ts';

/**
 * The Numenta Anomaly Benchmark scoring (Lavin & Ahmad 2015, NAB v1.1 `sweeper.py`), re-implemented:
 *
 * - Probationary period: the first min(⌊0.15·rows⌋, 0.15·5000) rows of each file are not scored.
 * - Each labelled window [start, end] of w rows: a detection at row i inside it is worth
 *   A_TP · σ(−(end − i + 1)/w) / σ(−1), with the scaled sigmoid σ(y) = 2/(1 + e^{5y}) − 1, so the
 *   earliest row of the window is worth A_TP and the last row ≈ 0.1·A_TP; only the best (earliest)
 *   detection in a window counts; a window with none costs A_FN (as −fnWeight).
 * - A detection outside every window is a false positive worth fpWeight · σ(|i − prevEnd| / (w_prev − 1))
 *   (≈ 0 just after a window, → −fpWeight far from it), or −fpWeight when no window precedes it.
 * - A threshold turns scores into detections (score ≥ threshold). NAB optimises ONE threshold per
 *   profile over the whole corpus by sweeping every distinct score value; the raw score is the
 *   corpus sum at that threshold, normalised as 100·(raw − null)/(perfect − null) where null is the
 *   detector that never fires (every scorable window missed) and perfect = A_TP × number of windows.
 */

export interface NabProfile {
  name: string;
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** NAB's three application profiles (config/profiles.json); A_TN = 0 in all of them. */
export const NAB_PROFILES: NabProfile[] = [
  { name: 'standard', tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  { name: 'reward_low_FP_rate', tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  { name: 'reward_low_FN_rate', tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
];

export const NAB_PROBATION_PERCENT = 0.15;

export interface NabFileResult {
  /** Path relative to the data folder, e.g. `realKnownCause/nyc_taxi.csv`. */
  name: string;
  timestamps: number[];
  scores: number[];
  /** Label windows as [start, end] epoch milliseconds, inclusive. */
  windows: Array<[number, number]>;
}

export interface NabThresholdResult {
  profile: string;
  threshold: number;
  raw: number;
  null: number;
  perfect: number;
  normalized: number;
  tp: number;
  fp: number;
  fn: number;
}

/** NAB's scaled sigmoid: 2/(1 + e^{5y}) − 1, and −1 for y ≥ 3 (a false positive far behind a window). */
export function scaledSigmoid(y: number): number {
  if (y >= 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

export function probationLength(rows: number): number {
  return Math.min(Math.floor(NAB_PROBATION_PERCENT * rows), NAB_PROBATION_PERCENT * 5000);
}

/** One row after the sweep: its score, what a detection there is worth, and its window (-1: none). */
interface SweepRow {
  score: number;
  value: number;
  window: number;
}

/** NAB `Sweeper.calcSweepScore` for one file; window ids are offset by `windowBase` to be corpus-unique. */
function sweepFile(
  file: NabFileResult,
  profile: NabProfile,
  windowBase: number,
): { rows: SweepRow[]; scorableWindows: number[] } {
  const { timestamps, scores, windows } = file;
  const n = timestamps.length;
  const probation = probationLength(n);
  const maxTP = scaledSigmoid(-1);
  const rows: SweepRow[] = [];
  const scorable = new Set<number>();
  // Row ranges of each window (the rows whose timestamps fall inside it); a window with no rows is never scorable.
  const ranges: Array<{ id: number; first: number; last: number }> = [];
  windows.forEach(([start, end], id) => {
    let first = -1;
    let last = -1;
    for (let i = 0; i < n; i++) {
      const t = timestamps[i] as number;
      if (t >= start && t <= end) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first >= 0) ranges.push({ id, first, last });
  });
  let current: { id: number; first: number; last: number } | undefined;
  let prevRight = -1;
  let prevWidth = 0;
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (!current && ranges[next]?.first === i) current = ranges[next++];
    let value: number;
    if (current) {
      const width = current.last - current.first + 1;
      value = (scaledSigmoid(-(current.last - i + 1) / width) * profile.tpWeight) / maxTP;
    } else {
      const position = prevRight < 0 ? 3 : Math.abs(prevRight - i) / (prevWidth - 1);
      value = scaledSigmoid(position) * profile.fpWeight;
    }
    if (i >= probation) {
      const window = current ? windowBase + current.id : -1;
      if (window >= 0) scorable.add(window);
      rows.push({ score: scores[i] as number, value, window });
    }
    if (current && i === current.last) {
      prevRight = i;
      prevWidth = current.last - current.first + 1;
      current = undefined;
    }
  }
  return { rows, scorableWindows: [...scorable] };
}

/**
 * NAB `calcScoreByThreshold` over the corpus: every distinct score is a candidate threshold
 * (detections are rows with score ≥ it); returns the best one for the profile, normalised.
 */
export function optimiseThreshold(files: NabFileResult[], profile: NabProfile): NabThresholdResult {
  const all: SweepRow[] = [];
  const windowScore = new Map<number, number>();
  let windowBase = 0;
  let totalWindows = 0;
  for (const file of files) {
    const { rows, scorableWindows } = sweepFile(file, profile, windowBase);
    for (const row of rows) all.push(row);
    for (const w of scorableWindows) windowScore.set(w, -profile.fnWeight);
    windowBase += file.windows.length;
    totalWindows += file.windows.length;
  }
  all.sort((a, b) => b.score - a.score);
  const nullScore = -profile.fnWeight * windowScore.size;
  let fpSum = 0;
  let windowSum = nullScore;
  let tp = 0;
  let fp = 0;
  let best = { threshold: 1.1, raw: nullScore, tp: 0, fp: 0, detected: 0 };
  let detected = 0;
  for (let i = 0; i < all.length; i++) {
    const row = all[i] as SweepRow;
    if (row.window < 0) {
      fpSum += row.value;
      fp++;
    } else {
      tp++;
      const before = windowScore.get(row.window) as number;
      if (row.value > before) {
        if (before === -profile.fnWeight) detected++;
        windowScore.set(row.window, row.value);
        windowSum += row.value - before;
      }
    }
    const nextScore = all[i + 1]?.score;
    if (nextScore === row.score) continue; // a threshold admits every row with that score
    const raw = fpSum + windowSum;
    if (raw > best.raw) best = { threshold: row.score, raw, tp, fp, detected };
  }
  const perfect = profile.tpWeight * totalWindows;
  return {
    profile: profile.name,
    threshold: best.threshold,
    raw: best.raw,
    null: nullScore,
    perfect,
    normalized: (100 * (best.raw - nullScore)) / (perfect - nullScore),
    tp: best.detected,
    fp: best.fp,
    fn: windowScore.size - best.detected,
  };
}

/** The raw NAB score (and counts) of the corpus at a fixed threshold: detections are rows with score ≥ threshold. */
export function scoreAtThreshold(
  files: NabFileResult[],
  profile: NabProfile,
  threshold: number,
): { raw: number; tp: number; fp: number; fn: number; scorableWindows: number } {
  let raw = 0;
  let scorable = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let windowBase = 0;
  for (const file of files) {
    const { rows, scorableWindows } = sweepFile(file, profile, windowBase);
    windowBase += file.windows.length;
    const best = new Map<number, number>(scorableWindows.map((w) => [w, -profile.fnWeight]));
    scorable += scorableWindows.length;
    for (const row of rows) {
      if (row.score < threshold) continue;
      if (row.window < 0) {
        raw += row.value;
        fp++;
      } else best.set(row.window, Math.max(best.get(row.window) as number, row.value));
    }
    for (const value of best.values()) {
      raw += value;
      if (value === -profile.fnWeight) fn++;
      else tp++;
    }
  }
  return { raw, tp, fp, fn, scorableWindows: scorable };
}

/** One candidate for the leave-one-category-out protocol: a detector setting and its scored corpus. */
export interface NabCandidate {
  name: string;
  files: NabFileResult[];
}

/** One held-out category: what was chosen on the other categories and what it scored. */
export interface LocoFold {
  category: string;
  /** The candidate (detector setting) chosen on the other categories. */
  chosen: string;
  threshold: number;
  /** Normalised score of the chosen setting on the training categories (in-sample for this fold). */
  trainNormalized: number;
  raw: number;
  null: number;
  perfect: number;
  normalized: number;
  tp: number;
  fp: number;
  fn: number;
}

export interface LocoResult {
  profile: string;
  folds: LocoFold[];
  raw: number;
  null: number;
  perfect: number;
  /** 100·(Σ raw − Σ null)/(Σ perfect − Σ null) over the held-out parts: NAB's normalisation of the whole corpus. */
  normalized: number;
}

/** The category of a corpus file: the folder before the first slash. */
export function categoryOf(file: NabFileResult): string {
  return file.name.split('/')[0] as string;
}

/**
 * Leave one category out: for each category, the candidate and the threshold that maximise the
 * profile's score on the OTHER categories are applied to it unchanged. The held-out parts are then
 * combined as one corpus, exactly as NAB normalises a corpus: raw scores summed, the null detector
 * (never fires: −A_FN per scorable window) and the perfect detector (A_TP per window) summed over
 * the same files, normalised = 100·(raw − null)/(perfect − null). No label of a held-out category
 * reaches any choice made for it.
 */
export function leaveOneCategoryOut(candidates: NabCandidate[], profile: NabProfile): LocoResult {
  const first = candidates[0];
  if (!first) throw new Error('leaveOneCategoryOut needs at least one candidate');
  const categories = [...new Set(first.files.map(categoryOf))].sort();
  const folds: LocoFold[] = [];
  for (const category of categories) {
    let best: { candidate: NabCandidate; threshold: NabThresholdResult } | undefined;
    for (const candidate of candidates) {
      const train = candidate.files.filter((f) => categoryOf(f) !== category);
      const threshold = optimiseThreshold(train, profile);
      if (!best || threshold.normalized > best.threshold.normalized) best = { candidate, threshold };
    }
    const chosen = best as { candidate: NabCandidate; threshold: NabThresholdResult };
    const test = chosen.candidate.files.filter((f) => categoryOf(f) === category);
    const scored = scoreAtThreshold(test, profile, chosen.threshold.threshold);
    const windows = test.reduce((sum, f) => sum + f.windows.length, 0);
    const nullScore = -profile.fnWeight * scored.scorableWindows;
    const perfect = profile.tpWeight * windows;
    folds.push({
      category,
      chosen: chosen.candidate.name,
      threshold: chosen.threshold.threshold,
      trainNormalized: chosen.threshold.normalized,
      raw: scored.raw,
      null: nullScore,
      perfect,
      normalized: normalise(scored.raw, nullScore, perfect),
      tp: scored.tp,
      fp: scored.fp,
      fn: scored.fn,
    });
  }
  const raw = folds.reduce((sum, f) => sum + f.raw, 0);
  const nullScore = folds.reduce((sum, f) => sum + f.null, 0);
  const perfect = folds.reduce((sum, f) => sum + f.perfect, 0);
  return { profile: profile.name, folds, raw, null: nullScore, perfect, normalized: normalise(raw, nullScore, perfect) };
}

function normalise(raw: number, nullScore: number, perfect: number): number {
  return perfect === nullScore ? 0 : (100 * (raw - nullScore)) / (perfect - nullScore);
}

/** Where the NAB corpus lives: NAB_DIR, else ../shared/data/nab beside the checkout (MissingDataSet names both when absent). */
export function nabRoot(): string {
  return dataSetRoot('nab', 'NAB_DIR', 'combined_windows.json');
}

/** Every CSV under a folder, sorted by path. */
export function listCsv(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listCsv(path));
    else if (entry.name.endsWith('.csv')) out.push(path);
  }
  return out.sort();
}

/** Label windows from combined_windows.json, as epoch milliseconds. */
export function loadWindows(root = nabRoot()): Map<string, Array<[number, number]>> {
  const raw = JSON.parse(readFileSync(join(root, 'combined_windows.json'), 'utf8')) as Record<string, Array<[string, string]>>;
  const out = new Map<string, Array<[number, number]>>();
  for (const [name, windows] of Object.entries(raw)) {
    out.set(
      name,
      windows.map(([start, end]) => [parseTimestamp(start.slice(0, 19)), parseTimestamp(end.slice(0, 19))]),
    );
  }
  return out;
}

/** Collects scoreCsv's output in memory: timestamps and scores, parsed back from the CSV it writes. */
class ScoreCollector extends Writable {
  readonly timestamps: number[] = [];
  readonly scores: number[] = [];
  private pending = '';
  private header = true;

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = this.pending + chunk.toString();
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.take(line);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.pending) this.take(this.pending);
    callback();
  }

  private take(line: string): void {
    if (this.header) {
      this.header = false;
      return;
    }
    const first = line.indexOf(',');
    const last = line.lastIndexOf(',');
    this.timestamps.push(parseTimestamp(line.slice(0, first)));
    this.scores.push(Number(line.slice(last + 1)));
  }
}

/** Runs `scoreCsv` over every CSV of the NAB corpus and returns the per-file scores with their windows. */
export async function scoreNabCorpus(options: { root?: string; detector?: string | (() => AnomalyDetector) } = {}): Promise<{
  files: NabFileResult[];
  rows: number;
  seconds: number;
}> {
  const root = options.root ?? nabRoot();
  const dataDir = join(root, 'data');
  const windows = loadWindows(root);
  const files: NabFileResult[] = [];
  let rows = 0;
  let seconds = 0;
  for (const path of listCsv(dataDir)) {
    const name = relative(dataDir, path).split('\\').join('/');
    const collector = new ScoreCollector();
    const started = process.hrtime.bigint();
    const result = await scoreCsv(createReadStream(path), collector, options.detector ? { detector: options.detector } : {});
    collector.end();
    await finished(collector);
    seconds += Number(process.hrtime.bigint() - started) / 1e9;
    rows += result.rows;
    files.push({ name, timestamps: collector.timestamps, scores: collector.scores, windows: windows.get(name) ?? [] });
  }
  return { files, rows, seconds };
}

/** The sequence-detector settings the leave-one-category-out protocol may choose among, per fold. */
export const SEQUENCE_GRID = (() => {
  const grid: Array<{ span: number; order: number; levels: number }> = [];
  for (const span of [2, 3]) for (const order of [4, 6, 8]) for (const levels of [8, 10, 12]) grid.push({ span, order, levels });
  return grid;
})();

/**
 * Shifts of the sequence detector's base grid, in steps, for the sensitivity line of the bench: with
 * its 8 grids 1/8 step apart, a shift of 1/8 gives the same mixture, so these cover every distinct one.
 */
const GRID_SHIFTS = [1 / 64, 2 / 64, 3 / 64, 4 / 64, 5 / 64, 6 / 64, 7 / 64];
/** The same for one grid (the sequence detector before it mixed grids). */
const ONE_GRID_SHIFTS = [-0.25, -0.1, -0.05, 0.05, 0.1, 0.25];

const PUBLISHED =
  'published standard-profile scores on all 58 NAB series (detectors given the file-wide min/max): ARTime 74.9, Numenta HTM 70.5, CAD OSE 69.9, Skyline 58.2, KNN-CAD 58.0, Relative Entropy 54.6';

function formatProfiles(values: number[]): string {
  return values.map((v) => v.toFixed(1).padStart(8)).join('');
}

/**
 * `npm run bench`-style entry: NAB scores of the default detector, leave-one-category-out beside
 * the in-sample figures, other detectors for comparison, and the protocol choosing the sequence
 * detector's parameters per fold as well as the threshold.
 */
export async function benchNab(options: { detector?: string; grid?: boolean } = {}): Promise<void> {
  const detector = options.detector ?? DEFAULT_DETECTOR;
  const { files, rows, seconds } = await scoreNabCorpus({ detector });
  const categories = [...new Set(files.map(categoryOf))];
  const windowCount = files.reduce((sum, f) => sum + f.windows.length, 0);
  console.log(
    `NAB: ${files.length} files in ${categories.length} categories (${categories.join(', ')}), ${rows.toLocaleString('en-US')} rows, ${windowCount} label windows; detector ${detector}`,
  );
  console.log(
    `scoring speed: ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s (scoreCsv, CSV in and out, ${seconds.toFixed(2)} s)`,
  );
  console.log('');
  console.log('Leave one category out: threshold chosen on the other two categories, applied to the held-out one.');
  console.log('profile             held-out   in-sample | per held-out category: score (threshold; TP/FN windows, FP rows)');
  const loco = NAB_PROFILES.map((profile) => ({
    profile,
    inSample: optimiseThreshold(files, profile),
    heldOut: leaveOneCategoryOut([{ name: detector, files }], profile),
  }));
  for (const { profile, inSample, heldOut } of loco) {
    const folds = heldOut.folds
      .map((f) => `${f.category} ${f.normalized.toFixed(1)} (${f.threshold.toFixed(4)}; ${f.tp}/${f.fn}, ${f.fp})`)
      .join('; ');
    console.log(
      `${profile.name.padEnd(20)}${heldOut.normalized.toFixed(1).padStart(8)}${inSample.normalized.toFixed(1).padStart(12)} | ${folds}`,
    );
  }
  console.log(
    'Held-out = the three held-out categories combined as one corpus the way NAB normalises one: 100·(Σraw − Σnull)/(Σperfect − Σnull), null = −A_FN per scorable window, perfect = A_TP per window.',
  );
  console.log('');
  console.log("In-sample (NAB's own protocol: one threshold per profile optimised over the whole corpus):");
  console.log('profile             threshold  normalised   raw      TP  FN    FP rows');
  for (const { inSample: r } of loco) {
    console.log(
      `${r.profile.padEnd(20)}${r.threshold.toFixed(4).padStart(9)}${r.normalized.toFixed(1).padStart(12)}${r.raw.toFixed(2).padStart(8)}${String(r.tp).padStart(6)}${String(r.fn).padStart(4)}${String(r.fp).padStart(6)}`,
    );
  }
  const standard = NAB_PROFILES[0] as NabProfile;
  const threshold = optimiseThreshold(files, standard).threshold;
  const perCategory = categories.map((category) => {
    const subset = files.filter((f) => categoryOf(f) === category);
    const { raw, tp, fn, fp, scorableWindows } = scoreAtThreshold(subset, standard, threshold);
    const windows = subset.reduce((sum, f) => sum + f.windows.length, 0);
    return `${category} ${normalise(raw, -standard.fnWeight * scorableWindows, standard.tpWeight * windows).toFixed(1)} (TP ${tp}, FN ${fn}, FP rows ${fp})`;
  });
  console.log(`standard profile by category, at the corpus threshold: ${perCategory.join('; ')}`);
  console.log(
    'TP/FN count label windows, FP counts rows. The labels choose the threshold; the detector never sees them, and it is causal (no file-wide min/max as NAB hands its detectors).',
  );

  console.log('');
  console.log('Detectors side by side (standard / low FP / low FN):      held-out (LOCO)           in-sample');
  const names: Array<[string, string | (() => AnomalyDetector)]> = [
    [detector, detector],
    ...['hybrid', 'combined', 'sequence'].filter((n) => n !== detector).map((n): [string, string] => [n, n]),
    ['hybrid, one level grid (round 1)', () => new HybridDetector({ sequence: { grids: 1 } })],
  ];
  for (const [name, which] of names) {
    const scored = which === detector ? files : (await scoreNabCorpus({ detector: which })).files;
    const held = NAB_PROFILES.map((p) => leaveOneCategoryOut([{ name, files: scored }], p).normalized);
    const ins = NAB_PROFILES.map((p) => optimiseThreshold(scored, p).normalized);
    console.log(`  ${name.padEnd(50)}${formatProfiles(held)}  ${formatProfiles(ins)}`);
  }
  console.log('  (CAD OSE, the anomaly likelihood and their fusions: bench/nab-variants.ts)');

  if (options.grid !== false) {
    // The sequence detector's defaults sit in the middle of this grid; here each fold picks its own.
    const candidates: NabCandidate[] = [];
    for (const setting of SEQUENCE_GRID) {
      const name = `span ${setting.span}, order ${setting.order}, levels ${setting.levels}`;
      const factory = () => new HybridDetector({ sequence: setting });
      candidates.push({ name, files: (await scoreNabCorpus({ detector: factory })).files });
    }
    const fixed = candidates.map((c) => leaveOneCategoryOut([c], standard).normalized).sort((a, b) => a - b);
    console.log('');
    console.log(
      `Parameters chosen per fold too: the hybrid's sequence settings (span × order × levels = ${SEQUENCE_GRID.length} settings, defaults span ${SEQUENCE_DEFAULTS.span}, order ${SEQUENCE_DEFAULTS.order}, levels ${SEQUENCE_DEFAULTS.levels}) and the threshold, both on the other two categories:`,
    );
    for (const profile of NAB_PROFILES) {
      const r = leaveOneCategoryOut(candidates, profile);
      console.log(
        `${profile.name.padEnd(20)}${r.normalized.toFixed(1).padStart(8)} | ${r.folds.map((f) => `${f.category} ${f.normalized.toFixed(1)} (${f.chosen})`).join('; ')}`,
      );
    }
    console.log(
      `standard, each setting fixed (threshold per fold only): min ${fixed[0]?.toFixed(1)}, median ${fixed[Math.floor(fixed.length / 2)]?.toFixed(1)}, max ${fixed[fixed.length - 1]?.toFixed(1)}`,
    );
    // How much an arbitrary shift of the level grid (a detail no data should decide) moves the score.
    for (const [grids, shifts, what] of [
      [SEQUENCE_DEFAULTS.grids, GRID_SHIFTS, `the default's ${SEQUENCE_DEFAULTS.grids} grids`],
      [1, ONE_GRID_SHIFTS, 'one grid'],
    ] as const) {
      const shifted: string[] = [];
      for (const gridOffset of shifts) {
        const factory = () => new HybridDetector({ sequence: { gridOffset, grids } });
        const scored = (await scoreNabCorpus({ detector: factory })).files;
        const held = leaveOneCategoryOut([{ name: 'shifted', files: scored }], standard).normalized;
        shifted.push(`${gridOffset > 0 ? '+' : ''}${Number(gridOffset.toFixed(4))}: ${held.toFixed(1)}`);
      }
      console.log(`standard held-out, ${what} shifted by a fraction of a step (default 0): ${shifted.join(', ')}`);
    }
  }
  console.log('');
  console.log(`Only 3 of NAB's 7 categories are present: not comparable digit for digit with the ${PUBLISHED}.`);
}

/** Writes a 1,000,000-row CSV (daily rhythm + noise + rare spikes) to a temp file and times scoreCsv over it. */
export async function benchScoreThroughput(rowCount = 1_000_000, detector: string = DEFAULT_DETECTOR): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'llmops-bench-anomaly-'));
  const input = join(dir, 'series.csv');
  try {
    await writeSyntheticCsv(input, rowCount);
    const size = (await stat(input)).size;
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    const rssBeforeMiB = process.memoryUsage().rss / 2 ** 20;
    const started = process.hrtime.bigint();
    const { rows } = await scoreCsv(createReadStream(input), sink, { detector });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const maxRssMiB = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
    console.log(
      `scoreCsv (${detector}): ${rows.toLocaleString('en-US')} rows (${(size / 2 ** 20).toFixed(1)} MiB of CSV) in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s; peak RSS of the process ${maxRssMiB.toFixed(0)} MiB (RSS before scoring ${rssBeforeMiB.toFixed(0)} MiB)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeSyntheticCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const start = Date.UTC(2014, 0, 1);
  let chunk = 'timestamp,value\n';
  for (let i = 0; i < rows; i++) {
    const t = start + i * 60_000;
    const dayPhase = ((t % 86_400_000) / 86_400_000) * 2 * Math.PI;
    let v = 50 + 20 * Math.sin(dayPhase) + (random() - 0.5) * 6;
    if (random() < 0.0005) v += 40;
    chunk += `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')},${v.toFixed(3)}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = '';
    }
  }
  out.end(chunk);
  await finished(out);
}
