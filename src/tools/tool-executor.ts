import { z } from 'zod';
import { AppError, describeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { AssistantMetrics } from '../observability/metrics.ts';
import type { Risk, ToolContext, ToolDefinition, ToolResult } from './tool-definition.ts';

/** A validated call that needs a human decision before it may run. */
export interface GatedCall {
  tool: ToolDefinition;
  args: Record<string, unknown>;
  risk: Exclude<Risk, 'read'>;
  context: Omit<ToolContext, 'signal'>;
}

/** Turns a risky call into a proposal (the approvals module); never executes it. */
export type ApprovalGate = (call: GatedCall) => Promise<ToolResult>;

/** What the model is given to choose from: OpenAI-style function specs built from the zod schemas. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface ToolExecutorOptions {
  timeoutMs: number;
  /** For approved actions (rollouts take minutes); default 15 minutes. */
  actionTimeoutMs?: number;
  metrics: AssistantMetrics;
  logger: Logger;
  gate?: ApprovalGate | undefined;
}

/**
 * The one place where tools run, whoever asks (agent, slash command, local chat):
 * arguments are validated, risky calls go to the gate, read calls run under a timeout,
 * and every failure comes back as a result the model and people can read.
 */
export class ToolExecutor {
  private readonly byName: Map<string, ToolDefinition>;
  private gate: ApprovalGate | undefined;

  constructor(
    readonly tools: readonly ToolDefinition[],
    private readonly options: ToolExecutorOptions,
  ) {
    this.byName = new Map(tools.map((tool) => [tool.name, tool]));
    this.gate = options.gate;
  }

  /** Installs the approvals module's gate (built after the executor, which it needs to run approved calls). */
  useGate(gate: ApprovalGate): void {
    this.gate = gate;
  }

  /**
   * Runs a call that the approvals module has cleared (approved, or needing no approval
   * under the policy). Only the approvals module calls this; the agent and surfaces call
   * `execute`, which always passes risky calls to the gate.
   */
  async executeApproved(
    name: string,
    rawArgs: unknown,
    context: Omit<ToolContext, 'signal'>,
    // A call the gate runs at once is inside `execute`, which observes it; only then is this false.
    options: { observe?: boolean } = {},
  ): Promise<ToolResult> {
    const tool = this.byName.get(name);
    if (!tool?.handler) return failure('unknown_tool', `There is no runnable tool named "${name}".`);
    const parsed = tool.input.safeParse(rawArgs ?? {});
    if (!parsed.success) return failure('invalid_arguments', `${name}: invalid arguments: ${describeIssues(parsed.error)}`);
    const started = performance.now();
    const result = await this.runWithTimeout(
      tool,
      parsed.data as Record<string, unknown>,
      context,
      this.options.actionTimeoutMs ?? 900_000,
    );
    if (options.observe ?? true) this.observe(name, result, started);
    return result;
  }

  specs(): ToolSpec[] {
    return this.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      parameters: z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    }));
  }

  async execute(name: string, rawArgs: unknown, context: Omit<ToolContext, 'signal'>): Promise<ToolResult> {
    const started = performance.now();
    const result = await this.run(name, rawArgs, context);
    this.observe(this.byName.has(name) ? name : 'unknown', result, started);
    this.options.logger.info(
      { tool: name, status: result.status, ms: Math.round(performance.now() - started), thread: context.threadId },
      'tool call',
    );
    return result;
  }

  private observe(tool: string, result: ToolResult, started: number): void {
    this.options.metrics.toolCallSeconds.observe({ tool, status: result.status }, (performance.now() - started) / 1000);
    if (result.status === 'error') this.options.metrics.toolFailures.inc({ tool, reason: result.code });
  }

  private async run(name: string, rawArgs: unknown, context: Omit<ToolContext, 'signal'>): Promise<ToolResult> {
    const tool = this.byName.get(name);
    if (!tool) {
      return failure('unknown_tool', `There is no tool named "${name}". Tools: ${[...this.byName.keys()].join(', ')}.`);
    }
    const parsed = tool.input.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      return failure('invalid_arguments', `${name}: invalid arguments: ${describeIssues(parsed.error)}`);
    }
    if (!tool.handler) {
      return { status: 'unavailable', summary: `${name} is not available yet in this release.` };
    }
    let args = parsed.data as Record<string, unknown>;
    try {
      args = tool.complete ? ((await tool.complete(args)) as Record<string, unknown>) : args;
    } catch (error) {
      return failure(AppError.isInstance(error) ? error.code : 'invalid_arguments', `${name}: ${describeError(error)}`);
    }
    const risk = tool.risk(args);
    if (risk !== 'read') {
      if (!this.gate) {
        return failure(
          'approval_unavailable',
          `${name} (${risk}) needs a human approval, and the approval gate is not available yet in this release; nothing was changed.`,
        );
      }
      try {
        return await this.gate({ tool, args, risk, context });
      } catch (error) {
        // A plan that cannot be made (no previous version to roll back to, say) is an answer, not a crash.
        return failure(AppError.isInstance(error) ? error.code : 'proposal_failed', `${name}: ${describeError(error)}`);
      }
    }
    return this.runWithTimeout(tool, args, context, this.options.timeoutMs);
  }

  private async runWithTimeout(
    tool: ToolDefinition,
    args: Record<string, unknown>,
    context: Omit<ToolContext, 'signal'>,
    timeoutMs: number,
  ): Promise<ToolResult> {
    const handler = tool.handler as NonNullable<ToolDefinition['handler']>;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ToolResult>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve(failure('timeout', `${tool.name} did not finish within ${timeoutMs} ms and was stopped.`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([handler(args, { ...context, signal: controller.signal }), timeout]);
    } catch (error) {
      const code = AppError.isInstance(error) ? error.code : 'tool_failed';
      if (!AppError.isInstance(error)) this.options.logger.error({ err: error, tool: tool.name }, 'tool threw');
      return failure(code, `${tool.name} failed: ${describeError(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

function failure(code: string, summary: string): ToolResult {
  return { status: 'error', code, summary };
}

/** "field `range`: expected …; field `replicas`: …" — names each wrong field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((k) => `\`${k}\``).join(', ')}`;
      return path ? `field \`${path}\`: ${issue.message}` : issue.message;
    })
    .join('; ');
}
