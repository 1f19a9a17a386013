/**
 * The messages a simulated vLLM server logs, in one place so that the live servers and the
 * back-filled history write the same lines (and template mining sees one template for each).
 * Texts follow vLLM, the NVIDIA driver and a guardrail proxy as they print them.
 */
export const LOG_MESSAGES = {
  starting: (version: string, url: string) => ({
    source: 'api_server.py:1880',
    message: `Starting vLLM API server ${version} on ${url}`,
  }),
  attentionFallback: () => ({
    source: 'selector.py:165',
    message: 'Cannot use FlashAttention-2 backend for this configuration; falling back to XFORMERS backend.',
  }),
  stats: (s: { prompt: number; generation: number; running: number; waiting: number; kvUsage: number }) => ({
    source: 'loggers.py:116',
    message: `Engine 000: Avg prompt throughput: ${s.prompt.toFixed(1)} tokens/s, Avg generation throughput: ${s.generation.toFixed(1)} tokens/s, Running: ${s.running} reqs, Waiting: ${s.waiting} reqs, GPU KV cache usage: ${(s.kvUsage * 100).toFixed(1)}%, Prefix cache hit rate: 0.0%`,
  }),
  preempted: (sequenceId: number | string) => ({
    source: 'scheduler.py:1560',
    message: `Sequence group ${sequenceId} is preempted by PreemptionMode.RECOMPUTE mode because there is not enough KV cache space.`,
  }),
  xid: () => ({ source: 'gpu_monitor.py:77', message: 'NVRM: Xid (PCI:0000:3b:00): 79, pid=2173, GPU has fallen off the bus.' }),
  cudaError: (requestId: string) => ({
    source: 'engine.py:512',
    message: `Request ${requestId} failed: RuntimeError: CUDA error: an illegal memory access was encountered`,
  }),
  moderationTimeout: () => ({
    source: 'guardrails.py:88',
    message: 'Upstream moderation service timed out after 5000 ms (POST http://moderation.internal:8080/v1/check)',
  }),
  shuttingDown: () => ({ source: 'launcher.py:80', message: 'Shutting down FastAPI HTTP server.' }),
} as const;
