import { VllmMetrics } from '../../src/demo/vllm-metrics.ts';
import { seriesKey } from '../../src/metrics/series-key.ts';
import { Random } from '../../src/random/seeded-random.ts';

/** One scrape as a store receives it. */
export interface Scrape {
  target: string;
  deployment: string;
  /** Unix seconds, with milliseconds. */
  t: number;
  keys: string[];
  values: Float64Array;
}

export interface HistoryOptions {
  seed: number;
  start: number;
  scrapes: number;
  intervalSeconds: number;
}

/**
 * A few hours of scrapes with what real servers do to a store: two replicas of one
 * deployment and a third deployment, millisecond jitter, a server restart (counters
 * reset), a scrape that failed now and then, an hour-long outage, a second engine whose
 * series appear and go away, a family that appears mid-way, NaN gauges, and a label value
 * (finished_reason="abort") first seen late. Scrapes come in time order per target.
 */
export function scrapeHistory(options: HistoryOptions): Scrape[] {
  const random = new Random(options.seed);
  const targets = [
    { target: 'sim:llama', deployment: 'llama' },
    { target: 'sim:llama#1', deployment: 'llama' },
    { target: 'sim:qwen', deployment: 'qwen' },
  ];
  const out: Scrape[] = [];
  for (const [index, { target, deployment }] of targets.entries()) {
    let metrics = new VllmMetrics(deployment);
    const restartAt = Math.floor(options.scrapes * (0.3 + 0.2 * index));
    const outage = {
      from: Math.floor(options.scrapes * 0.55),
      to: Math.floor(options.scrapes * 0.55) + 3600 / options.intervalSeconds,
    };
    const engine1 = { from: Math.floor(options.scrapes * 0.2), to: Math.floor(options.scrapes * 0.45) };
    let aborted = false;
    for (let k = 0; k < options.scrapes; k++) {
      if (k === restartAt) metrics = new VllmMetrics(deployment);
      const requests = Math.floor(random.next() * 40);
      for (let i = 0; i < 4; i++) metrics.observe('vllm:time_to_first_token_seconds', random.logNormal(0.3, 0.7), requests / 4);
      metrics.observe('vllm:e2e_request_latency_seconds', random.logNormal(2, 0.5), requests);
      metrics.inc('vllm:generation_tokens_total', requests * 120 * random.next());
      const failed = random.next() < 0.2 ? Math.floor(requests / 5) : 0;
      metrics.finish('stop', requests - failed);
      metrics.finish('abort', failed);
      metrics.httpResponse('2xx', requests - failed);
      metrics.httpResponse('5xx', failed);
      if (failed > 0) aborted = true;
      metrics.setGauge('vllm:num_requests_waiting', random.next() < 0.05 ? Number.NaN : Math.floor(random.next() * 9));
      metrics.setGauge('vllm:num_requests_running', Math.floor(random.next() * 16));
      metrics.setGauge('vllm:kv_cache_usage_perc', random.next());
      if (k >= outage.from && k < outage.to) continue;
      if (random.next() < 0.03) continue;
      const snapshot = metrics.snapshot();
      const abort = seriesKey('vllm:request_success_total', { engine: '0', finished_reason: 'abort', model_name: deployment });
      if (!aborted) snapshot.delete(abort);
      if (k >= engine1.from && k < engine1.to) {
        snapshot.set(
          seriesKey('vllm:num_requests_waiting', { engine: '1', model_name: deployment }),
          Math.floor(random.next() * 5),
        );
        snapshot.set(seriesKey('vllm:num_preemptions_total', { engine: '1', model_name: deployment }), k - engine1.from);
      }
      if (k > options.scrapes / 2)
        snapshot.set(seriesKey('tgi_queue_size', { model_name: deployment }), Math.floor(random.next() * 3));
      const t = options.start + k * options.intervalSeconds + Math.floor(random.next() * 900) / 1000;
      out.push({ target, deployment, t, keys: [...snapshot.keys()], values: Float64Array.from(snapshot.values()) });
    }
  }
  return out;
}
