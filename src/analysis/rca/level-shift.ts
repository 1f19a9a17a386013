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
  /** Median outside the segment (the usual level) and inside it. */
  before: number;
  after: number;
  /** after / before; null when the usual level is 0. */
  ratio: number | null;
  /** Two-sample t statistic of the segment against the rest. */
  t: number;
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
  /** Least t statistic; default 5. */
  minT?: number;
  maxPoints?: number;
}

export function findLevelShift(
  points: ReadonlyArray<{ t: number; v: number }>,
  labels: { metric: string; deployment: string },
  options: LevelShiftOptions,
): LevelShift | undefined {
  const { minSegment = 3, minBaseline = 5, minT = 5, maxPoints = 600 } = options;
  const finite = points.filter((p) => Number.isFinite(p.v)).sort((a, b) => a.t - b.t);
  const series = downsample(finite, maxPoints);
  const n = series.length;
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
  for (let a = minBaseline; a <= n - minSegment; a++) {
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
  const inside = series.slice(best.a, best.b).map((p) => p.v);
  const outside = [...series.slice(0, best.a), ...series.slice(best.b)].map((p) => p.v);
  const before = median(outside);
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
  };
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
