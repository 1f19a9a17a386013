import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_DEPLOYMENTS } from '../src/demo/demo-fleet.ts';
import { backfillHistory } from '../src/demo/history-backfill.ts';
import { ServerLog } from '../src/demo/server-log.ts';
import { HISTOGRAMS, type HistogramName, VllmMetrics } from '../src/demo/vllm-metrics.ts';
import type { MetricKind } from '../src/metrics/curated-metrics.ts';
import { EmbeddedSource } from '../src/metrics/embedded/embedded-source.ts';
import { MetricStore } from '../src/metrics/embedded/metric-store.ts';
import { Scraper } from '../src/metrics/embedded/scraper.ts';
import type { CuratedQuery, MetricsSource, QueryAnswer } from '../src/metrics/metrics-source.ts';
import { PrometheusSource } from '../src/metrics/prometheus-source.ts';
import { createLogger } from '../src/observability/logger.ts';
import { Random } from '../src/random/seeded-random.ts';
import { ChangeEventRepository } from '../src/store/change-event-repository.ts';
import { openDatabase } from '../src/store/database.ts';
import { MetricStore as PreviousMetricStore } from '../test/support/previous-embedded/metric-store.ts';
import { onPath } from '../test/support/prometheus-server.ts';
import { createBlocks, OpenMetricsBlocks, type RunningPrometheus, startPrometheusOnBlocks } from './support/prometheus-blocks.ts';

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
    const stored = db
      .prepare(
        `SELECT (SELECT SUM(LENGTH(vals)) FROM metric_chunk_values) + (SELECT SUM(LENGTH(times) + LENGTH(schemas)) FROM metric_chunks) AS bytes,
                (SELECT SUM(n) FROM metric_chunks) AS scrapes`,
      )
      .get() as { bytes: number; scrapes: number };
    console.log(`  stored per scrape per target: ${(stored.bytes / stored.scrapes).toFixed(0)} bytes`);
  } finally {
    db.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The demo's 14-day back-fill (3 deployments at the default 60 s interval), into this store
 * and into the previous release's (one row per scrape), alternating, in one run.
 */
export async function benchBackfill(rounds = 3): Promise<void> {
  const times: Record<'chunks' | 'previous', number[]> = { chunks: [], previous: [] };
  for (let round = 0; round < rounds; round++) {
    for (const layout of ['chunks', 'previous'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'llmops-bench-backfill-'));
      const db = openDatabase(dir);
      try {
        const store = layout === 'chunks' ? new MetricStore(db) : (new PreviousMetricStore(db) as unknown as MetricStore);
        const started = performance.now();
        backfillHistory({
          store,
          changes: new ChangeEventRepository(db),
          deployments: DEMO_DEPLOYMENTS.map((deployment) => ({
            deployment,
            log: new ServerLog(join(dir, `${deployment.name}.log`)),
          })),
          days: 14,
          intervalSeconds: 60,
          seed: 1,
          now: new Date('2026-11-30T15:00:00Z'),
        });
        times[layout].push(performance.now() - started);
      } finally {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const chunks = median(times.chunks);
  const previous = median(times.previous);
  console.log(
    `demo back-fill, 14 days × ${DEMO_DEPLOYMENTS.length} deployments at 60 s (median of ${rounds}, alternating): chunked store ${(chunks / 1000).toFixed(2)} s, previous one-row-per-scrape store ${(previous / 1000).toFixed(2)} s (${(chunks / previous).toFixed(2)}×)`,
  );
}

const FLEET = 50;
/** The series Prometheus is given: those the fleet-wide queries below read (its cost does not depend on other series). */
const EXPORTED =
  /^(vllm:num_requests_waiting|vllm:num_requests_running|vllm:generation_tokens_total|http_requests_total|vllm:time_to_first_token_seconds_bucket)[{]/;

interface Dataset {
  label: string;
  days: number;
  intervalSeconds: number;
  end: number;
  store: MetricStore;
}

/**
 * Writes `days` of a 50-deployment fleet's scrapes into the store (every vLLM series) and the
 * series the queries read into OpenMetrics blocks: traffic with a daily rhythm, a TTFT
 * distribution, errors and a queue per deployment.
 */
export function writeFleet(dataset: Omit<Dataset, 'label'>, seed: number, blocks: OpenMetricsBlocks | undefined): number {
  const random = new Random(seed);
  const start = dataset.end - dataset.days * 86_400;
  let series = 0;
  for (let d = 0; d < FLEET; d++) {
    const name = `model-${String(d).padStart(2, '0')}`;
    const target = dataset.store.upsertTarget(`fleet:${name}`, name, `http://10.0.${d}.1:8000`);
    const metrics = new VllmMetrics(name);
    const keys = metrics.keys();
    series = keys.length;
    const exported = keys.flatMap((key, index) =>
      EXPORTED.test(key) ? [[key.replace('{', `{instance="10.0.${d}.1:8000",job="vllm",`), index] as const] : [],
    );
    const baseRate = 2 + 8 * random.next();
    const ttft = 0.05 + 0.4 * random.next();
    const errorShare = 0.03 * random.next();
    const phase = 2 * Math.PI * random.next();
    dataset.store.batch(() => {
      for (let t = start; t <= dataset.end; t += dataset.intervalSeconds) {
        const rate = baseRate * (0.6 + 0.4 * Math.sin((2 * Math.PI * t) / 86_400 + phase));
        const requests = Math.round(rate * dataset.intervalSeconds * (0.8 + 0.4 * random.next()));
        for (let i = 0; i < 8; i++) {
          metrics.observe(
            'vllm:time_to_first_token_seconds',
            random.logNormal(ttft, 0.6),
            Math.floor(requests / 8) + (i < requests % 8 ? 1 : 0),
          );
        }
        const errors = Math.round(requests * errorShare * 2 * random.next());
        metrics.finish('stop', requests - errors);
        metrics.finish('abort', errors);
        metrics.httpResponse('2xx', requests - errors);
        metrics.httpResponse('5xx', errors);
        metrics.inc('vllm:generation_tokens_total', requests * 150);
        metrics.setGauge('vllm:num_requests_waiting', Math.floor(random.next() * rate));
        metrics.setGauge('vllm:num_requests_running', Math.min(16, requests));
        const values = metrics.values();
        dataset.store.append(target.id, t, keys, values);
        if (blocks) for (const [key, index] of exported) blocks.add(key, values[index] as number, t);
      }
    });
  }
  return series;
}

interface BenchQuery {
  label: string;
  dataset: Dataset;
  query: CuratedQuery;
}

const KINDS: Array<[MetricKind, string]> = [
  ['queue_depth', 'queue depth'],
  ['ttft', 'p95 TTFT'],
  ['error_rate', 'error rate'],
  ['throughput', 'throughput'],
];

/** The steps the assistant asks for over a span: a chart's (about 120 points, query_metrics) and an analysis' (about 600, detect_anomalies). */
function stepsFor(spanSeconds: number, interval: number): number[] {
  const step = (points: number) => Math.max(interval, Math.ceil(spanSeconds / points / interval) * interval);
  return [...new Set([step(600), step(120)])];
}

function queriesFor(day: Dataset, week: Dataset): BenchQuery[] {
  const out: BenchQuery[] = [];
  const spans: Array<[string, number, Dataset, number[]]> = [
    ['1 h', 3600, day, stepsFor(3600, day.intervalSeconds)],
    // The issue's reference case is one day at a 5-minute step.
    ['1 day', 86_400, day, [...new Set([...stepsFor(86_400, day.intervalSeconds), 300])].sort((a, b) => a - b)],
    ['7 days', 7 * 86_400, week, stepsFor(7 * 86_400, week.intervalSeconds)],
  ];
  for (const [span, seconds, dataset, steps] of spans) {
    for (const step of steps) {
      for (const [kind, about] of KINDS) {
        out.push({
          label: `${about}, ${span}, step ${step}s`,
          dataset,
          query: {
            kind,
            start: new Date((dataset.end - seconds) * 1000),
            end: new Date(dataset.end * 1000),
            stepSeconds: step,
            quantile: kind === 'ttft' ? 0.95 : undefined,
          },
        });
      }
    }
  }
  return out;
}

/**
 * Fleet-wide queries (all 50 deployments) over 1 h, 1 day and 7 days, on the embedded store
 * and on Prometheus holding the same samples (promtool back-fill of the series the queries
 * read), measured alternately in one run and printed with their ratio. One day is at a 15 s
 * scrape interval (the issue's case), seven days at the default 60 s.
 */
export async function benchQueries(rounds = 5): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'llmops-bench-query-'));
  const withPrometheus = onPath('prometheus') && onPath('promtool');
  let prometheus: RunningPrometheus | undefined;
  const dayDb = openDatabase(join(dir, 'day'));
  const weekDb = openDatabase(join(dir, 'week'));
  try {
    const blocks = withPrometheus ? new OpenMetricsBlocks(join(dir, 'openmetrics')) : undefined;
    const end = Math.floor(Date.now() / 1000 / 60) * 60;
    const day: Dataset = { label: '1 day at 15 s', days: 1, intervalSeconds: 15, end, store: new MetricStore(dayDb) };
    // Seven days ending a day before the first set starts, so one Prometheus holds both without overlap.
    const week: Dataset = {
      label: '7 days at 60 s',
      days: 7,
      intervalSeconds: 60,
      end: end - 2 * 86_400,
      store: new MetricStore(weekDb),
    };
    for (const [dataset, seed] of [
      [day, 3],
      [week, 4],
    ] as const) {
      const started = performance.now();
      const series = writeFleet(dataset, seed, blocks);
      console.log(
        `embedded queries: ${FLEET} deployments × ${series} series, ${dataset.label}: written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    const sources: Array<[string, (dataset: Dataset) => MetricsSource]> = [
      ['embedded', (dataset) => new EmbeddedSource(dataset.store, dataset.intervalSeconds)],
    ];
    if (blocks) {
      const files = blocks.close();
      const started = performance.now();
      await createBlocks(files, join(dir, 'tsdb'));
      // About 2 GB of text: gone as soon as the blocks are written.
      rmSync(join(dir, 'openmetrics'), { recursive: true, force: true });
      prometheus = await startPrometheusOnBlocks(join(dir, 'tsdb'), dir);
      const version = execFileSync('prometheus', ['--version'], { encoding: 'utf8' }).split('\n')[0];
      console.log(
        `  Prometheus: ${version}; ${blocks.samples.toLocaleString('en-US')} samples of the queried series (${EXPORTED.source
          .replace(/[()^[\]{}]/g, '')
          .split('|')
          .join(
            ', ',
          )}) back-filled with promtool and compacted into ${await prometheus.blocks()} blocks in ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
      const url = prometheus.url;
      sources.push([
        'prometheus',
        (dataset) =>
          new PrometheusSource({
            url,
            timeoutMs: 120_000,
            deploymentLabel: 'model_name',
            scrapeIntervalSeconds: dataset.intervalSeconds,
          }),
      ]);
    } else {
      console.log('  Prometheus column skipped: no prometheus and promtool on PATH (apt-get install prometheus to compare)');
    }

    const queries = queriesFor(day, week);
    const clients = new Map<string, Map<Dataset, MetricsSource>>();
    for (const [name, make] of sources) clients.set(name, new Map([day, week].map((dataset) => [dataset, make(dataset)])));
    const timings = new Map<BenchQuery, Map<string, number[]>>();
    const answers = new Map<BenchQuery, Map<string, QueryAnswer>>();
    for (let round = -1; round < rounds; round++) {
      for (const bench of queries) {
        for (const [name] of sources) {
          const source = clients.get(name)?.get(bench.dataset) as MetricsSource;
          const started = performance.now();
          const answer = await source.curated(bench.query);
          const elapsed = performance.now() - started;
          // Round -1 warms both up (Prometheus' list of metric names, the store's layouts) and is not counted.
          if (round < 0) continue;
          const byName = timings.get(bench) ?? new Map<string, number[]>();
          byName.set(name, [...(byName.get(name) ?? []), elapsed]);
          timings.set(bench, byName);
          answers.set(bench, (answers.get(bench) ?? new Map()).set(name, answer));
        }
      }
    }
    console.log(
      `  all ${FLEET} deployments; median of ${rounds} runs, the two sources alternating; Δ: median relative difference of their values`,
    );
    const width = Math.max(...queries.map((q) => q.label.length));
    console.log(`  ${'query'.padEnd(width)}   embedded  ${withPrometheus ? 'prometheus    ratio        Δ' : ''}`);
    for (const bench of queries) {
      const embedded = median(timings.get(bench)?.get('embedded') ?? []);
      let line = `  ${bench.label.padEnd(width)}  ${ms(embedded)}`;
      const remote = timings.get(bench)?.get('prometheus');
      if (remote) {
        const reference = median(remote);
        const byName = answers.get(bench);
        const delta = relativeDifference(byName?.get('embedded'), byName?.get('prometheus'));
        line += `  ${ms(reference)}  ${`${(embedded / reference).toFixed(2)}×`.padStart(7)}  ${`${(delta * 100).toFixed(2)}%`.padStart(7)}`;
      }
      console.log(line);
    }
  } finally {
    await prometheus?.stop();
    dayDb.close();
    weekDb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`.padStart(10);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The median of |a − b| / |b| over the points both answers have (same deployment, same time). */
function relativeDifference(a: QueryAnswer | undefined, b: QueryAnswer | undefined): number {
  if (!a || !b) return Number.NaN;
  const reference = new Map<string, number>();
  for (const series of b.series) for (const point of series.points) reference.set(`${series.deployment}@${point.t}`, point.v);
  const deltas: number[] = [];
  for (const series of a.series) {
    for (const point of series.points) {
      const other = reference.get(`${series.deployment}@${point.t}`);
      if (other === undefined) continue;
      deltas.push(other === 0 ? (point.v === 0 ? 0 : 1) : Math.abs(point.v - other) / Math.abs(other));
    }
  }
  return median(deltas);
}
