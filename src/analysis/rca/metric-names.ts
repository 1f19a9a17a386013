import { METRIC_KINDS } from '../../metrics/curated-metrics.ts';

/**
 * What a metric file or a `__name__` means, however it is spelled: `ttft_p95`, `vllm:time_to_first_token_seconds`,
 * `model:vllm_request_prompt_tokens:mean5m`, `timeToFirstTokenP95`, `p95_latency_ms`, `DCGM_FI_DEV_GPU_UTIL`.
 * The name is split into words (on `_ : . - /`, spaces and camelCase), plurals and synonyms are folded
 * (`req`→request, `failures`/`5xx`→error, `util`→usage, `avg`→mean, `input`→prompt, `completion`→generation),
 * quantiles, windows, aggregations and prefixes are dropped, and the unit is kept aside (`ms` → × 0.001,
 * `percent` → × 0.01). Then the first rule whose words are all present names the kind.
 */
export interface RecognisedMetric {
  /** The engine's name for it: a curated kind (ttft, queue_depth, …), one of ENGINE_METRICS, or the plain name. */
  kind: string;
  known: boolean;
  /** Multiply values by this to get the kind's unit (seconds, ratios). */
  scale: number;
}

/** Metrics the engine reads besides the curated kinds. */
export const ENGINE_METRICS = [
  'prompt_length',
  'generation_length',
  'prompt_throughput',
  'prefill_time',
  'decode_time',
  'gpu_utilization',
  'gpu_temperature',
  'gpu_memory',
  'cpu_usage',
  'memory_usage',
] as const;

/** Kinds that are shares (0–1); a series of one whose values exceed 1.5 is in percent. */
export const RATIO_METRICS = new Set(['kv_cache_usage', 'gpu_utilization', 'error_rate']);

const SYNONYMS: Record<string, string> = {
  req: 'request',
  reqs: 'request',
  err: 'error',
  errors: 'error',
  failure: 'error',
  failures: 'error',
  failed: 'error',
  fail: 'error',
  '5xx': 'error',
  util: 'usage',
  utilization: 'usage',
  utilisation: 'usage',
  used: 'usage',
  use: 'usage',
  busy: 'usage',
  temp: 'temperature',
  len: 'length',
  avg: 'mean',
  average: 'mean',
  input: 'prompt',
  completion: 'generation',
  output: 'generation',
  generated: 'generation',
  preempt: 'preemption',
  preempted: 'preemption',
  pending: 'waiting',
  queued: 'waiting',
  inflight: 'running',
  active: 'running',
  concurrency: 'running',
  mem: 'memory',
  framebuffer: 'fb',
  sec: 'second',
  s: 'second',
  latencies: 'latency',
  duration: 'latency',
};

/** Words that carry no meaning for the kind (prefixes, aggregations, quantiles, windows). */
const NOISE =
  /^(vllm|model|models|deployment|node|pod|namespace|job|instance|service|app|http|sum|max|min|by|histogram|bucket|quantile|dcgm|fi|dev|prof|num|number|of|the|k8s|container|level|gauge|counter|value|values|series|metric|metrics|p\d{1,3}|q\d{1,3}|\d+(\.\d+)?|\d+[smhd])$/;
const RATE = /^(rate|irate|increase|total|count|rps|qps|tps)$/;
const TIME_UNITS: Record<string, number> = {
  second: 1,
  seconds: 1,
  ms: 0.001,
  msec: 0.001,
  millisecond: 0.001,
  milliseconds: 0.001,
  millis: 0.001,
  us: 1e-6,
  microsecond: 1e-6,
  microseconds: 1e-6,
};

/** The words of a metric name, lower case, plurals folded, synonyms applied (noise words kept for the rules to drop). */
export function metricWords(name: string): string[] {
  return name
    .replace(/\.json$/i, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9.µ]+|\.(?!\d)/)
    .flatMap((w) => {
      // `rate5m`, `mean5m`, `p95_5m` → the word and its window.
      const windowed = /^([a-z]+)(\d+[smhd])$/.exec(w);
      return windowed ? [windowed[1] as string, windowed[2] as string] : [w];
    })
    .filter((w) => w.length > 0)
    .map((w) =>
      w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !(w in TIME_UNITS) ? w.slice(0, -1) : w,
    )
    .map((w) => SYNONYMS[w] ?? w);
}

type Words = Set<string>;
const REQUEST_WORDS = new Set([
  'request',
  'query',
  'success',
  'successful',
  'incoming',
  'completed',
  'served',
  'finished',
  'received',
  'handled',
  'per',
  'second',
]);
const has = (w: Words, ...any: string[]) => any.some((a) => w.has(a));

