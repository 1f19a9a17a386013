import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { displayUrl, redact, snippet, transportFailure } from '../integrations/logs/upstream-failure.ts';
import { CURATED_METRICS } from './curated-metrics.ts';
import { chooseFamily, exposedName, METRIC_ALTERNATIVES } from './metric-names.ts';
import type { CuratedQuery, MetricsSource, Point, QueryAnswer, RawAnswer } from './metrics-source.ts';
import { curatedPromql, DEFAULT_SCRAPE_INTERVAL_SECONDS } from './promql.ts';

export interface PrometheusSourceOptions {
  /** Prometheus' root, with any path prefix: `http://prometheus:9090`, `https://example.com/prometheus`. */
  url: string;
  bearerToken?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  timeoutMs: number;
  /** The label that names a deployment, such as `model_name`. */
  deploymentLabel: string;
  /** How often Prometheus scrapes the model servers; rate windows span at least four scrapes. Default 60. */
  scrapeIntervalSeconds?: number | undefined;
}

export type PrometheusHealth =
  | { ok: true; url: string; message: string }
  | { ok: false; url: string; code: string; message: string };

/** How long the list of exposed metric names is reused before asking again. */
export const METRIC_NAMES_CACHE_MS = 60_000;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

// Prometheus' HTTP API envelopes (https://prometheus.io/docs/prometheus/latest/querying/api/).
const errorBody = z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() });
const labelValuesBody = z.object({ status: z.literal('success'), data: z.array(z.string()) });
const matrixBody = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('matrix'),
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()),
        // Native-histogram series carry `histograms` instead of `values`; curated queries give floats.
        values: z.array(z.tuple([z.number(), z.string()])).default([]),
      }),
    ),
  }),
});

type Matrix = z.infer<typeof matrixBody>['data']['result'];

/** What a request was for, so an error can say so. */
interface RequestContext {
  path: string;
  promql?: string;
  range?: { start: Date; end: Date; stepSeconds: number };
}

/** Metrics from a Prometheus server over its HTTP API, for the curated kinds and raw PromQL. */
export class PrometheusSource implements MetricsSource {
  readonly name = 'prometheus' as const;
  /** The URL without credentials, as it appears in messages. */
  readonly url: string;
  private readonly http: AxiosInstance;
  private readonly secrets: string[];
  private names: { fetchedAt: number; names: Promise<ReadonlySet<string>> } | undefined;

  constructor(private readonly options: PrometheusSourceOptions) {
    this.url = displayUrl(options.url);
    this.secrets = [options.bearerToken, options.password].filter((s): s is string => Boolean(s));
    this.http = axios.create({
      baseURL: options.url.replace(/\/+$/, ''),
      timeout: options.timeoutMs,
      headers: {
        Accept: 'application/json',
        ...(options.bearerToken ? { Authorization: `Bearer ${options.bearerToken}` } : {}),
      },
      ...(options.username !== undefined && options.password !== undefined
        ? { auth: { username: options.username, password: options.password } }
        : {}),
      // Statuses and bodies are judged here, so every failure gets words that name the problem.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      maxContentLength: MAX_RESPONSE_BYTES,
      maxRedirects: 0,
    });
  }

  async curated(query: CuratedQuery): Promise<QueryAnswer> {
    const exposed = await this.exposedMetricNames();
    const family = chooseFamily(query.kind, exposed);
    if (!family) {
      const looked = METRIC_ALTERNATIVES[query.kind].map(exposedName);
      throw new AppError(
        'metric_not_exposed',
        `Prometheus at ${this.url} exposes no metric for ${query.kind} (${CURATED_METRICS[query.kind].about}); ` +
          `looked for ${looked.join(', ')}. Check that Prometheus scrapes the vLLM or TGI servers.`,
      );
    }
    const promql = curatedPromql(query, family, {
      deploymentLabel: this.options.deploymentLabel,
      scrapeIntervalSeconds: this.options.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS,
    });
    const result = await this.queryRange(promql, query.start, query.end, query.stepSeconds);
    const label = this.options.deploymentLabel;
    const series = result
      .map((entry) => ({
        deployment: entry.metric[label] ?? query.deployment ?? `(no ${label} label)`,
        points: toPoints(entry.values),
      }))
      .filter((entry) => entry.points.length > 0)
      .sort((a, b) => a.deployment.localeCompare(b.deployment));
    return {
      kind: query.kind,
      unit: CURATED_METRICS[query.kind].unit,
      series,
      source: 'prometheus',
      query: promql,
      metricName: family.name,
    };
  }

  async raw(promql: string, start: Date, end: Date, stepSeconds: number): Promise<RawAnswer> {
    const result = await this.queryRange(promql, start, end, stepSeconds);
    return { query: promql, series: result.map((entry) => ({ labels: entry.metric, points: toPoints(entry.values) })) };
  }

  /** Whether Prometheus answers `/-/ready`; never throws. */
  async health(): Promise<PrometheusHealth> {
    const context: RequestContext = { path: '/-/ready' };
    try {
      const response = await this.http.get<string>('/-/ready', { headers: { Accept: 'text/plain' }, ...this.deadline() });
      const text = String(response.data ?? '').trim();
      if (response.status >= 200 && response.status < 300) return { ok: true, url: this.url, message: text || 'ready' };
      if (response.status === 503) {
        const message = `Prometheus at ${this.url} is not ready yet (HTTP 503: ${snippet(text)})`;
        return { ok: false, url: this.url, code: 'prometheus_not_ready', message };
      }
      const error = this.statusError(response.status, text, context);
      return { ok: false, url: this.url, code: error.code, message: error.message };
    } catch (error) {
      const appError = this.transportError(error, context);
      return { ok: false, url: this.url, code: appError.code, message: appError.message };
    }
  }

