import { seriesKey } from '../metrics/series-key.ts';

/**
 * The metrics of one simulated vLLM server, with current vLLM's names, types and bucket
 * boundaries (vllm/v1/metrics/loggers.py), labelled `model_name` and `engine`. The live
 * server renders them as Prometheus text; the history back-fill takes snapshots of the
 * same state, so both produce identical series.
 */
export const HISTOGRAMS = {
  'vllm:time_to_first_token_seconds': {
    help: 'Histogram of time to first token in seconds.',
    buckets: [
      0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0,
      2560.0,
    ],
  },
  'vllm:inter_token_latency_seconds': {
    help: 'Histogram of inter-token latency in seconds.',
    buckets: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0],
  },
  'vllm:e2e_request_latency_seconds': {
    help: 'Histogram of e2e request latency in seconds.',
    buckets: [
      0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0,
      7680.0,
    ],
  },
  'vllm:request_queue_time_seconds': {
    help: 'Histogram of time spent in WAITING phase for request.',
    buckets: [
      0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0,
      7680.0,
    ],
  },
} as const;
export type HistogramName = keyof typeof HISTOGRAMS;

const GAUGES = {
  'vllm:num_requests_running': 'Number of requests in model execution batches.',
  'vllm:num_requests_waiting': 'Number of requests waiting to be processed.',
  'vllm:kv_cache_usage_perc': 'KV-cache usage. 1 means 100 percent usage.',
} as const;
export type GaugeName = keyof typeof GAUGES;

const COUNTERS = {
  'vllm:num_preemptions_total': 'Cumulative number of preemption from the engine.',
  'vllm:prompt_tokens_total': 'Number of prefill tokens processed.',
  'vllm:generation_tokens_total': 'Number of generation tokens processed.',
} as const;
export type CounterName = keyof typeof COUNTERS;

export const FINISHED_REASONS = ['stop', 'length', 'abort'] as const;
export type FinishedReason = (typeof FINISHED_REASONS)[number];
export const HTTP_STATUS_GROUPS = ['2xx', '4xx', '5xx'] as const;
export type HttpStatusGroup = (typeof HTTP_STATUS_GROUPS)[number];

interface HistogramState {
  counts: number[]; // per bucket, not cumulative; last is +Inf
  sum: number;
  count: number;
}

export class VllmMetrics {
  private readonly labels: Record<string, string>;
  private readonly histograms = new Map<HistogramName, HistogramState>();
  private readonly gauges = new Map<GaugeName, number>();
  private readonly counters = new Map<CounterName, number>();
  private readonly finished = new Map<FinishedReason, number>();
  private readonly http = new Map<HttpStatusGroup, number>();

  constructor(readonly modelName: string) {
    this.labels = { engine: '0', model_name: modelName };
    for (const [name, spec] of Object.entries(HISTOGRAMS) as Array<[HistogramName, (typeof HISTOGRAMS)[HistogramName]]>) {
      this.histograms.set(name, { counts: new Array(spec.buckets.length + 1).fill(0), sum: 0, count: 0 });
    }
    for (const name of Object.keys(GAUGES) as GaugeName[]) this.gauges.set(name, 0);
    for (const name of Object.keys(COUNTERS) as CounterName[]) this.counters.set(name, 0);
    for (const reason of FINISHED_REASONS) this.finished.set(reason, 0);
    for (const group of HTTP_STATUS_GROUPS) this.http.set(group, 0);
  }

  /** Records an observation of `seconds`, `times` times over (the back-fill's equal steps). */
  observe(name: HistogramName, seconds: number, times = 1): void {
    const state = this.histograms.get(name) as HistogramState;
    const buckets = HISTOGRAMS[name].buckets;
    let index = buckets.findIndex((le) => seconds <= le);
    if (index < 0) index = buckets.length;
    state.counts[index] = (state.counts[index] ?? 0) + times;
    state.sum += seconds * times;
    state.count += times;
  }

