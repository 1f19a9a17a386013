import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AnomalyDetector } from '../src/analysis/anomaly/types.ts';
import { parseTimestamp } from '../src/cli/anomalies-command.ts';
import {
  categoryOf,
  leaveOneCategoryOut,
  listCsv,
  loadWindows,
  NAB_PROFILES,
  type NabFileResult,
  type NabProfile,
  nabRoot,
  optimiseThreshold,
  scoreAtThreshold,
} from './nab.ts';

/**
 * The NAB measures of bench/nab-variants.ts, on series held in memory (one detector pass per file,
 * no CSV round trip): leave one category out and in-sample for NAB's three profiles, and two proxies
 * for the short files of the NAB categories we do not have (realTraffic, realAdExchange: 1,000–2,500
 * rows, so NAB scores them from row 150–375, where a detector with a 600-point warm-up is blind):
 *
 * - truncated: only the first 1,500 / 2,500 / 4,000 rows of every file, with the windows inside
 *   them. The detector is causal, so these are prefixes of the full-file scores; NAB's probation
 *   shrinks with the file (225 rows at 1,500). Mostly measures false alarms early in a file, as few
 *   windows lie early in the shared files.
 * - short files: for every window, fresh series of at most 1,500 rows cut so that the window starts
 *   `d` rows in (d = 300, 450: the window early in a short file; and d spread over 250…1,250 for
 *   windows anywhere in it). The detector starts afresh at the cut.
 *
 * Both proxies score the held-out category at the threshold chosen on the OTHER categories' full
 * files (what a deployed detector would run with), pooled over the three folds and normalised the
 * way NAB normalises a corpus.
 */

export interface Series {
  name: string;
  t: number[];
  v: number[];
  windows: Array<[number, number]>;
}

/** The NAB files under `root` (default ../shared/data/nab), parsed once. */
export function loadSeries(root = nabRoot()): Series[] {
  const windows = loadWindows(root);
  const dataDir = join(root, 'data');
  return listCsv(dataDir).map((path) => {
    const name = relative(dataDir, path).split('\\').join('/');
    const t: number[] = [];
    const v: number[] = [];
    for (const line of readFileSync(path, 'utf8').trim().split('\n').slice(1)) {
      const comma = line.indexOf(',');
      t.push(parseTimestamp(line.slice(0, comma).trim()));
      v.push(Number(line.slice(comma + 1)));
    }
    return { name, t, v, windows: windows.get(name) ?? [] };
  });
}

/** Scores rounded as the CLI writes them (5 decimals), so ties and thresholds match `llmops anomalies score`. */
function scoreSeries(t: number[], v: number[], make: () => AnomalyDetector): number[] {
  const detector = make();
  return t.map((x, i) => Number(detector.update(x, v[i] as number).toFixed(5)));
}

/** One fresh detector per file over the whole corpus. */
export function scoreCorpus(corpus: Series[], make: () => AnomalyDetector): NabFileResult[] {
  return corpus.map((s) => ({ name: s.name, timestamps: s.t, scores: scoreSeries(s.t, s.v, make), windows: s.windows }));
}

/** The first n rows of each file, with the windows that end inside them. */
export function truncate(files: NabFileResult[], n: number): NabFileResult[] {
  return files.map((f) => {
    const m = Math.min(n, f.timestamps.length);
    const last = f.timestamps[m - 1] as number;
    return {
      ...f,
      timestamps: f.timestamps.slice(0, m),
      scores: f.scores.slice(0, m),
      windows: f.windows.filter(([, end]) => end <= last),
    };
  });
}

