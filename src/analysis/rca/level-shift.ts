/**
 * Where a metric left its usual level, for root-cause evidence: "p95 TPOT went from 21 ms to
 * 53 ms at 14:01". One series, one shift: the segment [a, b) whose mean differs most from the
 * rest of the series, by the two-sample t statistic with pooled variance (the "epidemic" change
 * model: the segment may end before the data does, when the incident recovered). The baseline
 * always holds the start of the data, so the segment is a departure from a normal period.
 * O(n²) over at most `maxPoints` points (longer series are averaged into buckets first).
 */
export interface LevelShift {
  metric: string;
  deployment: string;
  direction: 'up' | 'down';
  /** Epoch seconds of the first and last point of the shifted segment. */
  start: number;
  end: number;
  /** The segment reaches the last point: not recovered within the data. */
  ongoing: boolean;
  /** Median just before the segment (the usual level; as long as the segment, between the least baseline and an hour) and inside it. */
  before: number;
  after: number;
  /** after / before; null when the usual level is 0. */
  ratio: number | null;
  /** Two-sample t statistic of the segment against the rest. */
  t: number;
  /** The jump at the start (a few minutes either side) over the whole move: about 1 for a step, small for a slow drift. */
  abruptness: number;
}

export interface ShiftThresholds {
  /** Least after/before ratio (or its inverse for a drop) that counts as a move. */
  minRatio: number;
  /** Least absolute difference that counts (for ratios such as error rate, and for levels near 0). */
  minAbsolute: number;
}

export interface LevelShiftOptions extends ShiftThresholds {
  /** Least points in the segment and in the baseline before it; default 3 and 5. */
  minSegment?: number;
  minBaseline?: number;
  /** Least seconds the segment lasts (a move of one or two scrapes is noise, not a level); default 0. */
  minDurationS?: number;
  /** Replace each point by the median of it and its two neighbours first, so single-scrape spikes vanish; default false. */
  despike?: boolean;
  /** Least t statistic; default 5. */
  minT?: number;
  maxPoints?: number;
  /**
   * Epoch seconds: only segments starting at or after it (the window people asked about). What came
   * before stays in the baseline, so an older change of level (a restart, an earlier episode) is not
   * taken for this move.
   */
  startFrom?: number;
}

export function findLevelShift(
  points: ReadonlyArray<{ t: number; v: number }>,
  labels: { metric: string; deployment: string },
  options: LevelShiftOptions,
): LevelShift | undefined {
  const { minBaseline = 5, minT = 5, maxPoints = 600, minDurationS = 0 } = options;
  const finite = points.filter((p) => Number.isFinite(p.v)).sort((a, b) => a.t - b.t);
  const series = downsample(options.despike ? medianOfThree(finite) : finite, maxPoints);
  const n = series.length;
  const spacing = n > 1 ? ((series[n - 1] as { t: number }).t - (series[0] as { t: number }).t) / (n - 1) : 1;
  const minSegment = Math.max(options.minSegment ?? 3, Math.ceil(minDurationS / Math.max(spacing, 1e-9)));
  if (n < minSegment + minBaseline) return undefined;
  const sum = new Float64Array(n + 1);
  const squares = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = (series[i] as { v: number }).v;
    sum[i + 1] = (sum[i] as number) + v;
    squares[i + 1] = (squares[i] as number) + v * v;
  }
  const total = sum[n] as number;
  const totalSquares = squares[n] as number;
  // A floor on the variance, so a perfectly flat baseline does not make every blip infinite.
  const floor = (0.01 * Math.abs(total / n) + 1e-9) ** 2;
  let best = { t: 0, a: -1, b: -1 };
  let first = minBaseline;
  if (options.startFrom !== undefined) while (first < n && (series[first] as { t: number }).t < options.startFrom) first++;
  for (let a = first; a <= n - minSegment; a++) {
    for (let b = a + minSegment; b <= n; b++) {
      const nIn = b - a;
      const nOut = n - nIn;
      const sumIn = (sum[b] as number) - (sum[a] as number);
      const sqIn = (squares[b] as number) - (squares[a] as number);
      const meanIn = sumIn / nIn;
      const meanOut = (total - sumIn) / nOut;
      const ss = sqIn - nIn * meanIn * meanIn + (totalSquares - sqIn) - nOut * meanOut * meanOut;
      const variance = Math.max(ss / Math.max(1, n - 2), floor);
      const t = Math.abs(meanIn - meanOut) / Math.sqrt(variance * (1 / nIn + 1 / nOut));
      if (t > best.t) best = { t, a, b };
    }
  }
  if (best.a < 0 || best.t < minT) return undefined;
  best.a = sharpestStep(series, best.a, best.b, minSegment);
  const abruptness = Math.min(
    1,
    jumpAt(series, best.a, best.b, minSegment) /
      Math.max(1e-12, Math.abs(meanOf(series, best.a, best.b) - meanOutside(series, best.a, best.b))),
  );
  const inside = series.slice(best.a, best.b).map((p) => p.v);
  // The usual level is what came just before the move (up to an hour of it): the rest of the data may hold
  // another episode (a batch job, an earlier incident) that is not this move's baseline.
  const hour = Math.max(minBaseline, Math.ceil(3600 / Math.max(spacing, 1e-9)));
  const lead = Math.min(best.a, Math.max(minBaseline, Math.min(best.b - best.a, hour)));
  const before = median(series.slice(best.a - lead, best.a).map((p) => p.v));
  const after = median(inside);
  const ratio = before !== 0 ? after / before : null;
  const bigEnough =
    Math.abs(after - before) >= options.minAbsolute &&
    (ratio === null || ratio >= options.minRatio || ratio <= 1 / options.minRatio);
  if (!bigEnough) return undefined;
  return {
    ...labels,
    direction: after >= before ? 'up' : 'down',
    start: (series[best.a] as { t: number }).t,
    end: (series[best.b - 1] as { t: number }).t,
    ongoing: best.b === n,
    before,
    after,
    ratio,
    t: Math.round(best.t * 10) / 10,
    abruptness: Math.round(abruptness * 100) / 100,
  };
}