  /** Adds many observations at once (the back-fill): `countsPerBucket` has one entry per bucket plus +Inf. */
  observeMany(name: HistogramName, countsPerBucket: ArrayLike<number>, sum: number): void {
    const state = this.histograms.get(name) as HistogramState;
    for (let index = 0; index < countsPerBucket.length; index++) {
      const count = countsPerBucket[index] as number;
      state.counts[index] = (state.counts[index] ?? 0) + count;
      state.count += count;
    }
    state.sum += sum;
  }

  setGauge(name: GaugeName, value: number): void {
    this.gauges.set(name, value);
  }

  inc(name: CounterName, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  finish(reason: FinishedReason, by = 1): void {
    this.finished.set(reason, (this.finished.get(reason) ?? 0) + by);
  }

  httpResponse(group: HttpStatusGroup, by = 1): void {
    this.http.set(group, (this.http.get(group) ?? 0) + by);
  }

  private keyCache: string[] | undefined;

  /** Every series' canonical key, in a fixed order that `values()` follows. */
  keys(): string[] {
    if (!this.keyCache) {
      const keys: string[] = [];
      for (const name of this.counters.keys()) keys.push(seriesKey(name, this.labels));
      for (const name of this.gauges.keys()) keys.push(seriesKey(name, this.labels));
      for (const reason of this.finished.keys())
        keys.push(seriesKey('vllm:request_success_total', { ...this.labels, finished_reason: reason }));
      for (const group of this.http.keys())
        keys.push(seriesKey('http_requests_total', { handler: '/v1/chat/completions', method: 'POST', status: group }));
      for (const name of this.histograms.keys()) {
        const buckets = HISTOGRAMS[name].buckets;
        for (let index = 0; index <= buckets.length; index++) {
          const le = index < buckets.length ? formatLe(buckets[index] as number) : '+Inf';
          keys.push(seriesKey(`${name}_bucket`, { ...this.labels, le }));
        }
        keys.push(seriesKey(`${name}_sum`, this.labels), seriesKey(`${name}_count`, this.labels));
      }
      this.keyCache = keys;
    }
    return this.keyCache;
  }

  /** Every series' current value, in the order of `keys()`. */
  values(): Float64Array {
    // Written in place: the back-fill takes one snapshot per scrape interval for weeks of history.
    const out = new Float64Array(this.keys().length);
    let i = 0;
    for (const group of [this.counters, this.gauges, this.finished, this.http] as Array<Map<unknown, number>>)
      for (const value of group.values()) out[i++] = value;
    for (const state of this.histograms.values()) {
      let cumulative = 0;
      for (const count of state.counts) {
        cumulative += count;
        out[i++] = cumulative;
      }
      out[i++] = state.sum;
      out[i++] = state.count;
    }
    return out;
  }

  /** Every series as `name{labels}` → value, as a scraper would store it. */
  snapshot(): Map<string, number> {
    const values = this.values();
    return new Map(this.keys().map((key, index) => [key, values[index] as number]));
  }

  /** Prometheus text exposition format 0.0.4, with HELP and TYPE lines. */
  render(): string {
    const snapshot = this.snapshot();
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [key, value] of snapshot) {
        const base = key.slice(0, key.indexOf('{') < 0 ? key.length : key.indexOf('{'));
        if (base === name || (type === 'histogram' && [`${name}_bucket`, `${name}_sum`, `${name}_count`].includes(base))) {
          lines.push(`${key} ${formatValue(value)}`);
        }
      }
    };
    for (const [name, help] of Object.entries(GAUGES)) family(name, 'gauge', help);
    for (const [name, help] of Object.entries(COUNTERS)) family(name, 'counter', help);
    family('vllm:request_success_total', 'counter', 'Count of successfully processed requests.');
    for (const [name, spec] of Object.entries(HISTOGRAMS)) family(name, 'histogram', spec.help);
    family('http_requests_total', 'counter', 'Total number of requests by method, status and handler.');
    return `${lines.join('\n')}\n`;
  }
}

function formatLe(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
