import { ConformalCalibrator } from '../src/analysis/anomaly/calibration.ts';
import { CombinedDetector } from '../src/analysis/anomaly/combined.ts';
import { ContextualDetector, ContextualModel, type ContextualOptions } from '../src/analysis/anomaly/contextual.ts';
import { HybridDetector, type HybridOptions } from '../src/analysis/anomaly/hybrid.ts';
import { AnomalyLikelihood, logLikelihoodScore } from '../src/analysis/anomaly/likelihood.ts';
import { SlidingMax } from '../src/analysis/anomaly/rolling.ts';
import { SequenceDetector } from '../src/analysis/anomaly/sequence.ts';
import type { AnomalyDetector } from '../src/analysis/anomaly/types.ts';
import { leaveOneCategoryOut, NAB_PROFILES, type NabCandidate, type NabFileResult, optimiseThreshold } from './nab.ts';
import { loadSeries, type Series } from './nab-proxies.ts';

/**
 * Every detector variant tried for issue 12 on the three shared NAB categories, scored the same
 * way as bench/nab.ts: leave one category out (threshold, and any weight marked "chosen per fold",
 * picked on the other two categories) beside the in-sample figure, for NAB's three profiles; then
 * how far small, arbitrary perturbations move the held-out standard score.
 *
 * Variants: the default hybrid (combined + sequence over 8 shifted level grids) and its parts;
 * CAD OSE ported (src/analysis/anomaly/contextual.ts) with three ways of staying causal, and with
 * NAB's file-wide min/max for reference (not causal: NAB's own setting); Numenta's anomaly
 * likelihood (src/analysis/anomaly/likelihood.ts) over raw scores; CAD fused with the hybrid.
 * The fusions are computed from one pass per file that records every component's output.
 */

/** Scores rounded as the CLI writes them (5 decimals), so ties and thresholds match `llmops anomalies score`. */
function asResult(series: Series, scores: number[]): NabFileResult {
  return { name: series.name, timestamps: series.t, scores: scores.map((s) => Number(s.toFixed(5))), windows: series.windows };
}

/** What one pass over a file records: the hybrid's score and level, CAD's returned and raw scores. */
interface Components {
  hybrid: number[];
  hybridLevel: number[];
  cad: number[];
  cadRaw: number[];
}

function components(series: Series, cad: ContextualOptions = {}, hybrid: HybridOptions = {}): Components {
  const h = new HybridDetector(hybrid);
  const c = new ContextualDetector(cad);
  const out: Components = { hybrid: [], hybridLevel: [], cad: [], cadRaw: [] };
  series.t.forEach((t, i) => {
    const v = series.v[i] as number;
    out.hybrid.push(h.update(t, v));
    out.hybridLevel.push(h.last.level);
    out.cad.push(c.update(t, v));
    out.cadRaw.push(Number.isNaN(c.raw) ? 0 : c.raw);
  });
  return out;
}

/** Numenta's anomaly likelihood of a raw score stream, on its log scale. */
function likelihood(series: Series, raw: number[]): number[] {
  const model = new AnomalyLikelihood();
  return raw.map((r, i) => logLikelihoodScore(model.probability(series.v[i] as number, r)));
}

/**
 * A raw score in the hybrid's currency: its surprise against its own history (the combined
 * detector's calibrator settings), escalated over a day of points, mapped E/(E + 2).
 */
function calibratedEscalation(raw: number[]): number[] {
  const calibrator = new ConformalCalibrator({ window: 1000, block: 4, tailFraction: 0.02, minSamples: 100, minTail: 10 });
  const recent = new SlidingMax(288);
  return raw.map((x, i) => {
    const s = calibrator.ready ? calibrator.surprise(x) : 0;
    calibrator.learn(x);
    const e = Math.max(0, s - recent.max());
    recent.push(s);
    return i < 600 ? 0 : e / (e + 2);
  });
}

/** CAD OSE as NAB runs it: the file's min and max, rest period = probation / 5. Not causal. */
function cadWithFileRange(series: Series, restPeriod?: number): number[] {
  const min = Math.min(...series.v);
  const max = Math.max(...series.v);
  const step = (max - min || 7) / 7;
  const model = new ContextualModel({ restPeriod: restPeriod ?? Math.floor(0.15 * series.v.length) / 5 });
  return series.v.map((v) => model.score(Math.trunc((v - min) / step)).returned);
}

interface Row {
  name: string;
  heldOut: number[];
  inSample: number[];
  note?: string;
}

function rowOf(name: string, files: NabFileResult[], note?: string): Row {
  return {
    name,
    heldOut: NAB_PROFILES.map((p) => leaveOneCategoryOut([{ name, files }], p).normalized),
    inSample: NAB_PROFILES.map((p) => optimiseThreshold(files, p).normalized),
    ...(note ? { note } : {}),
  };
}

/** Candidates chosen per fold (with the threshold) on the other two categories. */
function chosenRow(name: string, candidates: NabCandidate[]): Row {
  const results = NAB_PROFILES.map((p) => leaveOneCategoryOut(candidates, p));
  const standard = results[0];
  return {
    name,
    heldOut: results.map((r) => r.normalized),
    inSample: NAB_PROFILES.map((p) => Math.max(...candidates.map((c) => optimiseThreshold(c.files, p).normalized))),
    note: `standard folds chose ${standard?.folds.map((f) => `${f.category}: ${f.chosen}`).join(', ')}`,
  };
}

