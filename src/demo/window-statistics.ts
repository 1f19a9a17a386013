import { histogramQuantile } from '../metrics/embedded/embedded-source.ts';
import type { HistogramName, VllmMetrics } from './vllm-metrics.ts';

/** What a window of scrapes says of a server: latency quantiles as `histogram_quantile` reads them, and mean gauges. */
export interface WindowStatistics {
  requests: number;
  ttft: { p50: number; p95: number };
  itl: { p50: number; p95: number };
  e2e: { p50: number; p95: number };
  queue: { p50: number; p95: number };
  running: number;
  waiting: number;
  kvUsage: number;
}

const SUMMARISED: Record<'ttft' | 'itl' | 'e2e' | 'queue', HistogramName> = {
  ttft: 'vllm:time_to_first_token_seconds',
  itl: 'vllm:inter_token_latency_seconds',
  e2e: 'vllm:e2e_request_latency_seconds',
  queue: 'vllm:request_queue_time_seconds',
};

/**
 * Collects scrapes of one server (the same `VllmMetrics` or equal layouts) and summarises the
 * window between the first and the last: bucket increases for the quantiles, gauges averaged.
 */
export class WindowRecorder {
  private first: Map<string, number> | undefined;
  private last: Map<string, number> | undefined;
  private readonly gauges = { running: 0, waiting: 0, kvUsage: 0, samples: 0 };

  add(metrics: VllmMetrics): void {
    const snapshot = metrics.snapshot();
    this.last = snapshot;
    // The first scrape is the window's baseline, as the start of a `rate()` window is.
    if (!this.first) {
      this.first = snapshot;
      return;
    }
    const gauge = (name: string) => {
      for (const [key, value] of snapshot) if (key.startsWith(`${name}{`)) return value;
      return 0;
    };
    this.gauges.running += gauge('vllm:num_requests_running');
    this.gauges.waiting += gauge('vllm:num_requests_waiting');
    this.gauges.kvUsage += gauge('vllm:kv_cache_usage_perc');
    this.gauges.samples += 1;
  }

  statistics(): WindowStatistics {
    const quantiles = (name: HistogramName) => {
      const increases = this.increases(name);
      return { p50: histogramQuantile(0.5, increases) ?? Number.NaN, p95: histogramQuantile(0.95, increases) ?? Number.NaN };
    };
    const samples = Math.max(1, this.gauges.samples);
    const count = this.increases(SUMMARISED.e2e).get(Number.POSITIVE_INFINITY) ?? 0;
    return {
      requests: count,
      ttft: quantiles(SUMMARISED.ttft),
      itl: quantiles(SUMMARISED.itl),
      e2e: quantiles(SUMMARISED.e2e),
      queue: quantiles(SUMMARISED.queue),
      running: this.gauges.running / samples,
      waiting: this.gauges.waiting / samples,
      kvUsage: this.gauges.kvUsage / samples,
    };
  }

  /** Cumulative bucket increases by upper bound, as `rate(..._bucket[window])` sees them. */
  private increases(name: HistogramName): Map<number, number> {
    const result = new Map<number, number>();
    if (!this.first || !this.last) return result;
    const first = this.first;
    for (const [key, value] of this.last) {
      if (!key.startsWith(`${name}_bucket{`)) continue;
      const le = /le="([^"]+)"/.exec(key)?.[1];
      if (le === undefined) continue;
      result.set(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), value - (first.get(key) ?? 0));
    }
    return result;
  }
}
