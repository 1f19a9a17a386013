/**
 * Isolation forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008) for multivariate anomaly
 * detection over serving metrics sampled at the same timestamps (latency, queue depth, KV-cache use,
 * error rate, ...).
 *
 * An anomaly is "few and different", so random axis-parallel cuts isolate it in fewer steps than a
 * normal point. Each tree is grown on a random subsample of ψ rows (default 256, drawn without
 * replacement) by picking a feature at random and a cut uniformly between that feature's minimum and
 * maximum in the node, down to a height limit of ⌈log2 ψ⌉. A point's path length h(x) is the number of
 * edges from the root to the leaf it falls in, plus c(size) for a leaf that still holds `size` rows (the
 * average depth the unbuilt subtree would have added). The score is
 *
 *   s(x, ψ) = 2^(−E[h(x)] / c(ψ)),   c(n) = 2·H(n − 1) − 2(n − 1)/n,   H(i) ≈ ln(i) + 0.5772156649,
 *
 * which lies in (0, 1]: close to 1 means isolated almost at once (anomalous), around 0.5 or below means
 * as hard to isolate as an average point.
 *
 * Robust standardisation. Before fitting, every feature is centred on its training median and divided
 * by 1.4826 × MAD (the MAD scaled to match the standard deviation of normal data), so latency in
 * milliseconds, queue depth in requests and KV-cache use as a fraction all live on one "robust z" scale
 * and count equally. Median and MAD, unlike mean and standard deviation, are not dragged by the very
 * spikes we are looking for. Note that the axis-parallel cuts of the original algorithm are already
 * invariant to rescaling a single feature (a cut is drawn within that feature's own range), so the
 * standardisation does not change which points the forest finds odd; it puts imputation, the stored
 * cut points and the z-scores used to name the driving metrics on one well-defined, comparable scale.
 *
 * Missing values (NaN, or any non-finite number) are imputed with the training median of that feature,
 * i.e. a robust z of 0: "no evidence of anything unusual in this metric".
 *
 * All randomness comes from a seeded PRNG (mulberry32), so the same seed and data give the same scores.
 */
import { AppError } from '../../errors.ts';
import { mulberry32 } from '../../random/seeded-random.ts';

/** Euler–Mascheroni constant, for H(i) ≈ ln(i) + γ. */
export const EULER_GAMMA = 0.5772156649;

/** 1.4826 × MAD estimates the standard deviation of normally distributed data. */
const MAD_TO_SIGMA = 1.4826;
/** √(π/2) × mean absolute deviation estimates the standard deviation of normal data (MAD = 0 fallback). */
const MEAN_ABS_DEV_TO_SIGMA = Math.sqrt(Math.PI / 2);

const DEFAULT_TREES = 100;
const DEFAULT_SAMPLE_SIZE = 256;
const DEFAULT_SEED = 0x150f;

/**
 * c(n): the average path length of an unsuccessful search in a binary search tree of n points, i.e.
 * the average depth at which an isolation tree built on n points isolates one of them. Used both to
 * normalise E[h(x)] and to credit the unbuilt part of a leaf that still holds n points.
 * c(0) = c(1) = 0 and c(2) = 1 by the usual convention (the formula's harmonic approximation is poor
 * for so few points).
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export interface RobustBaseline {
  /** Training median of each feature (non-finite values ignored; 0 if a feature has no finite values). */
  medians: number[];
  /** Robust scale of each feature: 1.4826 × MAD, falling back as described in robustBaseline(). */
  scales: number[];
}

/**
 * Median and robust scale of each column. The scale is 1.4826 × MAD; when more than half the values are
 * identical (MAD = 0, e.g. an error rate that is mostly exactly 0) it falls back to √(π/2) × the mean
 * absolute deviation from the median; when the feature is constant it is 1e-6 × max(1, |median|), so
 * that any later departure from the constant shows up as a very large z rather than a division by zero.
 */
