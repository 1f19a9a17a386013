import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HISTOGRAMS, type HistogramName, VllmMetrics } from '../src/demo/vllm-metrics.ts';
import { EmbeddedSource } from '../src/metrics/embedded/embedded-source.ts';
import { MetricStore } from '../src/metrics/embedded/metric-store.ts';
import { Scraper } from '../src/metrics/embedded/scraper.ts';
import { createLogger } from '../src/observability/logger.ts';
import { Random } from '../src/random/seeded-random.ts';
import { openDatabase } from '../src/store/database.ts';

/** A vLLM server's metrics after some traffic, so expositions have realistic sizes and values. */
function busyMetrics(name: string, random: Random): VllmMetrics {
  const metrics = new VllmMetrics(name);
  for (let i = 0; i < 500; i++) {
    for (const histogram of Object.keys(HISTOGRAMS) as HistogramName[]) metrics.observe(histogram, random.logNormal(0.3, 0.8));
    metrics.inc('vllm:generation_tokens_total', 150);
    metrics.finish('stop');
  }
  return metrics;
}

/** Scraper cost: CPU time and wall time for one scrape of 100 targets (fetch, parse, store). */
export async function benchScraper(rounds = 30): Promise<void> {
  const random = new Random(1);
  const expositions = Array.from({ length: 100 }, (_, i) => busyMetrics(`model-${i}`, random).render());
  const server = createServer((request, response) => {
    const index = Number(/^\/t\/(\d+)\/metrics/.exec(request.url ?? '')?.[1]);
    response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    response.end(expositions[index]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'llmops-bench-scrape-'));
  const db = openDatabase(dir);
  try {
    const scraper = new Scraper({
      store: new MetricStore(db),
      intervalSeconds: 60,
      retentionDays: 1,
      logger: createLogger('silent'),
    });
    for (let i = 0; i < 100; i++) scraper.addTarget(`t${i}`, `model-${i}`, `http://127.0.0.1:${port}/t/${i}`);
    await scraper.scrapeOnce(); // warm-up
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let round = 0; round < rounds; round++) {
      await scraper.scrapeOnce();
    }
    const used = process.cpuUsage(cpu);
    const wall = (performance.now() - started) / rounds;
    const cpuMs = (used.user + used.system) / 1000 / rounds;
    const bytes = expositions.reduce((sum, text) => sum + text.length, 0) / 100;
    console.log(
      `embedded scraper: 100 targets × ${(bytes / 1024).toFixed(1)} KiB exposition (${busyMetrics('x', new Random(2)).keys().length} series each), ${rounds} rounds`,
    );
    console.log(
      `  CPU per 100 targets per interval: ${cpuMs.toFixed(1)} ms (includes serving the 100 expositions in-process); wall ${wall.toFixed(1)} ms`,
    );
    console.log(`  at the default 60 s interval that is ${((cpuMs / 60_000) * 100).toFixed(3)}% of one core`);
    console.log(
      `  stored per scrape per target: ${(db.prepare('SELECT AVG(LENGTH(vals)) AS b FROM metric_snapshots').get() as { b: number }).b.toFixed(0)} bytes`,
    );
  } finally {
    db.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Query time over one day of 15-second samples: 50 deployments, each a full vLLM series set. */
export async function benchQueries(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'llmops-bench-query-'));
  const db = openDatabase(dir);
  try {
    const store = new MetricStore(db);
    const random = new Random(3);
    const end = Math.floor(Date.now() / 1000);
    const start = end - 86_400;
    let seriesPerTarget = 0;
    const loadStarted = performance.now();
    for (let d = 0; d < 50; d++) {
      const target = store.upsertTarget(`bench:${d}`, `model-${d}`, 'http://127.0.0.1:0');
      const metrics = new VllmMetrics(`model-${d}`);
      const keys = metrics.keys();
      seriesPerTarget = keys.length;
      store.batch(() => {
        for (let t = start; t <= end; t += 15) {
          for (let i = 0; i < 20; i++) metrics.observe('vllm:time_to_first_token_seconds', random.logNormal(0.2, 0.6));
          metrics.inc('vllm:generation_tokens_total', 3000);
          metrics.finish('stop', 20);
          metrics.setGauge('vllm:num_requests_waiting', Math.floor(random.next() * 5));
          store.append(target.id, t, keys, metrics.values());
        }
      });
    }
    console.log(
      `embedded queries: 50 deployments × ${seriesPerTarget} series × 5,760 samples (one day at 15 s), loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
    );
    const source = new EmbeddedSource(store, 15);
    const cases: Array<[string, Parameters<EmbeddedSource['curated']>[0]]> = [
      [
        'p95 TTFT, one deployment, 1 day, step 5m',
        {
          kind: 'ttft',
          deployment: 'model-7',
          start: new Date(start * 1000),
          end: new Date(end * 1000),
          stepSeconds: 300,
          quantile: 0.95,
        },
      ],
      [
        'p95 TTFT, one deployment, 1 day, step 15s',
        {
          kind: 'ttft',
          deployment: 'model-7',
          start: new Date(start * 1000),
          end: new Date(end * 1000),
          stepSeconds: 15,
          quantile: 0.95,
        },
      ],
      [
        'throughput, one deployment, 1 day, step 5m',
        { kind: 'throughput', deployment: 'model-7', start: new Date(start * 1000), end: new Date(end * 1000), stepSeconds: 300 },
      ],
      [
        'queue depth, all 50 deployments, 1 day, step 5m',
        { kind: 'queue_depth', start: new Date(start * 1000), end: new Date(end * 1000), stepSeconds: 300 },
      ],
      [
        'p95 TTFT, all 50 deployments, 1 day, step 5m',
        { kind: 'ttft', start: new Date(start * 1000), end: new Date(end * 1000), stepSeconds: 300, quantile: 0.95 },
      ],
      [
        'p95 TTFT, one deployment, last 10m',
        {
          kind: 'ttft',
          deployment: 'model-7',
          start: new Date((end - 600) * 1000),
          end: new Date(end * 1000),
          stepSeconds: 15,
          quantile: 0.95,
        },
      ],
    ];
    for (const [label, query] of cases) {
      await source.curated(query); // warm the schema cache
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await source.curated(query);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      console.log(`  ${label}: median ${(times[2] as number).toFixed(1)} ms`);
    }
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