/** Ordered: the first rule that holds names the kind (TTFT before TPOT, errors before request rates, times before depths). */
const RULES: ReadonlyArray<{ kind: string; when: (w: Words, facts: { rate: boolean; time: boolean }) => boolean }> = [
  { kind: 'ttft', when: (w) => has(w, 'ttft') || (w.has('first') && has(w, 'token', 'byte')) },
  { kind: 'error_rate', when: (w) => w.has('error') },
  {
    kind: 'tpot',
    when: (w) =>
      has(w, 'tpot', 'itl', 'tbt') ||
      (w.has('inter') && w.has('token')) ||
      (w.has('per') && w.has('token') && has(w, 'time', 'latency')) ||
      (w.has('token') && w.has('latency')),
  },
  { kind: 'queue_time', when: (w, f) => w.has('queue') && (has(w, 'time', 'latency') || f.time) },
  { kind: 'prefill_time', when: (w, f) => w.has('prefill') && (has(w, 'time', 'latency') || f.time) },
  { kind: 'decode_time', when: (w, f) => w.has('decode') && (has(w, 'time', 'latency') || f.time) },
  { kind: 'preemptions', when: (w) => w.has('preemption') },
  // The prefix cache's hit rate is not its fill level.
  { kind: '', when: (w) => w.has('hit') },
  { kind: 'kv_cache_usage', when: (w) => w.has('kv') || (w.has('cache') && has(w, 'usage', 'perc')) },
  { kind: 'gpu_temperature', when: (w) => w.has('temperature') },
  { kind: 'gpu_memory', when: (w) => (has(w, 'gpu', 'fb') && has(w, 'memory', 'fb')) || (w.has('fb') && w.has('usage')) },
  { kind: 'gpu_utilization', when: (w) => w.has('gpu') && (w.has('usage') || w.size === 1) },
  { kind: 'queue_depth', when: (w) => w.has('waiting') || w.has('queue') || w.has('backlog') },
  { kind: 'running', when: (w) => w.has('running') || (w.has('batch') && w.has('size')) },
  {
    kind: 'prompt_throughput',
    when: (w, f) => has(w, 'prompt', 'prefill') && (f.rate || w.has('throughput') || w.has('second')),
  },
  { kind: 'prompt_length', when: (w) => w.has('prompt') && has(w, 'token', 'length', 'mean', 'size') },
  {
    kind: 'throughput',
    when: (w, f) =>
      (has(w, 'generation', 'decode', 'token') && (f.rate || w.has('throughput') || w.has('second'))) || w.has('throughput'),
  },
  { kind: 'generation_length', when: (w) => w.has('generation') && has(w, 'token', 'length', 'mean') },
  {
    kind: 'e2e_latency',
    when: (w, f) => has(w, 'e2e', 'latency', 'rtt') || (w.has('end') && w.has('to')) || (w.has('request') && f.time),
  },
  // Requests counted, and nothing else said about them (`num_requests_swapped` is not a rate of requests).
  {
    kind: 'request_rate',
    when: (w, f) => (has(w, 'request', 'query') && [...w].every((x) => REQUEST_WORDS.has(x))) || (f.rate && w.size === 0),
  },
  { kind: 'cpu_usage', when: (w) => w.has('cpu') },
  { kind: 'memory_usage', when: (w) => has(w, 'memory', 'rss', 'working') },
];

/** The engine's kind, whether it knows it, and the unit factor for a metric file name or `__name__`. */
export function recogniseMetric(name: string): RecognisedMetric {
  const words = metricWords(name);
  let scale = 1;
  let time = false;
  let rate = false;
  const meaningful = new Set<string>();
  for (const [i, w] of words.entries()) {
    if (w in TIME_UNITS) {
      // "per second" is a rate, not a duration.
      if (words[i - 1] === 'per') rate = true;
      else {
        time = true;
        scale = TIME_UNITS[w] as number;
      }
      continue;
    }
    if (w === 'percent' || w === 'pct' || w === 'percentage') {
      scale = 0.01;
      continue;
    }
    if (RATE.test(w)) {
      rate = true;
      if (w === 'rps' || w === 'qps') meaningful.add('request');
      if (w === 'tps') meaningful.add('throughput');
      continue;
    }
    if (
      NOISE.test(w) ||
      w === 'ratio' ||
      w === 'perc' ||
      w === 'byte' ||
      w === 'bytes' ||
      w === 'mib' ||
      w === 'gib' ||
      w === 'celsius'
    )
      continue;
    meaningful.add(w);
  }
  const plain = name.replace(/\.json$/i, '');
  if (meaningful.size === 0 && !rate) return { kind: plain, known: false, scale: 1 };
  for (const rule of RULES) {
    if (!rule.when(meaningful, { rate, time })) continue;
    if (rule.kind === '') break;
    return { kind: rule.kind, known: true, scale };
  }
  return { kind: plain, known: false, scale: 1 };
}

/** Every kind the engine reads: the curated kinds and ENGINE_METRICS. */
export const KNOWN_METRICS: readonly string[] = [...METRIC_KINDS, ...ENGINE_METRICS];
