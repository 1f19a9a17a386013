import type { CauseKind } from './cause-kinds.ts';

/**
 * What a log template or an alert's text points at. Order matters: the first match wins, so
 * "NCCL timeout" is hardware before "timeout" is a dependency. Patterns are the messages vLLM,
 * CUDA drivers, Kubernetes and common HTTP clients actually print.
 *
 * Hardware comes in two strengths. Direct: what only the hardware or the driver's view of it
 * reports (an Xid, an ECC error, a GPU off the bus, NVLink errors, a DCGM health watch). Indirect:
 * what a failing GPU causes but a bad build causes too (CUDA errors, an illegal memory access, an
 * NCCL hang, a dead engine loop, NVML trouble).
 */
const SIGNATURES: ReadonlyArray<{ kind: CauseKind; label: string; pattern: RegExp; direct?: boolean }> = [
  {
    kind: 'hardware_fault',
    label: 'GPU hardware error',
    direct: true,
    pattern:
      /\bXid\b|fallen off the bus|\bECC\b|double[- ]bit error|\bDBE\b|uncorrectable|page retirement|row remap|NVLink(?::| error| fatal)|GPU (?:is )?lost|hardware error|DCGM_HEALTH/i,
  },
  {
    kind: 'hardware_fault',
    label: 'GPU or driver error',
    pattern:
      /CUDA error|illegal memory access|unspecified launch failure|NCCL (?:error|timeout|watchdog)|Watchdog caught collective|ProcessGroupNCCL|device-side assert|cudaError|\bnvml\b|nvidia-smi|AsyncEngineDeadError|Background loop has errored|engine (?:loop|core|process) (?:has )?died|EngineCore\S* died/i,
  },
  {
    kind: 'resource_exhaustion',
    label: 'memory or KV-cache pressure',
    pattern:
      /preempt(?:ed|ing)|not enough KV cache|KV cache (?:is )?full|out of memory|\bOOM\b|OOMKilled|OutOfMemory|memory pressure|no free blocks|swap(?:ped|ping) out/i,
  },
  {
    kind: 'input_shift',
    label: 'unusual requests',
    pattern:
      /maximum context length|prompt (?:is )?too long|exceeds? (?:the )?(?:max(?:imum)?[ _](?:model[ _])?len|limit of)|input (?:length|tokens|prompt) .*(?:exceed|too long)|truncat(?:ed|ing) (?:the )?prompt/i,
  },
  {
    kind: 'dependency_failure',
    label: 'a dependency failing',
    pattern:
      /timed out|\btimeout\b|connection (?:refused|reset)|ECONNREFUSED|ECONNRESET|upstream|dependency|name resolution|getaddrinfo|\bunreachable\b|Read ?Timeout|Connect(?:ion)? ?(?:Error|Timeout)|DEADLINE_EXCEEDED|circuit breaker|Errno 111|returned (?:HTTP )?5\d\d|5\d\d (?:Bad Gateway|Service Unavailable|Gateway Timeout) (?:from|for)|Bad Gateway|Gateway Timeout/i,
  },
  {
    kind: 'traffic_surge',
    label: 'load shedding',
    pattern: /rate limit|Too Many Requests|\b429\b|queue (?:is )?full|server overloaded/i,
  },
  {
    kind: 'deployment_change',
    label: 'a restart or new build',
    pattern:
      /Starting vLLM API server|vLLM API server version|Initializing an? (?:LLM|V1 LLM) engine|falling back to|Cannot use FlashAttention|Loading model weights|Started server process|Application startup complete|image pulled|Back-off restarting/i,
  },
  {
    kind: 'config_change',
    label: 'a configuration change',
    pattern:
      /config(?:uration)? (?:changed|reloaded|updated)|feature flag|non-default args|gpu_memory_utilization|max_num_seqs=/i,
  },
];

export interface Signature {
  kind: CauseKind;
  label: string;
  /** Evidence only the hardware gives (an Xid, an ECC error), as opposed to what a bad build also causes. */
  direct?: boolean | undefined;
}

/** An access log line (`"POST /v1/chat/completions HTTP/1.1" 503`): the server's own answer, whatever its status says. */
const ACCESS_LINE = /"(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \S+ HTTP\/[\d.]+" \d{3}/;

export function signatureOf(text: string): Signature | undefined {
  if (ACCESS_LINE.test(text)) return /" 429\b/.test(text) ? { kind: 'traffic_surge', label: 'load shedding' } : undefined;
  const hit = SIGNATURES.find((s) => s.pattern.test(text));
  return hit ? { kind: hit.kind, label: hit.label, direct: hit.direct } : undefined;
}
