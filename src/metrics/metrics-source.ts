import type { MetricKind } from './curated-metrics.ts';

/** One curated question: a metric kind of one deployment (or all) over a range, at a step. */
export interface CuratedQuery {
  kind: MetricKind;
  /** The deployment's name, matched against the `model_name` label; all deployments when absent. */
  deployment?: string | undefined;
  start: Date;
  end: Date;
  stepSeconds: number;
  /** For latency kinds: 0.5, 0.95, 0.99 …; default 0.95. */
  quantile?: number | undefined;
}

export interface Point {
  /** Unix time in seconds. */
  t: number;
  v: number;
}

export interface Series {
  /** The deployment (model_name label) the series belongs to. */
  deployment: string;
  points: Point[];
}

export interface QueryAnswer {
  kind: MetricKind;
  unit: string;
  series: Series[];
  /** `embedded` or `prometheus`, for the context line of answers. */
  source: 'embedded' | 'prometheus';
  /** What was run: the PromQL (Prometheus) or the equivalent expression (embedded), for people and errors. */
  query: string;
  /** The metric name actually used (current vLLM, older vLLM or TGI), found from what the server exposes. */
  metricName: string;
}

/** Raw PromQL answer, Prometheus' matrix shape reduced to labels and points. */
export interface RawAnswer {
  query: string;
  series: Array<{ labels: Record<string, string>; points: Point[] }>;
}

/** Where metrics come from: the embedded scraper (default) or a Prometheus server. */
export interface MetricsSource {
  readonly name: 'embedded' | 'prometheus';
  /** A curated query; throws AppError (`metric_not_exposed`, `prometheus_unreachable`, …) with words for people. */
  curated(query: CuratedQuery): Promise<QueryAnswer>;
  /** Raw PromQL over a range; the embedded source throws `needs_prometheus`. */
  raw(promql: string, start: Date, end: Date, stepSeconds: number): Promise<RawAnswer>;
}
