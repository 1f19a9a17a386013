import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusSource } from '../src/metrics/prometheus-source.ts';
import { type RunningPrometheus, startPrometheus } from './support/prometheus-server.ts';

const MODEL = 'llama-3-8b';
const SCRAPE_SECONDS = 1;
/** Finished requests per second of wall time, by reason: 5 req/s in all, none aborted. */
const FINISHED_PER_SECOND = { stop: 4, length: 1, abort: 0 };
/** TTFT observations per second, cumulative by bucket: 10 a second, 9 of them within 0.5 s, so p95 lies in (0.5, 1]. */
const TTFT_BUCKETS_PER_SECOND: Array<[string, number]> = [
  ['0.01', 0],
  ['0.025', 1],
  ['0.05', 2],
  ['0.1', 4],
  ['0.25', 7],
  ['0.5', 9],
  ['1.0', 10],
  ['2.5', 10],
  ['+Inf', 10],
];
const WAITING = 3;

/** vLLM's /metrics exposition for one engine, every counter a known multiple of the seconds since start. */
function exposition(elapsedSeconds: number): string {
  const labels = `engine="0",model_name="${MODEL}"`;
  const lines = [
    '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting{${labels}} ${WAITING}.0`,
    '# HELP vllm:request_success_total Count of successfully processed requests.',
    '# TYPE vllm:request_success_total counter',
    ...Object.entries(FINISHED_PER_SECOND).map(
      ([reason, perSecond]) =>
        `vllm:request_success_total{engine="0",finished_reason="${reason}",model_name="${MODEL}"} ${perSecond * elapsedSeconds}`,
    ),
    '# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.',
    '# TYPE vllm:time_to_first_token_seconds histogram',
    ...TTFT_BUCKETS_PER_SECOND.map(
      ([le, perSecond]) => `vllm:time_to_first_token_seconds_bucket{${labels},le="${le}"} ${perSecond * elapsedSeconds}`,
    ),
    `vllm:time_to_first_token_seconds_count{${labels}} ${10 * elapsedSeconds}`,
    `vllm:time_to_first_token_seconds_sum{${labels}} ${3 * elapsedSeconds}`,
  ];
  return `${lines.join('\n')}\n`;
}

let target: Server;
let prometheus: RunningPrometheus;

beforeAll(async () => {
  const startedAt = Date.now();
  target = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    response.end(exposition((Date.now() - startedAt) / 1000));
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const { port } = target.address() as AddressInfo;
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], scrapeIntervalSeconds: SCRAPE_SECONDS });
  await waitForScrapes(prometheus.url, 5, 25_000);
}, 30_000);

afterAll(async () => {
  await prometheus?.stop();
  await new Promise<void>((resolve) => (target ? target.close(() => resolve()) : resolve()));
});

/** Polls Prometheus until it has stored `count` scrapes of the target. */
async function waitForScrapes(url: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('count_over_time(up[1m])')}`);
    const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
    const stored = Number(body.data?.result?.[0]?.value[1] ?? 0);
    if (stored >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Prometheus at ${url} had not stored ${count} scrapes within ${timeoutMs} ms`);
}

function source(): PrometheusSource {
  return new PrometheusSource({
    url: prometheus.url,
    timeoutMs: 5_000,
    deploymentLabel: 'model_name',
    scrapeIntervalSeconds: SCRAPE_SECONDS,
  });
}

function lastRange() {
  const end = new Date();
  return { start: new Date(end.getTime() - 30_000), end, stepSeconds: 1 };
}

function lastValue(points: Array<{ v: number }>): number {
  const last = points.at(-1);
  if (!last) throw new Error('no points');
  return last.v;
}

describe('PrometheusSource against a real Prometheus scraping a vLLM-format target', () => {
  it('reports ready', async () => {
    expect(await source().health()).toMatchObject({ ok: true });
  });

  it('gives the request rate within 10 % of what the target counts', async () => {
    const answer = await source().curated({ kind: 'request_rate', deployment: MODEL, ...lastRange() });
    expect(answer).toMatchObject({ source: 'prometheus', metricName: 'vllm:request_success_total', unit: 'req/s' });
    expect(answer.series.map((s) => s.deployment)).toEqual([MODEL]);
    const expected = FINISHED_PER_SECOND.stop + FINISHED_PER_SECOND.length + FINISHED_PER_SECOND.abort;
    expect(Math.abs(lastValue(answer.series[0]?.points ?? []) - expected) / expected).toBeLessThan(0.1);
  });

  it('gives a p95 TTFT inside the bucket that holds the 95th percentile', async () => {
    const answer = await source().curated({ kind: 'ttft', deployment: MODEL, quantile: 0.95, ...lastRange() });
    expect(answer.query).toBe(
      `histogram_quantile(0.95, sum by (le, model_name) (rate(vllm:time_to_first_token_seconds_bucket{model_name="${MODEL}"}[4s])))`,
    );
    const p95 = lastValue(answer.series[0]?.points ?? []);
    expect(p95).toBeGreaterThan(0.5);
    expect(p95).toBeLessThanOrEqual(1);
  });

  it('gives the queue depth gauge and a zero error rate, for all deployments grouped by model_name', async () => {
    const depth = await source().curated({ kind: 'queue_depth', ...lastRange() });
    expect(depth.series.map((s) => s.deployment)).toEqual([MODEL]);
    expect(lastValue(depth.series[0]?.points ?? [])).toBe(WAITING);

    const errors = await source().curated({ kind: 'error_rate', ...lastRange() });
    expect(errors.metricName).toBe('vllm:request_success_total');
    expect(lastValue(errors.series[0]?.points ?? [])).toBe(0);
  });

  it('passes raw PromQL through: up is 1', async () => {
    const { start, end, stepSeconds } = lastRange();
    const answer = await source().raw('up', start, end, stepSeconds);
    expect(answer.series).toHaveLength(1);
    expect(answer.series[0]?.labels).toMatchObject({ __name__: 'up', job: 'model-servers' });
    expect(lastValue(answer.series[0]?.points ?? [])).toBe(1);
  });

  it('says which names it looked for when the server exposes none of them', async () => {
    await expect(source().curated({ kind: 'preemptions', ...lastRange() })).rejects.toMatchObject({
      code: 'metric_not_exposed',
      message: expect.stringContaining('vllm:num_preemptions_total'),
    });
  });

  it("passes Prometheus' own parse error on with the PromQL", async () => {
    const { start, end, stepSeconds } = lastRange();
    const error = await source()
      .raw('rate(up[5m]', start, end, stepSeconds)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'prometheus_error' });
    expect((error as Error).message).toContain('PromQL: rate(up[5m]');
    expect((error as Error).message).toMatch(/parse error/);
  });
});
