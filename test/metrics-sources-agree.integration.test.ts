import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedServer } from '../src/demo/simulated-server.ts';
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
const server = new SimulatedServer({
  name: 'llama-3-8b',
  version: 'v2',
  seed: 7,
  model: 'llama-3-8b',
  gpu: 'A100-80GB',
  gpuCount: 1,
  dtype: 'bf16',
  maxNumSeqs: 8,
  maxNumBatchedTokens: 8192,
});
let prometheus: RunningPrometheus;
let scraper: Scraper;
let embedded: MetricsSource;
let remote: MetricsSource;
let loadStart: Date;
let loadEnd: Date;

beforeAll(async () => {
  await server.start();
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${server.port}`], scrapeIntervalSeconds: 1 });
  const store = new MetricStore(db);
  scraper = new Scraper({ store, intervalSeconds: 1, retentionDays: 1, logger: silentLogger });
  scraper.addTarget('sim:llama-3-8b', 'llama-3-8b', server.url);
  scraper.start();
  embedded = new EmbeddedSource(store, 1);
  remote = new PrometheusSource({
    url: prometheus.url,
    timeoutMs: 5000,
    deploymentLabel: 'model_name',
    scrapeIntervalSeconds: 1,
  });
  // Twelve seconds of steady closed-loop load, more than max_num_seqs so a queue forms.
  loadStart = new Date();
  await runLoadTest({
    baseUrl: `${server.url}/v1`,
    model: 'llama-3-8b',
    requests: 10_000,
    concurrency: 12,
    maxTokens: 40,
    promptTokens: 200,
    stream: true,
    signal: AbortSignal.timeout(12_000),
  });
  loadEnd = new Date();
  await new Promise((resolve) => setTimeout(resolve, 2500));
}, 60_000);

afterAll(async () => {
  scraper?.stop();
  await prometheus?.stop();
  await server.stop();
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function mean(source: MetricsSource, kind: MetricKind, quantile?: number): Promise<number> {
  const answer = await source.curated({
    kind,
    deployment: 'llama-3-8b',
    start: new Date(loadStart.getTime() + 4000),
    end: new Date(loadEnd.getTime() - 1000),
    stepSeconds: 4,
    quantile,
  });
  const points = answer.series.flatMap((s) => s.points.map((p) => p.v));
  expect(points.length, `${source.name} ${kind} points`).toBeGreaterThan(0);
  return points.reduce((a, b) => a + b, 0) / points.length;
}

describe('the embedded and Prometheus sources give the same curated answers', () => {
  it.each([
    ['request_rate', undefined, 0.2],
    ['throughput', undefined, 0.2],
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

  it('both see the queue the overload built', async () => {
    expect(await mean(embedded, 'queue_depth')).toBeGreaterThan(1);
    expect(await mean(remote, 'queue_depth')).toBeGreaterThan(1);
  });

  it('the embedded source refuses raw PromQL, naming what it needs', async () => {
    await expect(embedded.raw('up', loadStart, loadEnd, 1)).rejects.toThrow(/needs a Prometheus server: set PROMETHEUS_URL/);
  });
});