function printRow(row: Row): void {
  const f = (xs: number[]) => xs.map((x) => x.toFixed(1).padStart(7)).join('');
  console.log(`${row.name.padEnd(62)}${f(row.heldOut)}   ${f(row.inSample)}${row.note ? `   ${row.note}` : ''}`);
}

function heldOutStandard(files: NabFileResult[]): number {
  return leaveOneCategoryOut([{ name: 'x', files }], NAB_PROFILES[0] as (typeof NAB_PROFILES)[number]).normalized;
}

/** Prints the variant table and the perturbation lines (about 10 minutes: CAD OSE is slow). */
export async function benchNabVariants(options: { root?: string; slow?: boolean } = {}): Promise<void> {
  const corpus = loadSeries(options.root);
  const started = Date.now();
  console.log(
    `NAB variants: ${corpus.length} files; held-out = leave one category out (threshold chosen on the other two), in-sample = one threshold for all`,
  );
  console.log(`${'variant'.padEnd(62)}${'held-out: std  lowFP  lowFN'.padEnd(24)}   in-sample: std  lowFP  lowFN`);

  const parts = corpus.map((s) => components(s));
  const scored = (f: (s: Series, c: Components) => number[]) => corpus.map((s, i) => asResult(s, f(s, parts[i] as Components)));
  const rows: Row[] = [];
  rows.push(
    rowOf(
      'hybrid (default): combined + sequence over 8 shifted grids',
      scored((_, c) => c.hybrid),
    ),
  );
  const single = (make: () => AnomalyDetector) =>
    corpus.map((s) => {
      const d = make();
      return asResult(
        s,
        s.t.map((t, i) => d.update(t, s.v[i] as number)),
      );
    });
  rows.push(
    rowOf(
      'hybrid, one level grid (round 1)',
      single(() => new HybridDetector({ sequence: { grids: 1 } })),
    ),
  );
  rows.push(
    rowOf(
      'combined',
      single(() => new CombinedDetector()),
    ),
  );
  rows.push(
    rowOf(
      'sequence (8 grids)',
      single(() => new SequenceDetector()),
    ),
  );
  const cadRow = rowOf(
    'cad: causal grid (warm-up range + 20%, rebuilt when left)',
    scored((_, c) => c.cad),
  );
  rows.push(cadRow);
  const cadOnly = (opts: ContextualOptions) => single(() => new ContextualDetector(opts));
  rows.push(rowOf('cad: warm-up grid kept, values beyond clamped to its edges', cadOnly({ beyond: 'clamp' })));
  if (options.slow)
    rows.push(
      rowOf('cad: warm-up grid kept, values beyond get more bit facts', cadOnly({ beyond: 'extend', maxContexts: 200_000 })),
    );
  rows.push(
    rowOf(
      "cad, the file's min/max, rest 30 (NAB's way; NOT causal)",
      corpus.map((s) => asResult(s, cadWithFileRange(s, 30))),
      'reference only',
    ),
  );
  rows.push(
    rowOf(
      "cad, the file's min/max, rest probation/5 (NOT causal)",
      corpus.map((s) => asResult(s, cadWithFileRange(s))),
      'reference only',
    ),
  );
  rows.push(
    rowOf(
      'likelihood(cad raw score)',
      scored((s, c) => likelihood(s, c.cadRaw)),
    ),
  );
  rows.push(
    rowOf(
      "likelihood(hybrid's level)",
      scored((s, c) => likelihood(s, c.hybridLevel)),
    ),
  );
  rows.push(
    rowOf(
      'max(hybrid, cad calibrated and escalated like the hybrid)',
      scored((_, c) => {
        const e = calibratedEscalation(c.cadRaw);
        return c.hybrid.map((h, i) => Math.max(h, e[i] as number));
      }),
    ),
  );
  const weighted = [0.25, 0.33, 0.5].map((w) => ({
    name: `w ${w}`,
    files: scored((_, c) => c.hybrid.map((h, i) => Math.max(h, w * (c.cad[i] as number)))),
  }));
  for (const w of weighted) rows.push(rowOf(`max(hybrid, ${w.name.slice(2)} × cad)`, w.files));
  rows.push(chosenRow('max(hybrid, w × cad), w ∈ {0.25, 0.33, 0.5} chosen per fold', weighted));
  for (const row of rows) printRow(row);

  console.log('');
  console.log('Perturbations (held-out standard):');
  const shifts: string[] = [];
  for (let k = 0; k < 8; k++) {
    const gridOffset = k / 64;
    const files = single(() => new HybridDetector({ sequence: { gridOffset } }));
    shifts.push(`${k}/64: ${heldOutStandard(files).toFixed(1)}`);
  }
  console.log(`  hybrid, base grid shifted (8 grids repeat every 1/8 step): ${shifts.join(', ')}`);
  const cadPerturbations: Array<[string, ContextualOptions]> = [
    ['margin 0', { margin: 0 }],
    ['margin 0.1', { margin: 0.1 }],
    ['warm-up 300', { warmup: 300 }],
    ['rest period 120', { restPeriod: 120 }],
  ];
  const cadLines = [`default (margin 0.2, warm-up 150, rest 30): ${cadRow.heldOut[0]?.toFixed(1)}`];
  for (const [name, opts] of cadPerturbations) cadLines.push(`${name}: ${heldOutStandard(cadOnly(opts)).toFixed(1)}`);
  console.log(`  cad (causal grid): ${cadLines.join(', ')}`);
  if (!options.slow)
    console.log(
      '  (cad with more bit facts beyond the warm-up grid, as CAD OSE treats a value above its max: { slow: true }, ~5 min more)',
    );
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
