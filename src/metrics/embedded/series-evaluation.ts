import type { MetricFamilyRef } from '../metric-names.ts';
import type { Point } from '../metrics-source.ts';
import { parseSeriesKey } from '../series-key.ts';
import type { TargetSamples } from './metric-store.ts';

/** How far back a gauge's last sample still counts, as Prometheus' default lookback delta. */
export const LOOKBACK_SECONDS = 300;

/** One series ready for evaluation: its labels, raw values and reset-adjusted running total. */
interface PreparedSeries {
  labels: Record<string, string>;
  values: Float64Array;
  /** Counter value with every reset added back, so any increase is a difference of two entries. */
  adjusted: Float64Array;
}

/** A target's series of one family: they share its scrape times, so each step's sample indexes are found once. */
export interface TargetSeries {
  times: ArrayLike<number>;
  series: PreparedSeries[];
}

/** A target's samples ready for evaluation; `counts`: counters, whose reset-adjusted totals are needed (gauges are read as they are). */
export function prepareTarget(samples: Pick<TargetSamples, 'times' | 'series'>, counts: boolean): TargetSeries {
  const series = [...samples.series].map(([key, values]) => {
    const labels = parseSeriesKey(key).labels;
    if (!counts) return { labels, values, adjusted: values };
    const adjusted = new Float64Array(values.length);
    let offset = 0;
    let previous = Number.NaN;
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as number;
      if (Number.isNaN(value)) {
        adjusted[i] = Number.NaN;
        continue;
      }
      // A drop means the counter restarted from zero: what it counted before is kept.
      if (!Number.isNaN(previous) && value < previous) offset += previous;
      adjusted[i] = value + offset;
      previous = value;
    }
    return { labels, values, adjusted };
  });
  return { times: samples.times, series };
}

/**
 * The points of one deployment at each time of `grid`, from its targets' series (in target
 * order): Prometheus' semantics as the embedded source gives them (embedded-source.ts). The
 * arithmetic, and the order in which series are added, are those of evaluating each step
 * and series on its own, so the answers are the same to the last bit.
 */
export function evaluateDeployment(
  family: MetricFamilyRef,
  targets: readonly TargetSeries[],
  grid: readonly number[],
  window: number,
  quantile: number,
): Point[] {
  const points: Point[] = [];
  const step = stepEvaluator(family, targets, window, quantile);
  for (const t of grid) {
    const value = step(t);
    if (value !== undefined && Number.isFinite(value)) points.push({ t, v: value });
  }
  return points;
}

function stepEvaluator(
  family: MetricFamilyRef,
  targets: readonly TargetSeries[],
  window: number,
  quantile: number,
): (t: number) => number | undefined {
  switch (family.type) {
    case 'histogram': {
      // Each bucket series' slot among the deployment's bounds, sorted once.
      const boundOf = targets.map((target) =>
        target.series.map((series) => {
          const le = series.labels.le;
          return le === undefined ? undefined : le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
        }),
      );
      const bounds = [...new Set(boundOf.flat().filter((b): b is number => b !== undefined))].sort((a, b) => a - b);
      const slotOf = boundOf.map((row) => row.map((bound) => (bound === undefined ? -1 : bounds.indexOf(bound))));
      const counts = new Float64Array(bounds.length);
      const present = new Uint8Array(bounds.length);
      return (t) => {
        present.fill(0);
        targets.forEach((target, g) => {
          const span = windowOf(target.times, t - window, t);
          if (!span) return;
          const slots = slotOf[g] as number[];
          target.series.forEach((series, s) => {
            const slot = slots[s] as number;
            if (slot < 0) return;
            const increase = increaseAt(series, span);
            if (increase === undefined) return;
            counts[slot] = (present[slot] ? (counts[slot] as number) : 0) + increase;
            present[slot] = 1;
          });
        });
        return quantileOfSorted(quantile, bounds, counts, present);
      };
    }
    case 'counter':
      // Per second of the time the samples really span, which may differ from the window by a scrape.
      return (t) => {
        let rate: number | undefined;
        for (const target of targets) {
          const span = windowOf(target.times, t - window, t);
          if (!span) continue;
          const seconds = (target.times[span.last] as number) - (target.times[span.first] as number);
          for (const series of target.series) {
            const increase = increaseAt(series, span);
            if (seconds > 0 && increase !== undefined) rate = (rate ?? 0) + increase / seconds;
          }
        }
        return rate;
      };
    case 'ratio': {
      const inNumerator = targets.map((target) =>
        target.series.map((series) => Object.entries(family.numerator).every(([k, v]) => series.labels[k] === v)),
      );
      return (t) => {
        let all: number | undefined;
        let part: number | undefined;
        targets.forEach((target, g) => {
          const span = windowOf(target.times, t - window, t);
          if (!span) return;
          target.series.forEach((series, s) => {
            const increase = increaseAt(series, span);
            if (increase === undefined) return;
            all = (all ?? 0) + increase;
            if (inNumerator[g]?.[s]) part = (part ?? 0) + increase;
          });
        });
        if (all === undefined) return undefined;
        if (all === 0) return 0;
        return (part ?? 0) / all;
      };
    }
    case 'gauge':
      return (t) => {
        let sum = 0;
        let count = 0;
        for (const target of targets) {
          const index = lastIndexAtOrBefore(target.times, t);
          if (index < 0 || (target.times[index] as number) < t - LOOKBACK_SECONDS) continue;
          for (const series of target.series) {
            const value = series.values[index] as number;
            if (Number.isNaN(value)) continue;
            sum += value;
            count++;
          }
        }
        if (count === 0) return undefined;
        return family.aggregate === 'sum' ? sum : sum / count;
      };
  }
}

