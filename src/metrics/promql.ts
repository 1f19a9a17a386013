import { AppError } from '../errors.ts';
import type { MetricFamilyRef } from './metric-names.ts';
import type { CuratedQuery } from './metrics-source.ts';

/** Scrape interval assumed when none is known: Prometheus' own default. */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 60;
export const DEFAULT_QUANTILE = 0.95;

export interface PromqlOptions {
  /** The label that names a deployment, such as `model_name`. */
  deploymentLabel: string;
  /** How often Prometheus scrapes the servers; rate windows span at least four scrapes. */
  scrapeIntervalSeconds?: number | undefined;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** A label value as the inside of a PromQL double-quoted string. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A duration in PromQL's notation, in the largest whole unit: 3600 → `1h`, 300 → `5m`, 90 → `90s`. */
export function formatPromDuration(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole % 3600 === 0) return `${whole / 3600}h`;
  if (whole % 60 === 0) return `${whole / 60}m`;
  return `${whole}s`;
}

/** The rate window: the step, but never fewer than four scrapes, so each window holds enough samples for rate(). */
export function rangeWindowSeconds(stepSeconds: number, scrapeIntervalSeconds = DEFAULT_SCRAPE_INTERVAL_SECONDS): number {
  return Math.max(Math.ceil(stepSeconds), 4 * scrapeIntervalSeconds);
}

/** `name{a="x",b="y"}`, or the bare name when there are no matchers. */
export function selector(name: string, matchers: Readonly<Record<string, string>>): string {
  if (!METRIC_NAME.test(name)) throw new AppError('invalid_query', `not a Prometheus metric name: ${JSON.stringify(name)}`);
  const parts = Object.entries(matchers).map(([label, value]) => {
    if (!LABEL_NAME.test(label)) throw new AppError('invalid_query', `not a Prometheus label name: ${JSON.stringify(label)}`);
    return `${label}="${escapeLabelValue(value)}"`;
  });
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

/** The PromQL for a curated query with the metric family the server exposes. */
export function curatedPromql(query: CuratedQuery, family: MetricFamilyRef, options: PromqlOptions): string {
  const label = options.deploymentLabel;
  if (!LABEL_NAME.test(label)) throw new AppError('invalid_query', `not a Prometheus label name: ${JSON.stringify(label)}`);
  const scope: Record<string, string> = query.deployment === undefined ? {} : { [label]: query.deployment };
  const window = formatPromDuration(rangeWindowSeconds(query.stepSeconds, options.scrapeIntervalSeconds));
  const rate = (name: string, matchers: Record<string, string>) => `rate(${selector(name, matchers)}[${window}])`;

  switch (family.type) {
    case 'histogram': {
      const quantile = query.quantile ?? DEFAULT_QUANTILE;
      if (!(quantile >= 0 && quantile <= 1)) throw new AppError('invalid_query', `quantile must be from 0 to 1, got ${quantile}`);
      return `histogram_quantile(${quantile}, sum by (le, ${label}) (${rate(`${family.name}_bucket`, scope)}))`;
    }
    case 'counter':
      return `sum by (${label}) (${rate(family.name, scope)})`;
    case 'ratio': {
      // Without the label on the family itself, scope and group through the instance's engine series.
      const own = family.labelsFrom === undefined;
      const labelled = (matchers: Record<string, string>) =>
        own
          ? rate(family.name, { ...matchers, ...scope })
          : `${rate(family.name, matchers)} * on (instance) group_left (${label}) (0 * max by (instance, ${label}) (${selector(family.labelsFrom as string, scope)}) + 1)`;
      const all = `sum by (${label}) (${labelled({})})`;
      // A failure counter appears only after the first failure: none yet is a rate of 0, not no data.
      return `(sum by (${label}) (${labelled(family.numerator)}) or ${all} * 0) / ${all}`;
    }
    case 'gauge':
      return `${family.aggregate} by (${label}) (${selector(family.name, scope)})`;
  }
}