/** Cuts of at most `length` rows in which a window starts d rows in, for each window and each d; scored afresh. */
export function shortFiles(corpus: Series[], make: () => AnomalyDetector, ds: number[], length = 1500): NabFileResult[] {
  const cuts: NabFileResult[] = [];
  for (const s of corpus) {
    for (const [windowStart] of s.windows) {
      const start = s.t.findIndex((t) => t >= windowStart);
      for (const d of ds) {
        if (start < d) continue;
        const from = start - d;
        const to = Math.min(s.t.length, from + length);
        const t = s.t.slice(from, to);
        const v = s.v.slice(from, to);
        const first = t[0] as number;
        const last = t[t.length - 1] as number;
        cuts.push({
          name: s.name,
          timestamps: t,
          scores: scoreSeries(t, v, make),
          windows: s.windows.filter(([a, b]) => a >= first && b <= last),
        });
      }
    }
  }
  return cuts;
}

/**
 * Held-out score of `test` files when each category's threshold is chosen on the other categories
 * of `train` (full files): raw scores, null and perfect pooled over the folds, normalised.
 */
export function heldOutAt(
  train: NabFileResult[],
  test: NabFileResult[],
  profile: NabProfile = NAB_PROFILES[0] as NabProfile,
): number {
  let raw = 0;
  let nullScore = 0;
  let perfect = 0;
  for (const category of [...new Set(train.map(categoryOf))]) {
    const threshold = optimiseThreshold(
      train.filter((f) => categoryOf(f) !== category),
      profile,
    ).threshold;
    const part = test.filter((f) => categoryOf(f) === category);
    const scored = scoreAtThreshold(part, profile, threshold);
    raw += scored.raw;
    nullScore -= profile.fnWeight * scored.scorableWindows;
    perfect += profile.tpWeight * part.reduce((sum, f) => sum + f.windows.length, 0);
  }
  return perfect === nullScore ? 0 : (100 * (raw - nullScore)) / (perfect - nullScore);
}

export const TRUNCATIONS = [1500, 2500, 4000];
/** Window offsets of the short-file proxy: early in the file, then spread over it. */
export const EARLY_OFFSETS = [300, 450];
export const SPREAD_OFFSETS = [250, 500, 750, 1000, 1250];

export interface VariantScores {
  /** Leave one category out, standard / low FP / low FN. */
  heldOut: number[];
  /** One threshold for all files, the three profiles. */
  inSample: number[];
  /** Standard, first 1,500 / 2,500 / 4,000 rows. */
  truncated: number[];
  /** Standard, short files with the window 300 and 450 rows in, then spread over 250…1,250. */
  short: number[];
}

/** Every measure for one detector setting. */
export function measure(corpus: Series[], make: () => AnomalyDetector): VariantScores {
  const files = scoreCorpus(corpus, make);
  return {
    heldOut: NAB_PROFILES.map((p) => leaveOneCategoryOut([{ name: 'x', files }], p).normalized),
    inSample: NAB_PROFILES.map((p) => optimiseThreshold(files, p).normalized),
    truncated: TRUNCATIONS.map((n) => heldOutAt(files, truncate(files, n))),
    short: [...EARLY_OFFSETS.map((d) => [d]), SPREAD_OFFSETS].map((ds) => heldOutAt(files, shortFiles(corpus, make, ds))),
  };
}

/** Held-out standard only (for perturbation lines). */
export function heldOutStandard(corpus: Series[], make: () => AnomalyDetector): number {
  const files = scoreCorpus(corpus, make);
  return leaveOneCategoryOut([{ name: 'x', files }], NAB_PROFILES[0] as NabProfile).normalized;
}

export const MEASURE_HEADER = `${'held-out std lowFP lowFN'.padEnd(24)} | ${'in-sample std lowFP lowFN'.padEnd(25)} | ${'truncated 1500 2500 4000'.padEnd(24)} | short files d300 d450 spread`;

export function formatScores(r: VariantScores): string {
  const f = (xs: number[]) => xs.map((x) => x.toFixed(1).padStart(6)).join('');
  return `${f(r.heldOut)}      | ${f(r.inSample)}       | ${f(r.truncated)}       | ${f(r.short)}`;
}