  /** The metric names Prometheus holds, reused for a minute; a failed look-up is not kept. */
  async exposedMetricNames(): Promise<ReadonlySet<string>> {
    const now = Date.now();
    if (this.names && now - this.names.fetchedAt < METRIC_NAMES_CACHE_MS) return this.names.names;
    const names = this.fetchMetricNames();
    const entry = { fetchedAt: now, names };
    this.names = entry;
    names.catch(() => {
      if (this.names === entry) this.names = undefined;
    });
    return names;
  }

  private async fetchMetricNames(): Promise<ReadonlySet<string>> {
    const context: RequestContext = { path: '/api/v1/label/__name__/values' };
    const body = await this.getJson(context.path, undefined, context);
    const parsed = labelValuesBody.safeParse(body);
    if (!parsed.success) throw this.badResponse(`an unexpected answer shape (${issues(parsed.error)})`, context);
    return new Set(parsed.data.data);
  }

  private async queryRange(promql: string, start: Date, end: Date, stepSeconds: number): Promise<Matrix> {
    const context: RequestContext = { path: '/api/v1/query_range', promql, range: { start, end, stepSeconds } };
    const body = await this.getJson(
      context.path,
      { query: promql, start: unixSeconds(start), end: unixSeconds(end), step: stepSeconds },
      context,
    );
    const parsed = matrixBody.safeParse(body);
    if (!parsed.success) throw this.badResponse(`an unexpected answer shape (${issues(parsed.error)})`, context);
    return parsed.data.data.result;
  }

  /** GETs a Prometheus API path and returns its JSON body, or throws an AppError that says what went wrong. */
  private async getJson(path: string, params: Record<string, string | number> | undefined, context: RequestContext) {
    let status: number;
    let text: string;
    try {
      const response = await this.http.get<string>(path, { params, ...this.deadline() });
      status = response.status;
      text = typeof response.data === 'string' ? response.data : String(response.data ?? '');
    } catch (error) {
      throw this.transportError(error, context);
    }
    if (status < 200 || status >= 300) throw this.statusError(status, text, context);
    const json = parseJson(text);
    if (json === undefined) throw this.badResponse(`a body that is not JSON: ${snippet(text)}`, context);
    return json;
  }

  private deadline() {
    // axios' timeout covers an idle socket; the signal bounds the whole exchange.
    return { signal: AbortSignal.timeout(this.options.timeoutMs) };
  }

  private statusError(status: number, text: string, context: RequestContext): AppError {
    if (status === 401 || status === 403) {
      const hint = this.options.bearerToken
        ? 'check PROMETHEUS_BEARER_TOKEN'
        : this.options.username
          ? 'check PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD'
          : 'it needs credentials: set PROMETHEUS_BEARER_TOKEN, or PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD';
      return this.error('prometheus_auth', `Prometheus at ${this.url} refused the request (HTTP ${status}); ${hint}`);
    }
    const prometheusError = errorBody.safeParse(parseJson(text));
    if (prometheusError.success) {
      const { errorType, error } = prometheusError.data;
      return this.error(
        'prometheus_error',
        `Prometheus at ${this.url} rejected the request (HTTP ${status}, ${errorType}): ${error}${describeContext(context)}`,
      );
    }
    const hint =
      status === 404
        ? "; check that PROMETHEUS_URL is Prometheus' root, including any path prefix"
        : status >= 300 && status < 400
          ? '; check PROMETHEUS_URL (redirects are not followed)'
          : '';
    return this.badResponse(`HTTP ${status}: ${snippet(text)}${hint}`, context);
  }

  private transportError(error: unknown, context: RequestContext): AppError {
    const { kind, code, cause } = transportFailure(error);
    switch (kind) {
      case 'timeout':
        return this.error(
          'prometheus_timeout',
          `Prometheus at ${this.url} did not answer within ${this.options.timeoutMs} ms${describeContext(context)}; ` +
            'a shorter range or a larger step makes a query lighter, or raise PROMETHEUS_TIMEOUT_MS',
          cause,
        );
      case 'too_large':
        return this.badResponse(
          `an answer larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MB; narrow the query or raise the step`,
          context,
        );
      case 'unreachable':
        return this.error(
          'prometheus_unreachable',
          `Prometheus at ${this.url} is unreachable (${code}); check PROMETHEUS_URL`,
          cause,
        );
      case 'unreadable':
        return this.badResponse(`an error while reading the answer (${code})`, context);
    }
  }

  private badResponse(problem: string, context: RequestContext): AppError {
    return this.error(
      'prometheus_bad_response',
      `Prometheus at ${this.url} answered ${context.path} with ${problem}${describeContext(context)}`,
    );
  }

  /** An AppError whose message never carries the token or password, whatever a server echoed. */
  private error(code: string, message: string, cause?: Error): AppError {
    return new AppError(code, redact(message, this.secrets), cause ? { cause } : undefined);
  }
}

function toPoints(values: Array<[number, string]>): Point[] {
  const points: Point[] = [];
  for (const [t, text] of values) {
    const v = Number(text);
    if (Number.isFinite(v)) points.push({ t, v });
  }
  return points;
}

function unixSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function describeContext(context: RequestContext): string {
  if (!context.promql) return '';
  const range = context.range
    ? ` over ${context.range.start.toISOString()} – ${context.range.end.toISOString()} at step ${context.range.stepSeconds}s`
    : '';
  return `. PromQL: ${context.promql}${range}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
