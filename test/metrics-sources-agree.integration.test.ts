import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoadTest } from '../src/integrations/load-tester.ts';
import type { MetricKind } from '../src/metrics/curated-metrics.ts';
import { EmbeddedSource } from '../src/metrics/embedded/embedded-source.ts';
import { MetricStore } from '../src/metrics/embedded/metric-store.ts';
import { Scraper } from '../src/metrics/embedded/scraper.ts';
import type { MetricsSource } from '../src/metrics/metrics-source.ts';
import { PrometheusSource } from '../src/metrics/prometheus-source.ts';
import { openDatabase } from '../src/store/database.ts';
import { type RunningPrometheus, startPrometheus } from './support/prometheus-server.ts';
import { silentLogger, tempDataDir } from './support/test-assistant.ts';

// One simulated vLLM server under real load, scraped every second by a real Prometheus
// (Debian's package) and by the embedded scraper: the curated answers must agree.
const dataDir = tempDataDir();
const db = openDatabase(dataDir);
const serverOptions = {
  name: 'llama-3-8b',
  version: 'v2',
  seed: 7,
  model: 'llama-3-8b',
  gpu: 'A100-80GB',
  gpuCount: 1,
  dtype: 'bf16',
  maxNumSeqs: 8,
  maxNumBatchedTokens: 8192,
};
let server: ChildProcess;
let serverUrl: string;
let prometheus: RunningPrometheus;
let scraper: Scraper;
let embedded: MetricsSource;
let remote: MetricsSource;
let loadStart: Date;
let loadEnd: Date;
let report: Awaited<ReturnType<typeof runLoadTest>>;

beforeAll(async () => {
  server = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./support/run-simulated-server.ts', import.meta.url)),
      JSON.stringify(serverOptions),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: server.stdout as NodeJS.ReadableStream }).once('line', (line) =>
      resolve((JSON.parse(line) as { port: number }).port),
    );
    server.once('exit', (code) => reject(new Error(`simulated server exited with ${code}`)));
  });
  serverUrl = `http://127.0.0.1:${port}`;
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], scrapeIntervalSeconds: 1 });
  const store = new MetricStore(db);
  scraper = new Scraper({ store, intervalSeconds: 1, retentionDays: 1, logger: silentLogger });
  scraper.addTarget('sim:llama-3-8b', 'llama-3-8b', serverUrl);
  scraper.start();
  embedded = new EmbeddedSource(store, 1);
  remote = new PrometheusSource({
    url: prometheus.url,
    timeoutMs: 5000,
    deploymentLabel: 'model_name',
    scrapeIntervalSeconds: 1,
  });
  // Prometheus' service discovery takes ~5 s before the first scrape; load starts once it scrapes.
  for (let tries = 0; tries < 100; tries++) {
    const up = (await (await fetch(`${prometheus.url}/api/v1/query?query=up`)).json()) as { data: { result: unknown[] } };
    if (up.data.result.length > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // GPU Xid errors fail about 30% of requests with a 500, so the error rate has something to measure.
  const fault = await fetch(`${serverUrl}/admin/faults`, {
    method: 'POST',
    body: JSON.stringify({ fault: 'gpu_xid', seed: 3 }),
  });
  expect(fault.status).toBe(200);
  // Twelve seconds of steady closed-loop load, more than max_num_seqs so a queue forms.
  loadStart = new Date();
  report = await runLoadTest({
    baseUrl: `${serverUrl}/v1`,
    model: 'llama-3-8b',
    requests: 10_000,
    concurrency: 12,
    maxTokens: 40,
    promptTokens: 200,
    stream: true,
    signal: AbortSignal.timeout(14_000),
  });
  loadEnd = new Date();
  await new Promise((resolve) => setTimeout(resolve, 2500));
}, 60_000);

afterAll(async () => {
  scraper?.stop();
  await prometheus?.stop();
  server?.kill('SIGTERM');
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function mean(source: MetricsSource, kind: MetricKind, quantile?: number): Promise<number> {
  const answer = await source.curated({
    kind,
    deployment: 'llama-3-8b',
    start: new Date(loadStart.getTime() + 7000),
    end: new Date(loadEnd.getTime() - 1000),
    stepSeconds: 6,
    quantile,
  });
  const points = answer.series.flatMap((s) => s.points.map((p) => p.v));
  expect(points.length, `${source.name} ${kind} points`).toBeGreaterThan(0);
  return points.reduce((a, b) => a + b, 0) / points.length;
}

describe('the embedded and Prometheus sources give the same curated answers', () => {
  it.each([
    ['request_rate', undefined, 0.25],
    ['throughput', undefined, 0.25],
    ['ttft', 0.5, 0.3],
    ['ttft', 0.95, 0.3],
    ['tpot', 0.95, 0.3],
    ['e2e_latency', 0.95, 0.3],
    ['running', undefined, 0.25],
  ] as Array<[MetricKind, number | undefined, number]>)('%s (q=%s) within %s', async (kind, quantile, tolerance) => {
    const fromEmbedded = await mean(embedded, kind, quantile);
    const fromPrometheus = await mean(remote, kind, quantile);
    expect(fromEmbedded).toBeGreaterThan(0);
    expect(
      Math.abs(fromEmbedded - fromPrometheus) / fromPrometheus,
      `embedded ${fromEmbedded} vs prometheus ${fromPrometheus}`,
    ).toBeLessThanOrEqual(tolerance);
  });

  it('both agree with the rates the load tester measured', async () => {
    // vLLM counts every finished request, failed ones too (finished_reason="abort").
    const failed = report.errors.find((e) => e.kind === 'http_5xx')?.count ?? 0;
    const finishedPerSecond = (report.succeeded + failed) / report.durationSeconds;
    for (const source of [embedded, remote]) {
      const rate = await mean(source, 'request_rate');
      const tokens = await mean(source, 'throughput');
      expect(Math.abs(rate - finishedPerSecond) / finishedPerSecond, `${source.name} ${rate} req/s`).toBeLessThan(0.25);
      expect(
        Math.abs(tokens - report.tokensPerSecond) / report.tokensPerSecond,
        `${source.name} ${tokens} tokens/s`,
      ).toBeLessThan(0.25);
    }
  });

  it('both measure the share of requests that failed, as the load tester saw it', async () => {
    const failed = report.errors.find((e) => e.kind === 'http_5xx')?.count ?? 0;
    const share = failed / (failed + report.succeeded);
    expect(share).toBeGreaterThan(0.15);
    for (const source of [embedded, remote]) {
      const rate = await mean(source, 'error_rate');
      expect(Math.abs(rate - share), `${source.name} error rate ${rate} vs ${share}`).toBeLessThan(0.1);
    }
  });

  it('both see the queue the overload built', async () => {
    expect(await mean(embedded, 'queue_depth')).toBeGreaterThan(1);
    expect(await mean(remote, 'queue_depth')).toBeGreaterThan(1);
  });

  it('the embedded source refuses raw PromQL, naming what it needs', async () => {
    await expect(embedded.raw('up', loadStart, loadEnd, 1)).rejects.toThrow(/needs a Prometheus server: set PROMETHEUS_URL/);
  });
});
