// The previous release's embedded metrics code (before issue 15: one row per scrape, every series in it),
// kept as it was, apart from import paths, as the reference the chunked store is tested and measured against.
import { AppError } from '../../../src/errors.ts';
import { CURATED_METRICS, METRIC_KINDS } from '../../../src/metrics/curated-metrics.ts';
import { chooseFamily, exposedName, METRIC_ALTERNATIVES, type MetricFamilyRef } from '../../../src/metrics/metric-names.ts';
import type { CuratedQuery, MetricsSource, Point, QueryAnswer, RawAnswer, Series } from '../../../src/metrics/metrics-source.ts';
import { parseSeriesKey } from '../../../src/metrics/series-key.ts';
import type { MetricStore, Target, TargetSamples } from './metric-store.ts';

/** How far back a gauge's last sample still counts, as Prometheus' default lookback delta. */
const LOOKBACK_SECONDS = 300;

/**
 * Curated queries over the embedded store, with Prometheus' semantics: counter increases
 * with reset handling, rates over a window of max(step, 4 × scrape interval), quantiles
 * interpolated within histogram buckets (`histogram_quantile`), gauges at their last
 * sample. Replicas (targets) of a deployment are summed, or averaged for ratios of use.
 */
export class EmbeddedSource implements MetricsSource {
  readonly name = 'embedded' as const;

  constructor(
    private readonly store: MetricStore,
    private readonly scrapeIntervalSeconds: number,
  ) {}

  async curated(query: CuratedQuery): Promise<QueryAnswer> {
    const targets = this.store.targets(query.deployment);
    if (targets.length === 0) {
      const known = [...new Set(this.store.targets().map((t) => t.deployment))];
      throw new AppError(
        'deployment_unknown',
        query.deployment
          ? `No metrics for a deployment named "${query.deployment}"; the embedded source scrapes ${known.length > 0 ? known.join(', ') : 'nothing yet'}.`
          : 'The embedded metrics source has no scrape targets yet.',
      );
    }
    const exposed = new Set(targets.flatMap((target) => this.store.latestKeys(target.id).map((key) => parseSeriesKey(key).name)));
    const family = chooseFamily(query.kind, exposed);
    if (!family) {
      throw new AppError(
        'metric_not_exposed',
        `${query.deployment ?? 'The fleet'} exposes none of the metrics for ${query.kind}: looked for ${METRIC_ALTERNATIVES[query.kind].map(exposedName).join(', ')}.`,
      );
    }
    const window = Math.max(query.stepSeconds, 4 * this.scrapeIntervalSeconds);
    const start = query.start.getTime() / 1000;
    const end = query.end.getTime() / 1000;
    const times: number[] = [];
    for (let t = start; t <= end + 1e-9; t += query.stepSeconds) times.push(Math.round(t));
    const wantedName = exposedName(family);
    const matchName = family.type === 'histogram' ? `${family.name}_bucket` : wantedName;

    const byDeployment = new Map<string, PreparedSeries[]>();
    for (const target of targets) {
      const samples = this.store.read(
        target,
        start - window - LOOKBACK_SECONDS,
        end,
        (key) => key.startsWith(`${matchName}{`) || key === matchName,
      );
      byDeployment.set(target.deployment, [...(byDeployment.get(target.deployment) ?? []), ...prepare(samples)]);
    }
    const quantile = query.quantile ?? 0.95;
    const series: Series[] = [];
    for (const [deployment, prepared] of byDeployment) {
      const points: Point[] = [];
      for (const t of times) {
        const value = evaluate(family, prepared, t, window, quantile);
        if (value !== undefined && Number.isFinite(value)) points.push({ t, v: value });
      }
      series.push({ deployment, points });
    }
    return {
      kind: query.kind,
      unit: CURATED_METRICS[query.kind].unit,
      series,
      source: 'embedded',
      query: describe(family, query.deployment, window, quantile),
      metricName: family.name,
    };
  }

  async raw(promql: string): Promise<RawAnswer> {
    throw new AppError(
      'needs_prometheus',
      `Raw PromQL (${promql}) needs a Prometheus server: set PROMETHEUS_URL. The embedded source answers the curated metrics: ${METRIC_KINDS.join(', ')}.`,
    );
  }
}

/** One series ready for evaluation: its labels, times, raw values and reset-adjusted running total. */
interface PreparedSeries {
  labels: Record<string, string>;
  times: readonly number[];
  values: Float64Array;
  /** Counter value with every reset added back, so any increase is a difference of two entries. */
  adjusted: Float64Array;
}

function prepare(samples: TargetSamples): PreparedSeries[] {
  return [...samples.series].map(([key, values]) => {
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
    return { labels: parseSeriesKey(key).labels, times: samples.times, values, adjusted };
  });
}