export function robustBaseline(rows: readonly (readonly number[])[], dimensions: number): RobustBaseline {
  const medians: number[] = [];
  const scales: number[] = [];
  for (let j = 0; j < dimensions; j++) {
    const column: number[] = [];
    for (const row of rows) {
      const v = row[j];
      if (v !== undefined && Number.isFinite(v)) column.push(v);
    }
    if (column.length === 0) {
      medians.push(0);
      scales.push(1);
      continue;
    }
    const median = medianOf(column);
    const deviations = column.map((v) => Math.abs(v - median));
    let scale = MAD_TO_SIGMA * medianOf(deviations);
    if (!(scale > 0)) scale = MEAN_ABS_DEV_TO_SIGMA * (deviations.reduce((a, b) => a + b, 0) / deviations.length);
    if (!(scale > 0)) scale = 1e-6 * Math.max(1, Math.abs(median));
    medians.push(median);
    scales.push(scale);
  }
  return { medians, scales };
}

/** Robust z of each value against a baseline; non-finite values are imputed with the median (z = 0). */
export function robustZ(row: readonly number[], baseline: RobustBaseline): number[] {
  return baseline.medians.map((median, j) => {
    const v = row[j];
    if (v === undefined || !Number.isFinite(v)) return 0;
    return (v - median) / (baseline.scales[j] ?? 1);
  });
}

export interface IsolationForestOptions {
  /** Number of isolation trees. Default 100 (path lengths converge well before that, per the paper). */
  trees?: number;
  /** Subsample size ψ per tree, drawn without replacement; capped at the number of rows. Default 256. */
  sampleSize?: number;
  /** Seed of the PRNG; the same seed and data always give the same forest. */
  seed?: number;
  /**
   * Height limit of each tree. Default ⌈log2 ψ⌉ (ψ after capping at the number of rows), the average
   * tree height: anomalies are isolated above it, and below it only normal points remain.
   */
  maxDepth?: number;
}

/** A tree stored flat: node i is a leaf when feature[i] < 0 (size[i] rows), else a cut at value[i]. */
interface Tree {
  feature: Int32Array;
  value: Float64Array;
  left: Int32Array;
  right: Int32Array;
  size: Int32Array;
}

export class IsolationForest {
  readonly trees: number;
  readonly sampleSize: number;
  readonly seed: number;
  private readonly maxDepthOption: number | undefined;
  private forest: Tree[] = [];
  private baselineValue: RobustBaseline | undefined;
  private dimensions = 0;
  private effectiveSampleSize = 0;
  private normaliser = 1;

  constructor(options: IsolationForestOptions = {}) {
    this.trees = positiveInteger(options.trees ?? DEFAULT_TREES, 'trees');
    this.sampleSize = positiveInteger(options.sampleSize ?? DEFAULT_SAMPLE_SIZE, 'sampleSize');
    if (this.sampleSize < 2) throw invalid('sampleSize must be at least 2');
    this.seed = options.seed ?? DEFAULT_SEED;
    if (!Number.isFinite(this.seed)) throw invalid('seed must be a finite number');
    if (options.maxDepth !== undefined && !(Number.isInteger(options.maxDepth) && options.maxDepth >= 0)) {
      throw invalid('maxDepth must be a whole number ≥ 0');
    }
    this.maxDepthOption = options.maxDepth;
  }

  /** The training medians and robust scales used to standardise rows (available after fit()). */
  get baseline(): RobustBaseline {
    if (this.baselineValue === undefined) throw notFitted();
    return { medians: [...this.baselineValue.medians], scales: [...this.baselineValue.scales] };
  }

  /** Subsample size actually used, min(sampleSize, rows), after fit(). */
  get psi(): number {
    if (this.baselineValue === undefined) throw notFitted();
    return this.effectiveSampleSize;
  }