/**
 * Where inside the segment [a, b) the level changed most abruptly: the segment that beats the rest best may
 * begin in a slow drift (an evening decline) before the real step; the step is the point whose following
 * window differs most from its preceding window. The window is the segment's least length.
 */
function sharpestStep(series: ReadonlyArray<{ v: number }>, a: number, b: number, window: number): number {
  let best = a;
  let size = jumpAt(series, a, b, window);
  for (let i = a + 1; i <= b - Math.min(Math.max(3, window), b - a); i++) {
    const j = jumpAt(series, i, b, window);
    if (j > size * 1.5) {
      best = i;
      size = j;
    }
  }
  return best;
}

/** How much the mean of the window after i (within the segment ending at b) differs from the window before it. */
function jumpAt(series: ReadonlyArray<{ v: number }>, i: number, b: number, window: number): number {
  const w = Math.max(3, window);
  return Math.abs(meanOf(series, i, Math.min(b, i + w)) - meanOf(series, Math.max(0, i - w), i));
}

function meanOf(series: ReadonlyArray<{ v: number }>, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += (series[i] as { v: number }).v;
  return to > from ? sum / (to - from) : 0;
}

function meanOutside(series: ReadonlyArray<{ v: number }>, a: number, b: number): number {
  const n = series.length - (b - a);
  return n > 0 ? (meanOf(series, 0, series.length) * series.length - meanOf(series, a, b) * (b - a)) / n : 0;
}

function medianOfThree(points: ReadonlyArray<{ t: number; v: number }>): Array<{ t: number; v: number }> {
  return points.map((p, i) => {
    if (i === 0 || i === points.length - 1) return p;
    const a = (points[i - 1] as { v: number }).v;
    const c = (points[i + 1] as { v: number }).v;
    return { t: p.t, v: Math.max(Math.min(a, p.v), Math.min(Math.max(a, p.v), c)) };
  });
}

function downsample<T extends { t: number; v: number }>(points: T[], maxPoints: number): Array<{ t: number; v: number }> {
  if (points.length <= maxPoints) return points;
  const size = Math.ceil(points.length / maxPoints);
  const out: Array<{ t: number; v: number }> = [];
  for (let i = 0; i < points.length; i += size) {
    const bucket = points.slice(i, i + size);
    out.push({ t: (bucket[0] as T).t, v: bucket.reduce((s, p) => s + p.v, 0) / bucket.length });
  }
  return out;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
