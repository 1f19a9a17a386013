import type { CauseKind } from './cause-kinds.ts';

/**
 * What a log template or an alert's text points at. Order matters: the first match wins, so
 * "NCCL timeout" is hardware before "timeout" is a dependency. Patterns are the messages vLLM,
 * CUDA drivers, Kubernetes and common HTTP clients actually print.
 */
const SIGNATURES: ReadonlyArray<{ kind: CauseKind; label: string; pattern: RegExp }> = [
  {
    kind: 'hardware_fault',
    label: 'GPU or driver error',
    pattern:
      /\bXid\b|fallen off the bus|\bECC\b|uncorrectable|NVLink|CUDA error|illegal memory access|NCCL (?:error|timeout|watchdog)|device-side assert|GPU (?:is )?lost|cudaError|nvml|hardware error/i,
  },
  {
    kind: 'resource_exhaustion',
    label: 'memory or KV-cache pressure',
    pattern:
      /preempted|not enough KV cache|KV cache (?:is )?full|out of memory|\bOOM\b|OOMKilled|OutOfMemory|memory pressure|no free blocks|swap(?:ped|ping) out/i,
  },
  {
    kind: 'input_shift',
    label: 'unusual requests',
    pattern:
      /maximum context length|prompt (?:is )?too long|exceeds? (?:the )?max(?:imum)?[ _](?:model[ _])?len|input (?:length|tokens) .*exceed|truncat(?:ed|ing) (?:the )?prompt/i,
  },
  {
    kind: 'dependency_failure',
    label: 'a dependency failing',
    pattern:
      /timed out|\btimeout\b|connection (?:refused|reset)|ECONNREFUSED|ECONNRESET|upstream|dependency|name resolution|getaddrinfo|\bunreachable\b|502 Bad Gateway|503 Service Unavailable|504 Gateway/i,
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
      /Starting vLLM API server|falling back to|Cannot use FlashAttention|Loading model weights|Started server process|image pulled|Back-off restarting/i,
  },
  {
    kind: 'config_change',
    label: 'a configuration change',
    pattern: /config(?:uration)? (?:changed|reloaded|updated)|feature flag|gpu_memory_utilization|max_num_seqs=/i,
  },
];

export interface Signature {
  kind: CauseKind;
  label: string;
}

export function signatureOf(text: string): Signature | undefined {
  const hit = SIGNATURES.find((s) => s.pattern.test(text));
  return hit ? { kind: hit.kind, label: hit.label } : undefined;
}