  /** Grows the forest on `rows` (each a vector of the same length; NaN = missing). */
  fit(rows: number[][]): this {
    if (rows.length < 2) throw invalid(`an isolation forest needs at least 2 rows to fit, got ${rows.length}`);
    const d = rows[0]?.length ?? 0;
    if (d === 0) throw invalid('rows must have at least one feature');
    for (const [i, row] of rows.entries()) {
      if (row.length !== d) throw invalid(`row ${i} has ${row.length} features, expected ${d}`);
    }
    const baseline = robustBaseline(rows, d);
    const n = rows.length;
    const data = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const z = robustZ(rows[i] ?? [], baseline);
      for (let j = 0; j < d; j++) data[i * d + j] = z[j] ?? 0;
    }

    const psi = Math.min(this.sampleSize, n);
    const maxDepth = this.maxDepthOption ?? Math.ceil(Math.log2(psi));
    const random = mulberry32(this.seed);
    const pool = new Int32Array(n);
    for (let i = 0; i < n; i++) pool[i] = i;

    const forest: Tree[] = [];
    for (let t = 0; t < this.trees; t++) {
      // Partial Fisher–Yates: the first psi entries of the pool become a uniform sample without replacement.
      for (let i = 0; i < psi; i++) {
        const k = i + Math.floor(random() * (n - i));
        const tmp = pool[i] as number;
        pool[i] = pool[k] as number;
        pool[k] = tmp;
      }
      forest.push(growTree(data, d, pool.slice(0, psi), maxDepth, random));
    }

    this.forest = forest;
    this.baselineValue = baseline;
    this.dimensions = d;
    this.effectiveSampleSize = psi;
    this.normaliser = averagePathLength(psi);
    return this;
  }

  /** Mean path length E[h(x)] over the trees, in standardised space. */
  pathLength(row: number[]): number {
    const baseline = this.baselineValue;
    if (baseline === undefined) throw notFitted();
    if (row.length !== this.dimensions) throw invalid(`row has ${row.length} features, expected ${this.dimensions}`);
    const z = robustZ(row, baseline);
    let total = 0;
    for (const tree of this.forest) total += treePathLength(tree, z);
    return total / this.forest.length;
  }

  /** Anomaly score s(x, ψ) = 2^(−E[h(x)]/c(ψ)), in (0, 1]; higher is more anomalous. */
  score(row: number[]): number {
    return 2 ** (-this.pathLength(row) / this.normaliser);
  }

  scoreAll(rows: number[][]): number[] {
    return rows.map((row) => this.score(row));
  }
}

function growTree(data: Float64Array, d: number, indices: Int32Array, maxDepth: number, random: () => number): Tree {
  const feature: number[] = [];
  const value: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const size: number[] = [];
  const mins = new Float64Array(d);
  const maxs = new Float64Array(d);
  const candidates: number[] = [];

  const build = (lo: number, hi: number, depth: number): number => {
    const id = feature.length;
    feature.push(-1);
    value.push(0);
    left.push(-1);
    right.push(-1);
    size.push(hi - lo);
    if (depth >= maxDepth || hi - lo <= 1) return id;

    // Pick uniformly among the features that still vary in this node; none vary → the rows are
    // identical and cannot be separated, so the node is a leaf.
    mins.fill(Number.POSITIVE_INFINITY);
    maxs.fill(Number.NEGATIVE_INFINITY);
    for (let i = lo; i < hi; i++) {
      const base = (indices[i] as number) * d;
      for (let j = 0; j < d; j++) {
        const v = data[base + j] as number;
        if (v < (mins[j] as number)) mins[j] = v;
        if (v > (maxs[j] as number)) maxs[j] = v;
      }
    }
    candidates.length = 0;
    for (let j = 0; j < d; j++) if ((maxs[j] as number) > (mins[j] as number)) candidates.push(j);
    if (candidates.length === 0) return id;
    const q = candidates[Math.floor(random() * candidates.length)] as number;
    const min = mins[q] as number;
    const max = maxs[q] as number;
    let p = min + random() * (max - min);
    if (!(p > min)) p = (min + max) / 2; // keep both sides non-empty

    // Partition indices[lo, hi) so that rows with x_q < p come first.
    let mid = lo;
    for (let i = lo; i < hi; i++) {
      const row = indices[i] as number;
      if ((data[row * d + q] as number) < p) {
        indices[i] = indices[mid] as number;
        indices[mid] = row;
        mid++;
      }
    }
    feature[id] = q;
    value[id] = p;
    left[id] = build(lo, mid, depth + 1);
    right[id] = build(mid, hi, depth + 1);
    return id;
  };
  build(0, indices.length, 0);

  return {
    feature: Int32Array.from(feature),
    value: Float64Array.from(value),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    size: Int32Array.from(size),
  };
}

