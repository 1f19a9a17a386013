import type { MetricKind } from './curated-metrics.ts';

/**
 * How one server family exposes a curated kind. Histograms give quantiles from bucket
 * increases, counters give per-second rates, ratios divide two counter rates, gauges
 * are summed or averaged across a deployment's replicas.
 */
export type MetricFamilyRef =
  | { type: 'histogram'; name: string }
  | { type: 'counter'; name: string }
  | {
      type: 'ratio';
      name: string;
      numerator: Record<string, string>;
      /**
       * A family without the deployment label (vLLM's HTTP metrics carry none): Prometheus
       * borrows it, per instance, from this series of the same server.
       */
      labelsFrom?: string;
    }
  | { type: 'gauge'; name: string; aggregate: 'sum' | 'avg' };

/**
 * Per kind, the names to look for, in order: current vLLM first, then older vLLM names,
 * then TGI's. A source asks the server which of these it exposes and uses the first.
 */
export const METRIC_ALTERNATIVES: Record<MetricKind, MetricFamilyRef[]> = {
  ttft: [{ type: 'histogram', name: 'vllm:time_to_first_token_seconds' }],
  tpot: [
    { type: 'histogram', name: 'vllm:inter_token_latency_seconds' },
    { type: 'histogram', name: 'vllm:time_per_output_token_seconds' },
    { type: 'histogram', name: 'tgi_request_mean_time_per_token_duration' },
  ],
  e2e_latency: [
    { type: 'histogram', name: 'vllm:e2e_request_latency_seconds' },
    { type: 'histogram', name: 'tgi_request_duration' },
  ],
  queue_time: [
    { type: 'histogram', name: 'vllm:request_queue_time_seconds' },
    { type: 'histogram', name: 'tgi_request_queue_duration' },
  ],
  request_rate: [
    { type: 'counter', name: 'vllm:request_success_total' },
    { type: 'counter', name: 'tgi_request_count' },
  ],
  throughput: [
    { type: 'counter', name: 'vllm:generation_tokens_total' },
    { type: 'counter', name: 'tgi_request_generated_tokens_sum' },
  ],
  error_rate: [
    // vLLM's API server is instrumented by prometheus-fastapi-instrumentator (status grouped as 2xx, 5xx…),
    // without model_name: the deployment comes from the engine's own series on the same instance.
    { type: 'ratio', name: 'http_requests_total', numerator: { status: '5xx' }, labelsFrom: 'vllm:num_requests_running' },
    { type: 'ratio', name: 'vllm:request_success_total', numerator: { finished_reason: 'abort' } },
  ],
  queue_depth: [
    { type: 'gauge', name: 'vllm:num_requests_waiting', aggregate: 'sum' },
    { type: 'gauge', name: 'tgi_queue_size', aggregate: 'sum' },
  ],
  running: [
    { type: 'gauge', name: 'vllm:num_requests_running', aggregate: 'sum' },
    { type: 'gauge', name: 'tgi_batch_current_size', aggregate: 'sum' },
  ],
  kv_cache_usage: [
    { type: 'gauge', name: 'vllm:kv_cache_usage_perc', aggregate: 'avg' },
    { type: 'gauge', name: 'vllm:gpu_cache_usage_perc', aggregate: 'avg' },
  ],
  preemptions: [{ type: 'counter', name: 'vllm:num_preemptions_total' }],
};

/** The sample name a family's presence is detected by (histograms by their `_bucket` series). */
export function exposedName(family: MetricFamilyRef): string {
  return family.type === 'histogram' ? `${family.name}_bucket` : family.name;
}

/** Picks the first alternative the server exposes, or undefined. */
export function chooseFamily(kind: MetricKind, exposed: ReadonlySet<string>): MetricFamilyRef | undefined {
  return METRIC_ALTERNATIVES[kind].find((family) => exposed.has(exposedName(family)));
}
