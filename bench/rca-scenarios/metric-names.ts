import type { MetricId } from './incident-types.ts';

/**
 * How people name the files they export: the README's kinds, vLLM's own metric names (with
 * `:` or with `_` where a file system or a habit replaced it), recording-rule names, common
 * dashboard names and camelCase. A name carries its unit: `_ms` means milliseconds, `pct`
 * a percentage, DCGM's framebuffer memory MiB.
 */
export const NAME_STYLES = ['readme', 'vllm', 'recording', 'common', 'camel'] as const;
export type NameStyle = (typeof NAME_STYLES)[number];

export interface MetricName {
  file: string;
  /** Values are written as value × scale (1000 for ms, 100 for percent). */
  scale: number;
}

const n = (file: string, scale = 1): MetricName => ({ file, scale });

const NAMES: Record<NameStyle, Partial<Record<MetricId, MetricName[]>>> = {
  readme: {
    ttft: [n('ttft'), n('ttft_p95'), n('ttft_p99')],
    tpot: [n('tpot'), n('tpot_p95')],
    e2e: [n('e2e_latency'), n('e2e_latency_p95')],
    queue_time: [n('queue_time')],
    request_rate: [n('request_rate')],
    error_rate: [n('error_rate')],
    waiting: [n('queue_depth')],
    running: [n('running')],
    kv_usage: [n('kv_cache_usage')],
    preemptions: [n('preemptions')],
    prompt_len: [n('prompt_tokens_mean'), n('prompt_length')],
    gen_len: [n('generation_tokens_mean')],
    gen_tokens_rate: [n('throughput')],
    prompt_tokens_rate: [n('prompt_throughput')],
    prefill_time: [n('prefill_time')],
    decode_time: [n('decode_time')],
    gpu_util: [n('gpu_utilization', 100)],
    gpu_temp: [n('gpu_temperature')],
    gpu_mem: [n('gpu_memory_used')],
    cpu: [n('cpu_usage')],
    memory_bytes: [n('memory_usage_bytes')],
  },
  vllm: {
    ttft: [
      n('vllm:time_to_first_token_seconds_p95'),
      n('vllm:time_to_first_token_seconds:p99'),
      n('vllm:time_to_first_token_seconds'),
    ],
    tpot: [
      n('vllm:time_per_output_token_seconds_p95'),
      n('vllm:inter_token_latency_seconds_p95'),
      n('vllm:time_per_output_token_seconds'),
    ],
    e2e: [n('vllm:e2e_request_latency_seconds_p95'), n('vllm:e2e_request_latency_seconds:p99')],
    queue_time: [n('vllm:request_queue_time_seconds_p95')],
    request_rate: [n('http_requests_total'), n('vllm:http_requests_rate')],
    success_rate: [n('vllm:request_success_total'), n('vllm:request_success_rate')],
    error_rate: [n('http_requests_5xx_ratio'), n('vllm:request_failure_ratio')],
    waiting: [n('vllm:num_requests_waiting')],
    running: [n('vllm:num_requests_running')],
    kv_usage: [n('vllm:gpu_cache_usage_perc'), n('vllm:kv_cache_usage_perc')],
    preemptions: [n('vllm:num_preemptions_total'), n('vllm:num_preemptions_rate')],
    prompt_len: [n('vllm:request_prompt_tokens_mean'), n('vllm:request_prompt_tokens_avg')],
    gen_len: [n('vllm:request_generation_tokens_mean'), n('vllm:request_generation_tokens_avg')],
    gen_tokens_rate: [n('vllm:generation_tokens_total'), n('vllm:generation_tokens_rate')],
    prompt_tokens_rate: [n('vllm:prompt_tokens_total'), n('vllm:prompt_tokens_rate')],
    prefill_time: [n('vllm:request_prefill_time_seconds_p95')],
    decode_time: [n('vllm:request_decode_time_seconds_p95')],
    gpu_util: [n('DCGM_FI_DEV_GPU_UTIL', 100)],
    gpu_temp: [n('DCGM_FI_DEV_GPU_TEMP')],
    gpu_mem: [n('DCGM_FI_DEV_FB_USED', 81920)],
    cpu: [n('container_cpu_usage_seconds_total')],
    memory_bytes: [n('container_memory_working_set_bytes')],
  },
  recording: {
    ttft: [n('model:vllm_time_to_first_token_seconds:p95_5m'), n('deployment:ttft_seconds:p99')],
    tpot: [n('model:vllm_time_per_output_token_seconds:p95_5m'), n('deployment:itl_seconds:p95')],
    e2e: [n('model:vllm_e2e_request_latency_seconds:p95_5m')],
    queue_time: [n('model:vllm_request_queue_time_seconds:p95_5m')],
    request_rate: [n('deployment:http_requests:rate5m')],
    success_rate: [n('model:vllm_request_success:rate5m')],
    error_rate: [n('deployment:http_requests_5xx:ratio_rate5m'), n('model:request_errors:ratio5m')],
    waiting: [n('model:vllm_num_requests_waiting:sum')],
    running: [n('model:vllm_num_requests_running:sum')],
    kv_usage: [n('model:vllm_gpu_cache_usage_perc:avg'), n('model:vllm_kv_cache_usage:max')],
    preemptions: [n('model:vllm_num_preemptions:rate5m')],
    prompt_len: [n('model:vllm_request_prompt_tokens:mean5m')],
    gen_len: [n('model:vllm_request_generation_tokens:mean5m')],
    gen_tokens_rate: [n('model:vllm_generation_tokens:rate5m')],
    prompt_tokens_rate: [n('model:vllm_prompt_tokens:rate5m')],
    prefill_time: [n('model:vllm_request_prefill_time_seconds:p95_5m')],
    decode_time: [n('model:vllm_request_decode_time_seconds:p95_5m')],
    gpu_util: [n('node:dcgm_gpu_utilization:avg', 100)],
    gpu_temp: [n('node:dcgm_gpu_temp:max')],
    gpu_mem: [n('node:dcgm_fb_used_mib:sum', 81920)],
    cpu: [n('pod:container_cpu_usage:rate5m')],
    memory_bytes: [n('pod:container_memory_working_set_bytes:sum')],
  },
  common: {
    ttft: [n('ttft_ms_p95', 1000), n('time_to_first_token_p95'), n('first_token_latency_p99'), n('ttft_seconds')],
    tpot: [n('tpot_ms', 1000), n('itl_p95'), n('inter_token_latency_ms', 1000), n('time_per_output_token')],
    e2e: [n('p95_latency_ms', 1000), n('latency_p95_seconds'), n('request_latency_p99'), n('e2e_ms', 1000)],
    queue_time: [n('queue_wait_seconds'), n('queue_time_ms', 1000)],
    request_rate: [n('rps'), n('req_per_sec'), n('requests_per_second'), n('qps'), n('incoming_requests_rate')],
    success_rate: [n('completed_requests_rate'), n('successful_requests_per_sec')],
    error_rate: [n('error_ratio'), n('http_5xx_rate'), n('errors_pct', 100), n('failure_rate')],
    waiting: [n('queue_waiting'), n('pending_requests'), n('queue_length'), n('requests_waiting')],
    running: [n('requests_running'), n('active_requests'), n('inflight_requests'), n('batch_size')],
    kv_usage: [n('kv_cache_util', 100), n('kv_cache_utilization'), n('kv_usage_pct', 100), n('cache_usage')],
    preemptions: [n('preemptions_rate'), n('preempted_per_sec'), n('preemption_count')],
    prompt_len: [n('prompt_tokens_mean'), n('avg_prompt_len'), n('input_tokens_avg'), n('mean_input_length')],
    gen_len: [n('completion_tokens_mean'), n('avg_output_len'), n('output_tokens_avg'), n('generation_length_mean')],
    gen_tokens_rate: [n('generation_tokens_rate'), n('output_tokens_per_sec'), n('tokens_per_second'), n('decode_throughput')],
    prompt_tokens_rate: [n('prompt_tokens_rate'), n('input_tokens_per_sec'), n('prefill_throughput')],
    prefill_time: [n('prefill_latency_p95'), n('prefill_ms', 1000)],
    decode_time: [n('decode_latency_p95'), n('decode_ms', 1000)],
    gpu_util: [n('gpu_utilization', 100), n('gpu_util_pct', 100), n('gpu_busy', 100)],
    gpu_temp: [n('gpu_temp'), n('gpu_temperature_celsius')],
    gpu_mem: [n('gpu_memory_used_mib', 81920), n('gpu_mem_used', 81920)],
    cpu: [n('cpu_usage'), n('cpu_cores')],
    memory_bytes: [n('memory_rss_bytes'), n('mem_usage')],
  },
  camel: {
    ttft: [n('timeToFirstTokenP95'), n('ttftP99Ms', 1000)],
    tpot: [n('timePerOutputTokenP95'), n('interTokenLatencyMs', 1000)],
    e2e: [n('requestLatencyP95'), n('e2eLatencyMs', 1000)],
    queue_time: [n('queueTimeP95')],
    request_rate: [n('requestsPerSecond'), n('requestRate')],
    success_rate: [n('successfulRequestsPerSecond')],
    error_rate: [n('errorRate'), n('errorRatio')],
    waiting: [n('numRequestsWaiting'), n('queueDepth')],
    running: [n('numRequestsRunning'), n('activeRequests')],
    kv_usage: [n('kvCacheUsage'), n('kvCacheUtilization')],
    preemptions: [n('preemptionsPerSecond'), n('numPreemptions')],
    prompt_len: [n('promptTokensMean'), n('avgPromptTokens')],
    gen_len: [n('generationTokensMean'), n('avgCompletionTokens')],
    gen_tokens_rate: [n('generationTokensPerSecond'), n('outputTokensRate')],
    prompt_tokens_rate: [n('promptTokensPerSecond')],
    prefill_time: [n('prefillTimeP95')],
    decode_time: [n('decodeTimeP95')],
    gpu_util: [n('gpuUtilization', 100)],
    gpu_temp: [n('gpuTemperature')],
    gpu_mem: [n('gpuMemoryUsedMiB', 81920)],
    cpu: [n('cpuUsage')],
    memory_bytes: [n('memoryWorkingSetBytes')],
  },
};

/** The names a style offers for a metric (empty when the style has no name for it). */
export function namesFor(style: NameStyle, metric: MetricId): MetricName[] {
  return NAMES[style][metric] ?? [];
}

/** Swaps vLLM's `:` for `_` as file names often do (`vllm_num_requests_waiting.json`). */
export function withoutColons(name: MetricName): MetricName {
  return { ...name, file: name.file.replace(/:/g, '_') };
}