function treePathLength(tree: Tree, z: readonly number[]): number {
  let node = 0;
  let depth = 0;
  for (;;) {
    const q = tree.feature[node] as number;
    if (q < 0) return depth + averagePathLength(tree.size[node] as number);
    node = (z[q] as number) < (tree.value[node] as number) ? (tree.left[node] as number) : (tree.right[node] as number);
    depth++;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Detection over time series

export interface MultivariatePoint {
  /** Timestamp (any monotone unit: epoch ms, seconds, sample index). */
  t: number;
  /** Metric name → value at t. A metric missing here, or NaN, is imputed with its training median. */
  values: Record<string, number>;
}

export interface DetectMultivariateOptions {
  /** Share of the (time-sorted) points the forest is fitted on; the rest are scored. Default 0.5. */
  trainFraction?: number;
  /**
   * Smoothed score at or above which an interval opens. Default: median + 5 robust SDs of the training
   * points' smoothed scores (see calibrateThresholds()).
   */
  threshold?: number;
  /** Points in the centred moving average of scores. Default 5; 1 thresholds each point on its own. */
  window?: number;
  seed?: number;
}

export interface AnomalyDriver {
  metric: string;
  /** Median robust z of the metric over the interval, against the training median/MAD. */
  z: number;
  direction: 'up' | 'down';
}

export interface AnomalyInterval {
  /** t of the first and last point of the interval. */
  start: number;
  end: number;
  /** Highest raw score in the interval. */
  peakScore: number;
  drivers: AnomalyDriver[];
}

export interface MultivariateDetection {
  /** Raw and smoothed scores of the points after the training part, in time order. */
  scores: Array<{ t: number; score: number; smoothed: number }>;
  intervals: AnomalyInterval[];
  /** Smoothed score that opens an interval. */
  threshold: number;
  /** Smoothed score an interval extends over, in both directions, once opened. */
  extendThreshold: number;
}

/** Fewest training points accepted: below this the medians, MADs and trees mean little. */
const MIN_TRAIN_POINTS = 8;
const DEFAULT_WINDOW = 5;
/** Default threshold: this many robust SDs above the median smoothed training score. */
const OPEN_SDS = 5;
/** An open interval extends while the smoothed score is within this many robust SDs below the threshold. */
const EXTEND_SDS = 2;
/** Floor on the robust SD of training scores, for data so regular that every point scores alike. */
const MIN_SCORE_SD = 0.01;
/** A metric is named as a driver when its |z| is at least this... */
const DRIVER_MIN_Z = 1.5;
/** ...and at least this share of the largest |z| in the interval (the top metric is always named). */
const DRIVER_RELATIVE_Z = 0.5;
const MAX_DRIVERS = 3;

/**
 * Fits an isolation forest on the first `trainFraction` of the points (sorted by t; the training part is
 * taken to be normal operation), scores the rest and turns the scores into intervals:
 *
 * 1. Smoothing. Each raw score is replaced by its centred moving average over `window` points (default
 *    5). A single scrape where two metrics are both ~2.3σ high is not rare in itself (in 4 independent
 *    metrics about 1 point in 30 is at least that far out), so per-point thresholds either miss such a
 *    joint shift or fire on noise; averaging 5 points halves the noise of the score (σ ≈ 0.05 → 0.02)
 *    while a sustained shift keeps its level. The window looks back into the training part at the start
 *    and shrinks at the end of the series.
 * 2. Hysteresis. An interval opens where the smoothed score reaches `threshold` and extends, in both
 *    directions, over neighbouring points whose smoothed score stays at or above `extendThreshold`
 *    (threshold − 2 robust SDs of training scores), so one incident does not flap into several pieces.
 *    The ends are then trimmed to the first and last point whose own raw score reaches extendThreshold,
 *    which undoes most of the smearing from the moving average.
 * 3. Drivers. For each interval, every metric's median robust z over the interval (against the training
 *    median/MAD) is computed; the largest |z| is always named, others when |z| ≥ 1.5 and ≥ half the top
 *    |z|, at most 3, each with its direction.
 *
 * The forest looks at the metrics jointly, so it flags moments where, say, latency and queue depth are
 * both high although neither leaves its own normal range. It is weak at the opposite case: a value
 * far outside the training range of a single metric falls in the same leaf as that metric's training
 * extreme, so its score saturates (in simulations a 20σ spike in one metric scored 0.66 with 2 metrics,
 * 0.63 with 4 and 0.50 with 6), and a metric that was constant during training is never cut on at all.
 * Pair this with a per-metric detector for single-metric spikes.
 */
export function detectMultivariate(
  series: Array<{ t: number; values: Record<string, number> }>,
  options: DetectMultivariateOptions = {},
): MultivariateDetection {
  const trainFraction = options.trainFraction ?? 0.5;
  if (!(trainFraction > 0 && trainFraction < 1)) throw invalid('trainFraction must be between 0 and 1 (exclusive)');
  if (options.threshold !== undefined && !(options.threshold > 0 && options.threshold <= 1)) {
    throw invalid('threshold must be in (0, 1]');
  }
  const window = positiveInteger(options.window ?? DEFAULT_WINDOW, 'window');
  for (const point of series) {
    if (!Number.isFinite(point.t)) throw invalid('every point needs a finite timestamp t');
  }

  const sorted = [...series].sort((a, b) => a.t - b.t);
  const metrics = [...new Set(sorted.flatMap((point) => Object.keys(point.values)))].sort();
  if (metrics.length === 0) throw invalid('the series has no metrics');
  const rows = sorted.map((point) => metrics.map((metric) => point.values[metric] ?? Number.NaN));

  const trainCount = Math.floor(rows.length * trainFraction);
  if (trainCount < MIN_TRAIN_POINTS) {
    throw invalid(`need at least ${MIN_TRAIN_POINTS} training points, got ${trainCount} of ${rows.length}`);
  }
  if (trainCount >= rows.length) throw invalid('no points left to score after the training part');
  const trainRows = rows.slice(0, trainCount);
  const forest = new IsolationForest(options.seed === undefined ? {} : { seed: options.seed }).fit(trainRows);
  const baseline = forest.baseline;

  const trainScores = forest.scoreAll(trainRows);
  const { threshold, extendThreshold } = calibrateThresholds(movingAverage(trainScores, window), options.threshold);
  const raw = forest.scoreAll(rows.slice(trainCount));
  // Smooth over training + scored scores so the first scored points have a full window behind them.
  const smoothed = movingAverage([...trainScores, ...raw], window).slice(trainCount);

  const scored = raw.map((score, i) => ({
    t: (sorted[trainCount + i] as MultivariatePoint).t,
    row: rows[trainCount + i] as number[],
    score,
    smoothed: smoothed[i] as number,
  }));

  const intervals: AnomalyInterval[] = [];
  let i = 0;
  while (i < scored.length) {
    if ((scored[i] as (typeof scored)[number]).smoothed < extendThreshold) {
      i++;
      continue;
    }
    let end = i;
    while (end + 1 < scored.length && (scored[end + 1] as (typeof scored)[number]).smoothed >= extendThreshold) end++;
    const run = scored.slice(i, end + 1);
    i = end + 1;
    if (!run.some((p) => p.smoothed >= threshold)) continue;
    const first = run.findIndex((p) => p.score >= extendThreshold);
    const last = run.findLastIndex((p) => p.score >= extendThreshold);
    const trimmed = first < 0 ? run : run.slice(first, last + 1);
    intervals.push({
      start: (trimmed[0] as (typeof scored)[number]).t,
      end: (trimmed[trimmed.length - 1] as (typeof scored)[number]).t,
      peakScore: Math.max(...trimmed.map((p) => p.score)),
      drivers: namedDrivers(
        metrics,
        trimmed.map((p) => robustZ(p.row, baseline)),
      ),
    });
  }

  return {
    scores: scored.map(({ t, score, smoothed }) => ({ t, score, smoothed })),
    intervals,
    threshold,
    extendThreshold,
  };
}

/**
 * Thresholds on the smoothed score, from the smoothed scores of the training points (assumed normal):
 * threshold = median + 5 robust SDs (1.4826 × MAD, at least 0.01), extendThreshold = threshold − 2 SDs.
 *
 * Why 5: smoothed training scores are roughly normal with median ≈ 0.44–0.47 and SD ≈ 0.02 for 2–6
 * well-behaved metrics, so the default lands near 0.55–0.57. On simulated data (300 training points,
 * 300 scored, 30 seeds each), median + 4 SDs still gave up to ~0.4 false intervals per 300 points with
 * 2 metrics, while + 5 gave ≤ 0.07 and still caught a 20-point joint shift of +2.5σ in two of 4 metrics
 * as one interval every time. A fixed level such as 0.6 is not used because where inliers sit depends on
 * the number of metrics and their distributions; calibrating on the training scores adapts to both.
 * An explicit `threshold` replaces the calibrated one; extendThreshold is still 2 SDs below it.
 */
export function calibrateThresholds(
  smoothedTrainingScores: readonly number[],
  threshold?: number,
): { threshold: number; extendThreshold: number } {
  const median = medianOf(smoothedTrainingScores);
  const sd = Math.max(MIN_SCORE_SD, MAD_TO_SIGMA * medianOf(smoothedTrainingScores.map((s) => Math.abs(s - median))));
  const open = threshold ?? Math.min(1, median + OPEN_SDS * sd);
  return { threshold: open, extendThreshold: open - EXTEND_SDS * sd };
}

/** Centred moving average over `window` points; the window shrinks at both ends of the array. */
export function movingAverage(values: readonly number[], window: number): number[] {
  const behind = Math.floor((window - 1) / 2);
  const ahead = window - 1 - behind;
  const prefix = [0];
  for (const v of values) prefix.push((prefix[prefix.length - 1] as number) + v);
  return values.map((_, i) => {
    const lo = Math.max(0, i - behind);
    const hi = Math.min(values.length, i + ahead + 1);
    return ((prefix[hi] as number) - (prefix[lo] as number)) / (hi - lo);
  });
}

function namedDrivers(metrics: readonly string[], zRows: readonly number[][]): AnomalyDriver[] {
  const ranked = metrics
    .map((metric, j) => ({ metric, z: medianOf(zRows.map((z) => z[j] ?? 0)) }))
    .sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.metric.localeCompare(b.metric));
  const top = Math.abs(ranked[0]?.z ?? 0);
  return ranked
    .filter((d, i) => i === 0 || (Math.abs(d.z) >= DRIVER_MIN_Z && Math.abs(d.z) >= DRIVER_RELATIVE_Z * top))
    .slice(0, MAX_DRIVERS)
    .map(({ metric, z }) => ({ metric, z, direction: z >= 0 ? 'up' : 'down' }));
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

function medianOf(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw invalid(`${name} must be a positive whole number`);
  return value;
}

function invalid(message: string): AppError {
  return new AppError('anomaly_input_invalid', message);
}

function notFitted(): AppError {
  return new AppError('anomaly_not_fitted', 'call fit() before scoring');
}