/**
 * The samples a counter's increase over (from, to] is taken between: the last at or before
 * `to`, and the last at or before `from` (or, where the data starts later, the first).
 * Undefined without two distinct samples.
 */
function windowOf(times: ArrayLike<number>, from: number, to: number): { first: number; last: number } | undefined {
  const last = lastIndexAtOrBefore(times, to);
  if (last < 0 || (times[last] as number) <= from) return undefined;
  let first = lastIndexAtOrBefore(times, from);
  if (first < 0) first = firstIndexAtOrAfter(times, from);
  if (first < 0 || first >= last) return undefined;
  return { first, last };
}

function increaseAt(series: Pick<PreparedSeries, 'adjusted'>, span: { first: number; last: number }): number | undefined {
  const a = series.adjusted[span.first] as number;
  const b = series.adjusted[span.last] as number;
  return Number.isNaN(a) || Number.isNaN(b) ? undefined : b - a;
}

/**
 * A counter's increase over (from, to]: the difference of its reset-adjusted totals at
 * the last samples at or before each end. Undefined without a sample at both ends.
 */
export function increaseOver(
  series: { times: ArrayLike<number>; adjusted: Float64Array },
  from: number,
  to: number,
): number | undefined {
  const span = windowOf(series.times, from, to);
  return span ? increaseAt(series, span) : undefined;
}

function lastIndexAtOrBefore(times: ArrayLike<number>, t: number): number {
  let low = 0;
  let high = times.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((times[mid] as number) <= t) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

function firstIndexAtOrAfter(times: ArrayLike<number>, t: number): number {
  const index = lastIndexAtOrBefore(times, t - 1e-9) + 1;
  return index < times.length ? index : -1;
}

/** Prometheus' `histogram_quantile`: linear interpolation inside the bucket where the rank falls. */
export function histogramQuantile(q: number, cumulativeByBound: ReadonlyMap<number, number>): number | undefined {
  const buckets = [...cumulativeByBound.entries()].sort((a, b) => a[0] - b[0]);
  return quantileOfSorted(
    q,
    buckets.map(([bound]) => bound),
    buckets.map(([, count]) => count),
    buckets.map(() => 1),
  );
}

/** `histogram_quantile` over the buckets marked present, bounds ascending. */
function quantileOfSorted(
  q: number,
  bounds: readonly number[],
  counts: ArrayLike<number>,
  present: ArrayLike<number>,
): number | undefined {
  let top = bounds.length - 1;
  while (top >= 0 && !present[top]) top--;
  if (top < 0) return undefined;
  const total = counts[top] as number;
  if (total <= 0 || bounds[top] !== Number.POSITIVE_INFINITY) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (let i = 0; i <= top; i++) {
    if (!present[i]) continue;
    const bound = bounds[i] as number;
    const count = counts[i] as number;
    if (count >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return lowerBound;
      if (count === lowerCount) return bound;
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}
