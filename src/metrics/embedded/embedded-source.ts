import { AppError } from '../../errors.ts';
import { CURATED_METRICS, METRIC_KINDS } from '../curated-metrics.ts';
import { chooseFamily, exposedName, METRIC_ALTERNATIVES, type MetricFamilyRef } from '../metric-names.ts';
import type { CuratedQuery, MetricsSource, QueryAnswer, RawAnswer, Series } from '../metrics-source.ts';
import { parseSeriesKey } from '../series-key.ts';
import { familyOf } from './chunk-format.ts';
import type { MetricStore, Target } from './metric-store.ts';
import { evaluateDeployment, LOOKBACK_SECONDS, prepareTarget, type TargetSeries } from './series-evaluation.ts';

export { histogramQuantile, increaseOver } from './series-evaluation.ts';

/**
 * Curated queries over the embedded store, with Prometheus' semantics: counter increases
 * with reset handling, rates over a window of max(step, 4 × scrape interval), quantiles
 * interpolated within histogram buckets (`histogram_quantile`), gauges at their last
 * sample. Replicas (targets) of a deployment are summed, or averaged for ratios of use.
 */
export class EmbeddedSource implements MetricsSource {
  readonly name = 'embedded' as const;
  private readonly names = new WeakMap<readonly string[], string[]>();

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
    const exposed = new Set(targets.flatMap((target) => this.namesOf(this.store.latestKeys(target.id))));
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
    const matchName = exposedName(family);

    const byDeployment = new Map<string, TargetSeries[]>();
    for (const target of targets) {
      const samples = this.store.read(
        target,
        start - window - LOOKBACK_SECONDS,
        end,
        (key) => key.startsWith(`${matchName}{`) || key === matchName,
        [familyOf(matchName)],
      );
      byDeployment.set(target.deployment, [
        ...(byDeployment.get(target.deployment) ?? []),
        prepareTarget(samples, family.type !== 'gauge'),
      ]);
    }
    const quantile = query.quantile ?? 0.95;
    const series: Series[] = [];
    for (const [deployment, prepared] of byDeployment) {
      series.push({ deployment, points: evaluateDeployment(family, prepared, times, window, quantile) });
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

  /** The metric names among a layout's keys, worked out once per layout (the store hands out the same key lists). */
  private namesOf(keys: readonly string[]): string[] {
    let names = this.names.get(keys);
    if (!names) {
      names = [...new Set(keys.map((key) => parseSeriesKey(key).name))];
      this.names.set(keys, names);
    }
    return names;
  }

  async raw(promql: string): Promise<RawAnswer> {
    throw new AppError(
      'needs_prometheus',
      `Raw PromQL (${promql}) needs a Prometheus server: set PROMETHEUS_URL. The embedded source answers the curated metrics: ${METRIC_KINDS.join(', ')}.`,
    );
  }
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
