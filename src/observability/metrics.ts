import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The assistant's own Prometheus metrics; one registry per assistant so tests stay isolated. */
export class AssistantMetrics {
  readonly registry = new Registry();

  readonly llmCallSeconds = new Histogram({
    name: 'llmops_llm_call_duration_seconds',
    help: 'Latency of one LLM call (one agent step), by provider and model',
    labelNames: ['provider', 'model', 'outcome'] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly llmTokens = new Counter({
    name: 'llmops_llm_tokens_total',
    help: 'Tokens used by LLM calls, by provider, model and kind (prompt or completion)',
    labelNames: ['provider', 'model', 'kind'] as const,
    registers: [this.registry],
  });

  readonly toolCallSeconds = new Histogram({
    name: 'llmops_tool_call_duration_seconds',
    help: 'Latency of tool calls, by tool and result status',
    labelNames: ['tool', 'status'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60],
    registers: [this.registry],
  });

  readonly toolFailures = new Counter({
    name: 'llmops_tool_call_failures_total',
    help: 'Tool calls that failed, by tool and reason (invalid_arguments, timeout, error, unknown_tool)',
    labelNames: ['tool', 'reason'] as const,
    registers: [this.registry],
  });

  readonly turns = new Counter({
    name: 'llmops_conversation_turns_total',
    help: 'Conversation turns handled, by surface and outcome (answer, unsaved: answered but not stored, failed, rejected)',
    labelNames: ['surface', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly jobs = new Counter({
    name: 'llmops_jobs_finished_total',
    help: 'Optimisation jobs that ended, by kind and state (succeeded, failed, cancelled, interrupted)',
    labelNames: ['kind', 'state'] as const,
    registers: [this.registry],
  });

  readonly redactions = new Counter({
    name: 'llmops_redactions_total',
    help: 'Secrets and personal data replaced before text reached the LLM, by kind and where (message, tool_result, alert)',
    labelNames: ['kind', 'where'] as const,
    registers: [this.registry],
  });

  readonly storageFailures = new Counter({
    name: 'llmops_storage_failures_total',
    help: 'Database operations that failed on the storage (disk_full, read_only, io_error, corrupt, busy, cannot_open, deleted), by operation and reason',
    labelNames: ['operation', 'reason'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'llmops_' });
  }
}
