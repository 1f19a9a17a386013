import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../src/errors.ts';
import type { MetricFamilyRef } from '../src/metrics/metric-names.ts';
import { PrometheusSource, type PrometheusSourceOptions } from '../src/metrics/prometheus-source.ts';
import { curatedPromql, escapeLabelValue, formatPromDuration, rangeWindowSeconds } from '../src/metrics/promql.ts';
import { freePort } from './support/prometheus-server.ts';

const PROM = 'http://prometheus.test:9090';
const START = new Date(1_717_000_000_000);
const END = new Date(1_717_000_600_000);
const RANGE = { start: START, end: END, stepSeconds: 60 };

function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/prometheus/${name}.json`, import.meta.url), 'utf8');
}

function source(options: Partial<PrometheusSourceOptions> = {}): PrometheusSource {
  return new PrometheusSource({ url: PROM, timeoutMs: 2_000, deploymentLabel: 'model_name', ...options });
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** Serves the metric-name list from a fixture. */
function exposes(fixtureName: string, origin = PROM) {
  return nock(origin).get('/api/v1/label/__name__/values').reply(200, fixture(fixtureName), JSON_HEADERS);
}

/** Serves one query_range answer and records the query parameters it was asked with. */
function answersRange(status: number, body: string, origin = PROM) {
  const asked: Array<Record<string, string>> = [];
  const scope = nock(origin)
    .get('/api/v1/query_range')
    .query((params) => {
      asked.push(params as Record<string, string>);
      return true;
    })
    .reply(status, body, JSON_HEADERS);
  return { scope, asked };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AppError.isInstance(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.disableNetConnect();
  vi.restoreAllMocks();
});
afterAll(() => nock.enableNetConnect());

describe('promql', () => {
  const ttft: MetricFamilyRef = { type: 'histogram', name: 'vllm:time_to_first_token_seconds' };
  const options = { deploymentLabel: 'model_name' };

  it('spans at least four scrapes and writes durations in whole units', () => {
    expect(rangeWindowSeconds(60)).toBe(240);
    expect(rangeWindowSeconds(300)).toBe(300);
    expect(rangeWindowSeconds(15, 15)).toBe(60);
    expect(rangeWindowSeconds(1, 1)).toBe(4);
    expect([240, 300, 3600, 90, 4, 0.5].map(formatPromDuration)).toEqual(['4m', '5m', '1h', '90s', '4s', '1s']);
  });

  it('builds each family form', () => {
    const query = { kind: 'ttft' as const, deployment: 'llama-3-8b', ...RANGE, stepSeconds: 300 };
    expect(curatedPromql({ ...query, quantile: 0.99 }, ttft, options)).toBe(
      'histogram_quantile(0.99, sum by (le, model_name) (rate(vllm:time_to_first_token_seconds_bucket{model_name="llama-3-8b"}[5m])))',
    );
    expect(curatedPromql(query, { type: 'counter', name: 'vllm:generation_tokens_total' }, options)).toBe(
      'sum by (model_name) (rate(vllm:generation_tokens_total{model_name="llama-3-8b"}[5m]))',
    );
    const aborted = 'rate(vllm:request_success_total{model_name="llama-3-8b"}[5m])';
    expect(
      curatedPromql(
        query,
        { type: 'ratio', name: 'vllm:request_success_total', numerator: { finished_reason: 'abort' } },
        options,
      ),
    ).toBe(
      `(sum by (model_name) (rate(vllm:request_success_total{finished_reason="abort",model_name="llama-3-8b"}[5m])) or sum by (model_name) (${aborted}) * 0) / sum by (model_name) (${aborted})`,
    );
    // vLLM's HTTP counter has no model_name: it is borrowed per instance from the engine's own series.
    const join =
      '* on (instance) group_left (model_name) (0 * max by (instance, model_name) (vllm:num_requests_running{model_name="llama-3-8b"}) + 1)';
    expect(
      curatedPromql(
        query,
        { type: 'ratio', name: 'http_requests_total', numerator: { status: '5xx' }, labelsFrom: 'vllm:num_requests_running' },
        options,
      ),
    ).toBe(
      `(sum by (model_name) (rate(http_requests_total{status="5xx"}[5m]) ${join}) or sum by (model_name) (rate(http_requests_total[5m]) ${join}) * 0) / sum by (model_name) (rate(http_requests_total[5m]) ${join})`,
    );
    expect(curatedPromql(query, { type: 'gauge', name: 'vllm:kv_cache_usage_perc', aggregate: 'avg' }, options)).toBe(
      'avg by (model_name) (vllm:kv_cache_usage_perc{model_name="llama-3-8b"})',
    );
  });

  it('without a deployment matches all deployments, grouped by the label', () => {
    expect(
      curatedPromql({ kind: 'queue_depth', ...RANGE }, { type: 'gauge', name: 'tgi_queue_size', aggregate: 'sum' }, options),
    ).toBe('sum by (model_name) (tgi_queue_size)');
    expect(curatedPromql({ kind: 'ttft', ...RANGE }, ttft, { deploymentLabel: 'service', scrapeIntervalSeconds: 15 })).toBe(
      'histogram_quantile(0.95, sum by (le, service) (rate(vllm:time_to_first_token_seconds_bucket[1m])))',
    );
  });

  it('escapes backslashes, quotes and newlines in label values', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const promql = curatedPromql({ kind: 'ttft', deployment: 'x"} or vector(1) #\\', ...RANGE }, ttft, options);
    expect(promql).toContain('{model_name="x\\"} or vector(1) #\\\\"}');
  });

  it('refuses a label name PromQL cannot hold and a quantile outside 0..1', () => {
    expect(() => curatedPromql({ kind: 'ttft', ...RANGE }, ttft, { deploymentLabel: 'model-name' })).toThrow(/label name/);
    expect(() => curatedPromql({ kind: 'ttft', quantile: 95, ...RANGE }, ttft, options)).toThrow(/quantile/);
  });
});

describe('PrometheusSource over Prometheus’ HTTP API', () => {
  it('runs a curated p95 TTFT as query_range and parses the series, dropping NaN and Inf', async () => {
    exposes('label-names-vllm');
    const { asked } = answersRange(200, fixture('query-range-ttft-p95'));

    const answer = await source().curated({ kind: 'ttft', deployment: 'llama-3-8b', quantile: 0.95, ...RANGE });

    const promql =
      'histogram_quantile(0.95, sum by (le, model_name) (rate(vllm:time_to_first_token_seconds_bucket{model_name="llama-3-8b"}[4m])))';
    expect(asked).toEqual([{ query: promql, start: '1717000000', end: '1717000600', step: '60' }]);
    expect(answer).toMatchObject({
      kind: 'ttft',
      unit: 's',
      source: 'prometheus',
      query: promql,
      metricName: 'vllm:time_to_first_token_seconds',
    });
    expect(answer.series).toHaveLength(1);
    expect(answer.series[0]?.deployment).toBe('llama-3-8b');
    expect(answer.series[0]?.points).toHaveLength(9);
    expect(answer.series[0]?.points[0]).toEqual({ t: 1_717_000_000, v: 0.721875 });
    expect(answer.series[0]?.points.map((p) => p.t)).not.toContain(1_717_000_180);
    expect(answer.series[0]?.points.map((p) => p.t)).not.toContain(1_717_000_360);
  });

  it('asks for the metric names once a minute, not on every query', async () => {
    const names = exposes('label-names-vllm');
    answersRange(200, fixture('query-range-ttft-p95'));
    answersRange(200, fixture('query-range-ttft-p95'));
    const prometheus = source();
    await prometheus.curated({ kind: 'ttft', ...RANGE });
    await prometheus.curated({ kind: 'ttft', ...RANGE });
    expect(names.isDone()).toBe(true);

    const later = Date.now() + 61_000;
    vi.spyOn(Date, 'now').mockReturnValue(later);
    const again = exposes('label-names-vllm');
    answersRange(200, fixture('query-range-ttft-p95'));
    await prometheus.curated({ kind: 'ttft', ...RANGE });
    expect(again.isDone()).toBe(true);
  });

  it('falls back to older vLLM’s vllm:gpu_cache_usage_perc when vllm:kv_cache_usage_perc is absent', async () => {
    exposes('label-names-vllm-0.6');
    const { asked } = answersRange(200, fixture('query-range-kv-cache'));

    const answer = await source().curated({ kind: 'kv_cache_usage', ...RANGE });

    expect(answer.metricName).toBe('vllm:gpu_cache_usage_perc');
    expect(asked[0]?.query).toBe('avg by (model_name) (vllm:gpu_cache_usage_perc)');
    expect(answer.series.map((s) => [s.deployment, s.points.at(-1)?.v])).toEqual([
      ['llama-3-8b', 0.46875],
      ['mistral-7b', 0.15625],
    ]);
  });

  it('uses TGI’s tgi_request_duration for end-to-end latency, grouped by the configured label', async () => {
    exposes('label-names-tgi');
    const { asked } = answersRange(200, fixture('query-range-tgi-e2e'));

    const answer = await source({ deploymentLabel: 'deployment' }).curated({
      kind: 'e2e_latency',
      deployment: 'tgi-mistral-7b',
      quantile: 0.5,
      ...RANGE,
    });

    expect(answer.metricName).toBe('tgi_request_duration');
    expect(asked[0]?.query).toBe(
      'histogram_quantile(0.5, sum by (le, deployment) (rate(tgi_request_duration_bucket{deployment="tgi-mistral-7b"}[4m])))',
    );
    expect(answer.series).toEqual([
      {
        deployment: 'tgi-mistral-7b',
        points: [
          { t: 1_717_000_000, v: 2.8750000000000004 },
          { t: 1_717_000_060, v: 3.0833333333333335 },
          { t: 1_717_000_120, v: 2.9375 },
        ],
      },
    ]);
  });

  it('says metric_not_exposed, naming the kind, every name it looked for and the URL', async () => {
    exposes('label-names-node-only');
    const error = await failure(source().curated({ kind: 'tpot', ...RANGE }));
    expect(error.code).toBe('metric_not_exposed');
    expect(error.message).toContain(`Prometheus at ${PROM}`);
    expect(error.message).toContain('tpot');
    for (const name of [
      'vllm:inter_token_latency_seconds_bucket',
      'vllm:time_per_output_token_seconds_bucket',
      'tgi_request_mean_time_per_token_duration_bucket',
    ]) {
      expect(error.message).toContain(name);
    }
  });

  it('passes raw PromQL through query_range and keeps the labels', async () => {
    const { asked } = answersRange(200, fixture('query-range-up'));
    const answer = await source().raw('up{job="vllm"}', START, END, 60);
    expect(asked[0]).toEqual({ query: 'up{job="vllm"}', start: '1717000000', end: '1717000600', step: '60' });
    expect(answer).toEqual({
      query: 'up{job="vllm"}',
      series: [
        {
          labels: { __name__: 'up', instance: '10.0.3.17:8000', job: 'vllm' },
          points: [
            { t: 1_717_000_000, v: 1 },
            { t: 1_717_000_060, v: 1 },
            { t: 1_717_000_120, v: 0 },
          ],
        },
      ],
    });
  });

  it('sends the bearer token', async () => {
    nock(PROM, { reqheaders: { authorization: 'Bearer tok-7f3a' } })
      .get('/api/v1/label/__name__/values')
      .reply(200, fixture('label-names-vllm'), JSON_HEADERS)
      .get('/api/v1/query_range')
      .query(true)
      .reply(200, fixture('query-range-ttft-p95'), JSON_HEADERS);
    const answer = await source({ bearerToken: 'tok-7f3a' }).curated({ kind: 'ttft', ...RANGE });
    expect(answer.series).toHaveLength(1);
  });

  it('sends basic auth', async () => {
    const basic = `Basic ${Buffer.from('grafana:pa55-word').toString('base64')}`;
    nock(PROM, { reqheaders: { authorization: basic } })
      .get('/api/v1/query_range')
      .query(true)
      .reply(200, fixture('query-range-up'), JSON_HEADERS);
    const answer = await source({ username: 'grafana', password: 'pa55-word' }).raw('up', START, END, 60);
    expect(answer.series).toHaveLength(1);
  });

  it('keeps a path prefix in the URL', async () => {
    nock('https://example.test')
      .get('/prometheus/api/v1/query_range')
      .query(true)
      .reply(200, fixture('query-range-up'), JSON_HEADERS);
    const answer = await source({ url: 'https://example.test/prometheus/' }).raw('up', START, END, 60);
    expect(answer.series).toHaveLength(1);
  });
});

describe('PrometheusSource errors name the URL and the problem', () => {
  it('unreachable: a closed port gives prometheus_unreachable with the system error', async () => {
    nock.enableNetConnect('127.0.0.1');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const error = await failure(source({ url }).raw('up', START, END, 60));
    expect(error.code).toBe('prometheus_unreachable');
    expect(error.message).toBe(`Prometheus at ${url} is unreachable (ECONNREFUSED); check PROMETHEUS_URL`);
  });

  it('slow: no answer within timeoutMs gives prometheus_timeout', async () => {
    nock(PROM).get('/api/v1/query_range').query(true).delay(1_000).reply(200, fixture('query-range-up'), JSON_HEADERS);
    const error = await failure(source({ timeoutMs: 150 }).raw('up', START, END, 60));
    expect(error.code).toBe('prometheus_timeout');
    expect(error.message).toContain(`Prometheus at ${PROM} did not answer within 150 ms`);
    expect(error.message).toContain('PromQL: up');
  });

  it('Prometheus’ error JSON gives prometheus_error with the PromQL sent and Prometheus’ words', async () => {
    answersRange(400, fixture('error-parse'));
    const parse = await failure(source().raw('rate(up[5m]', START, END, 60));
    expect(parse.code).toBe('prometheus_error');
    expect(parse.message).toContain('HTTP 400, bad_data');
    expect(parse.message).toContain('1:12: parse error: unclosed left parenthesis');
    expect(parse.message).toContain('PromQL: rate(up[5m]');
    expect(parse.message).toContain('2024-05-29T16:26:40.000Z');

    exposes('label-names-vllm');
    answersRange(422, fixture('error-execution'));
    const execution = await failure(source().curated({ kind: 'request_rate', deployment: 'llama-3-8b', ...RANGE }));
    expect(execution.code).toBe('prometheus_error');
    expect(execution.message).toContain('vector cannot contain metrics with the same labelset');
    expect(execution.message).toContain(
      'PromQL: sum by (model_name) (rate(vllm:request_success_total{model_name="llama-3-8b"}[4m]))',
    );

    answersRange(503, fixture('error-timeout'));
    const timeout = await failure(source().raw('up', START, END, 60));
    expect(timeout.code).toBe('prometheus_error');
    expect(timeout.message).toContain('query timed out in expression evaluation');
  });

  it('401 and 403 give prometheus_auth, pointing at the setting to check and never at its value', async () => {
    nock(PROM).get('/api/v1/label/__name__/values').reply(401, 'Unauthorized\n');
    const bearer = await failure(source({ bearerToken: 'tok-7f3a' }).curated({ kind: 'ttft', ...RANGE }));
    expect(bearer.code).toBe('prometheus_auth');
    expect(bearer.message).toBe(`Prometheus at ${PROM} refused the request (HTTP 401); check PROMETHEUS_BEARER_TOKEN`);

    nock(PROM).get('/api/v1/query_range').query(true).reply(403, 'Forbidden: pa55-word is wrong\n');
    const basic = await failure(source({ username: 'grafana', password: 'pa55-word' }).raw('up', START, END, 60));
    expect(basic.code).toBe('prometheus_auth');
    expect(basic.message).toContain('check PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD');
    expect(basic.message).not.toContain('pa55-word');

    nock(PROM).get('/api/v1/query_range').query(true).reply(401, '');
    const none = await failure(source().raw('up', START, END, 60));
    expect(none.message).toContain('set PROMETHEUS_BEARER_TOKEN, or PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD');
  });

  it('never repeats the token, the password or credentials in the URL, even when a server echoes them', async () => {
    answersRange(400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'token tok-7f3a not allowed here' }));
    const echoed = await failure(source({ bearerToken: 'tok-7f3a' }).raw('up', START, END, 60));
    expect(echoed.message).not.toContain('tok-7f3a');
    expect(JSON.stringify(echoed.cause ?? '')).not.toContain('tok-7f3a');

    nock.enableNetConnect('127.0.0.1');
    const port = await freePort();
    const error = await failure(source({ url: `http://admin:s3cret@127.0.0.1:${port}` }).raw('up', START, END, 60));
    expect(error.message).toContain(`Prometheus at http://127.0.0.1:${port} is unreachable`);
    expect(error.message).not.toContain('s3cret');
  });

  it('a body that is not Prometheus JSON gives prometheus_bad_response', async () => {
    nock(PROM)
      .get('/api/v1/query_range')
      .query(true)
      .reply(200, '<html><body>Sign in</body></html>', { 'Content-Type': 'text/html' });
    const html = await failure(source().raw('up', START, END, 60));
    expect(html.code).toBe('prometheus_bad_response');
    expect(html.message).toContain('not JSON: <html><body>Sign in</body></html>');

    answersRange(200, fixture('query-vector-up'));
    const vector = await failure(source().raw('up', START, END, 60));
    expect(vector.code).toBe('prometheus_bad_response');
    expect(vector.message).toContain('data.resultType');

    nock(PROM).get('/api/v1/label/__name__/values').reply(200, '{"status":"success","data":[1,2]}', JSON_HEADERS);
    const names = await failure(source().curated({ kind: 'ttft', ...RANGE }));
    expect(names.code).toBe('prometheus_bad_response');

    nock(PROM).get('/api/v1/query_range').query(true).reply(404, '404 page not found\n');
    const notFound = await failure(source().raw('up', START, END, 60));
    expect(notFound.code).toBe('prometheus_bad_response');
    expect(notFound.message).toContain('HTTP 404: 404 page not found');
    expect(notFound.message).toContain('including any path prefix');
  });

  it('a failed name look-up is not cached', async () => {
    nock(PROM).get('/api/v1/label/__name__/values').reply(503, 'Service Unavailable');
    const prometheus = source();
    expect((await failure(prometheus.curated({ kind: 'ttft', ...RANGE }))).code).toBe('prometheus_bad_response');
    exposes('label-names-vllm');
    answersRange(200, fixture('query-range-ttft-p95'));
    expect((await prometheus.curated({ kind: 'ttft', ...RANGE })).series).toHaveLength(1);
  });
});

describe('PrometheusSource.health', () => {
  it('reports /-/ready', async () => {
    nock(PROM).get('/-/ready').reply(200, 'Prometheus Server is Ready.\n');
    expect(await source().health()).toEqual({ ok: true, url: PROM, message: 'Prometheus Server is Ready.' });

    nock(PROM).get('/-/ready').reply(503, 'Service Unavailable');
    expect(await source().health()).toEqual({
      ok: false,
      url: PROM,
      code: 'prometheus_not_ready',
      message: `Prometheus at ${PROM} is not ready yet (HTTP 503: Service Unavailable)`,
    });
  });

  it('reports an unreachable server without throwing', async () => {
    nock.enableNetConnect('127.0.0.1');
    const port = await freePort();
    expect(await source({ url: `http://127.0.0.1:${port}` }).health()).toMatchObject({
      ok: false,
      code: 'prometheus_unreachable',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });
});