function evaluate(
  family: MetricFamilyRef,
  prepared: PreparedSeries[],
  t: number,
  window: number,
  quantile: number,
): number | undefined {
  switch (family.type) {
    case 'histogram': {
      const increases = new Map<number, number>();
      for (const series of prepared) {
        const le = series.labels.le;
        if (le === undefined) continue;
        const increase = increaseOver(series, t - window, t);
        if (increase === undefined) continue;
        const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
        increases.set(bound, (increases.get(bound) ?? 0) + increase);
      }
      return histogramQuantile(quantile, increases);
    }
    case 'counter': {
      // Per second of the time the samples really span, which may differ from the window by a scrape.
      let rate: number | undefined;
      for (const series of prepared) {
        const span = spanOver(series, t - window, t);
        const increase = increaseOver(series, t - window, t);
        if (span !== undefined && span > 0 && increase !== undefined) rate = (rate ?? 0) + increase / span;
      }
      return rate;
    }
    case 'ratio': {
      const all = sumIncrease(prepared, t, window, () => true);
      if (all === undefined) return undefined;
      if (all === 0) return 0;
      const part = sumIncrease(prepared, t, window, (labels) =>
        Object.entries(family.numerator).every(([k, v]) => labels[k] === v),
      );
      return (part ?? 0) / all;
    }
    case 'gauge': {
      const values: number[] = [];
      for (const series of prepared) {
        const index = lastIndexAtOrBefore(series.times, t);
        if (index < 0 || (series.times[index] as number) < t - LOOKBACK_SECONDS) continue;
        const value = series.values[index] as number;
        if (!Number.isNaN(value)) values.push(value);
      }
      if (values.length === 0) return undefined;
      const sum = values.reduce((a, b) => a + b, 0);
      return family.aggregate === 'sum' ? sum : sum / values.length;
    }
  }
}

function sumIncrease(
  prepared: PreparedSeries[],
  t: number,
  window: number,
  match: (labels: Record<string, string>) => boolean,
): number | undefined {
  let total: number | undefined;
  for (const series of prepared) {
    if (!match(series.labels)) continue;
    const increase = increaseOver(series, t - window, t);
    if (increase !== undefined) total = (total ?? 0) + increase;
  }
  return total;
}

/**
 * A counter's increase over (from, to]: the difference of its reset-adjusted totals at
 * the last samples at or before each end. Undefined without a sample at both ends.
 */
export function increaseOver(series: Pick<PreparedSeries, 'times' | 'adjusted'>, from: number, to: number): number | undefined {
  const last = lastIndexAtOrBefore(series.times, to);
  if (last < 0 || (series.times[last] as number) <= from) return undefined;
  // The base is the last sample at or before the window's start, or, where the data starts later, its first sample.
  let first = lastIndexAtOrBefore(series.times, from);
  if (first < 0) first = firstIndexAtOrAfter(series.times, from);
  if (first < 0 || first >= last) return undefined;
  const a = series.adjusted[first] as number;
  const b = series.adjusted[last] as number;
  return Number.isNaN(a) || Number.isNaN(b) ? undefined : b - a;
}

function spanOver(series: Pick<PreparedSeries, 'times'>, from: number, to: number): number | undefined {
  const last = lastIndexAtOrBefore(series.times, to);
  let first = lastIndexAtOrBefore(series.times, from);
  if (first < 0) first = firstIndexAtOrAfter(series.times, from);
  if (last < 0 || first < 0 || first >= last) return undefined;
  return (series.times[last] as number) - (series.times[first] as number);
}

function lastIndexAtOrBefore(times: readonly number[], t: number): number {
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

function firstIndexAtOrAfter(times: readonly number[], t: number): number {
  const index = lastIndexAtOrBefore(times, t - 1e-9) + 1;
  return index < times.length ? index : -1;
}

/** Prometheus' `histogram_quantile`: linear interpolation inside the bucket where the rank falls. */
export function histogramQuantile(q: number, cumulativeByBound: ReadonlyMap<number, number>): number | undefined {
  const buckets = [...cumulativeByBound.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1];
  if (total === undefined || total <= 0 || buckets.at(-1)?.[0] !== Number.POSITIVE_INFINITY) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of buckets) {
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

function describe(family: MetricFamilyRef, deployment: string | undefined, window: number, quantile: number): string {
  const selector = deployment ? `{model_name="${deployment}"}` : '';
  switch (family.type) {
    case 'histogram':
      return `histogram_quantile(${quantile}, sum by (le) (rate(${family.name}_bucket${selector}[${window}s])))`;
    case 'counter':
      return `sum(rate(${family.name}${selector}[${window}s]))`;
    case 'ratio':
      return `sum(rate(${family.name}{${Object.entries(family.numerator)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',')}}[${window}s])) / sum(rate(${family.name}[${window}s]))`;
    case 'gauge':
      return `${family.aggregate}(${family.name}${selector})`;
  }
}

export type { Target };
