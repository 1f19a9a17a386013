/**
 * The curated serving metrics people ask about, named by what they mean rather than by
 * a server's metric name. Each maps to current vLLM's metric (the demo fleet exposes
 * the same names); the metric sources turn a kind into PromQL or an embedded query.
 */
export const CURATED_METRICS = {
  ttft: { unit: 's', vllm: 'vllm:time_to_first_token_seconds', about: 'time to first token' },
  tpot: { unit: 's', vllm: 'vllm:inter_token_latency_seconds', about: 'time per output token' },
  e2e_latency: { unit: 's', vllm: 'vllm:e2e_request_latency_seconds', about: 'end-to-end request latency' },
  queue_time: { unit: 's', vllm: 'vllm:request_queue_time_seconds', about: 'time requests wait in the queue' },
  request_rate: { unit: 'req/s', vllm: 'vllm:request_success_total', about: 'requests per second' },
  throughput: { unit: 'tokens/s', vllm: 'vllm:generation_tokens_total', about: 'generated tokens per second' },
  error_rate: { unit: 'ratio', vllm: 'vllm:request_success_total', about: 'share of requests that failed' },
  queue_depth: { unit: 'requests', vllm: 'vllm:num_requests_waiting', about: 'requests waiting' },
  running: { unit: 'requests', vllm: 'vllm:num_requests_running', about: 'requests running' },
  kv_cache_usage: { unit: 'ratio', vllm: 'vllm:kv_cache_usage_perc', about: 'KV-cache use' },
  preemptions: { unit: '1/s', vllm: 'vllm:num_preemptions_total', about: 'preemptions per second' },
} as const;

export type MetricKind = keyof typeof CURATED_METRICS;
export const METRIC_KINDS = Object.keys(CURATED_METRICS) as [MetricKind, ...MetricKind[]];

/** Kinds that are histograms, where a quantile applies. */
export const LATENCY_KINDS: readonly MetricKind[] = ['ttft', 'tpot', 'e2e_latency', 'queue_time'];
