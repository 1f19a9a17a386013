import type { z } from 'zod';

/** How much harm a call can do; decides whether a human must approve it (the gate is its own module). */
export type Risk = 'read' | 'write' | 'dangerous';

/**
 * What every tool returns. `summary` is one or two sentences for the model and for
 * people; `data` is structured for rendering. `unavailable` means the capability is
 * in the catalogue but not built into this release yet.
 */
export type ToolResult =
  | { status: 'ok'; summary: string; data?: unknown }
  | { status: 'no_data'; summary: string; data?: unknown }
  | { status: 'error'; summary: string; code: string; data?: unknown }
  | { status: 'proposal'; summary: string; proposalId: number; data?: unknown }
  | { status: 'unavailable'; summary: string };

/** Who asked and where, passed to every handler so results can be attributed and audited. */
export interface ToolContext {
  threadId: string;
  userId: string;
  now: Date;
  signal: AbortSignal;
  /** Progress of long actions (a rollout's steps), shown in the conversation as it happens. */
  progress?: ((event: string) => void) | undefined;
  /**
   * The turn a call comes from, when the agent makes it: what the person wrote (and their message
   * before, for follow-ups), or that an alert started the turn. Absent when a person's own action
   * (a slash command, a button, an approved job) makes the call.
   */
  request?: TurnRequest | undefined;
}

export interface TurnRequest {
  text: string;
  previous?: string | undefined;
  origin: 'person' | 'alert';
}

export interface ToolDefinition<Schema extends z.ZodObject = z.ZodObject> {
  name: string;
  /** What the tool does and when to pick it; the model reads this. */
  description: string;
  input: Schema;
  /**
   * Fills in what a call implies but does not say (the environment its deployment runs in), so
   * that risk, the policy and a stored proposal judge the real target. Throws when it cannot tell.
   */
  complete?: (args: z.infer<Schema>) => z.infer<Schema> | Promise<z.infer<Schema>>;
  /** Risk may depend on the arguments (for example prod deploys are dangerous). */
  risk: (args: z.infer<Schema>) => Risk;
  /**
   * For risky tools: what people are shown before they approve (for a deploy: resources,
   * the manifest or command, the change against what runs now). Must not change anything.
   */
  plan?: (args: z.infer<Schema>, context: ToolContext) => Promise<{ summary: string; details?: unknown }>;
  /**
   * The result carries text from outside (log lines, metric labels, alert annotations, a server's
   * replies): the model is told it is data, never instructions.
   */
  outsideText?: boolean;
  /** Absent while the capability is not built yet; the executor then answers `unavailable`. */
  handler?: (args: z.infer<Schema>, context: ToolContext) => Promise<ToolResult>;
}

/** Keeps each tool file's types precise while the catalogue holds them uniformly. */
export function defineTool<Schema extends z.ZodObject>(definition: ToolDefinition<Schema>): ToolDefinition {
  return definition as unknown as ToolDefinition;
}
