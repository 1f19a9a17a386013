import { describeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { ToolResult, TurnRequest } from '../tools/tool-definition.ts';
import type { GatedCall, ToolExecutor } from '../tools/tool-executor.ts';
import {
  isApprover,
  isUserId,
  LOCAL_USER,
  type Policy,
  type Requirement,
  requirementFor,
  type UserGroupResolver,
} from './approval-policy.ts';
import type { AuditLog } from './audit-log.ts';
import { canonicalJson, hashArgs, type Proposal, type ProposalRepository } from './proposal-repository.ts';

/**
 * Tells a conversation's thread what happened to its proposal: `outcome` (executed or
 * rejected: also returned to whoever decided), `progress` of the action, and `interrupted`
 * or `expired` (nobody else hears of those). Slack posts all; the terminal prints what its
 * user did not see already.
 */
export type ThreadNotifier = (
  threadId: string,
  text: string,
  kind: 'outcome' | 'progress' | 'interrupted' | 'expired',
) => Promise<void>;

export interface DecisionInput {
  proposalId: number;
  decision: 'approve' | 'reject';
  userId: string;
  reason?: string | undefined;
}

export interface DecisionOutcome {
  /**
   * `executed`: this decision ran it; `recorded`: more approvals are needed; `handed_over`: approved,
   * and the process that owns the runtime runs it; `refused`: nothing changed.
   */
  outcome: 'executed' | 'recorded' | 'handed_over' | 'rejected' | 'refused';
  text: string;
  proposal?: Proposal;
  result?: ToolResult;
}

/**
 * The approval gate as code. A risky call becomes a stored proposal; people decide;
 * on enough approvals exactly the stored arguments (hash checked) run once. Nothing the
 * model, a log line or a user message says can reach `execute` another way.
 */
export class Approvals {
  constructor(
    private readonly options: {
      policy: Policy;
      proposals: ProposalRepository;
      audit: AuditLog;
      executor: ToolExecutor;
      logger: Logger;
      notify?: ThreadNotifier;
      resolveGroup?: UserGroupResolver;
      now?: () => Date;
      /**
       * Whether a terminal user (`local:NAME`) may approve anything, their own requests included:
       * the policy's `terminal.approve_all_without_slack` when no Slack is configured.
       */
      terminalOperator?: boolean;
      /**
       * Another live process owns the runtime (the local replicas live in it): an approval here
       * is recorded as `approved` and that process runs it (`runApproved`).
       */
      runsElsewhere?: { owner: string };
      /**
       * Whether the person's message asked for this change (same tool, same target). A change the
       * policy lets run at once runs only then; otherwise it is proposed. Without it, nothing
       * an agent turn writes runs at once.
       */
      askedFor?: (request: TurnRequest, tool: string, args: Record<string, unknown>) => boolean;
    },
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** The executor's gate: run at once where the policy needs no approval, else propose. */
  readonly gate = async (call: GatedCall): Promise<ToolResult> => {
    const { proposals, audit, policy, executor } = this.options;
    const environment = typeof call.args.environment === 'string' ? call.args.environment : undefined;
    const deployment = String(call.args.deployment ?? call.args.model ?? '') || undefined;
    const byPolicy = requirementFor(policy, environment, call.risk);
    // An agent turn's write runs without a decision only when the person's own message asked for it.
    const request = call.context.request;
    const unasked =
      request !== undefined &&
      !(request.origin === 'person' && (this.options.askedFor?.(request, call.tool.name, call.args) ?? false));
    const requirement = byPolicy.approval === 'none' && unasked ? this.confirmation(environment, call.context) : byPolicy;
    if (requirement.approval === 'none') {
      const result = await executor.executeApproved(call.tool.name, call.args, call.context, { observe: false });
      audit.append({
        actor: call.context.userId,
        action: 'ran',
        tool: call.tool.name,
        deployment,
        environment,
        details: { args: call.args, risk: call.risk, status: result.status, summary: result.summary },
      });
      return result;
    }
    const plan = call.tool.plan
      ? await call.tool.plan(call.args, { ...call.context, signal: AbortSignal.timeout(30_000) })
      : { summary: `${call.tool.name} ${canonicalJson(call.args)}` };
    const proposal = proposals.create({
      tool: call.tool.name,
      args: call.args,
      risk: call.risk,
      environment,
      deployment,
      requester: call.context.userId,
      threadId: call.context.threadId,
      plan: plan.summary,
      planDetails: plan.details,
      approvers: requirement.approvers,
      allowSelfApproval: requirement.allowSelfApproval,
      approvalsNeeded: requirement.approvalsNeeded,
      expiresAt: new Date(this.now().getTime() + requirement.expiresAfterMs),
    });
    audit.append({
      actor: call.context.userId,
      action: 'proposed',
      tool: call.tool.name,
      deployment,
      environment,
      proposalId: proposal.id,
      details: { args: call.args, risk: call.risk, plan: plan.summary },
    });
    const who = requirement.approvers.join(', ') || 'nobody (no approver can be found in the policy)';
    const needed = requirement.approvalsNeeded > 1 ? `${requirement.approvalsNeeded} approvals from` : 'approval by';
    const why =
      requirement === byPolicy
        ? ''
        : request?.origin === 'alert'
          ? ' It was chosen in a turn an alert started, and such a turn never changes anything by itself.'
          : ' It was not asked for in your message (the model chose it after reading tool results), so it needs a decision.';
    return {
      status: 'proposal',
      proposalId: proposal.id,
      summary: `Proposal ${proposal.id} awaits ${needed} ${who} (${call.risk}; expires ${proposal.expiresAt.toISOString().slice(11, 16)} UTC): ${plan.summary}${why}${
        this.options.terminalOperator && LOCAL_USER.test(call.context.userId)
          ? ` As the operator at this terminal you may decide it: /approve ${proposal.id} in the chat, or llmops approve ${proposal.id} --as ${call.context.userId}.`
          : ''
      }`,
      data: {
        proposal: proposal.id,
        tool: proposal.tool,
        args: proposal.args,
        plan: plan.summary,
        details: plan.details,
        approvers: requirement.approvers,
      },
    };
  };

  /**
   * What a change the policy would run at once needs when nobody asked for it: a decision by the
   * person whose turn it was (their confirmation), or by those the policy names for the dangerous
   * changes of that environment (else of any environment).
   */
  private confirmation(environment: string | undefined, context: GatedCall['context']): Requirement {
    const { policy } = this.options;
    const strict = requirementFor(policy, environment, 'dangerous');
    const base = strict.approval === 'required' ? strict : requirementFor(policy, undefined, 'dangerous');
    const person = context.request?.origin === 'person' && isUserId(context.userId) ? [context.userId] : [];
    return {
      approval: 'required',
      approvers: [...new Set([...person, ...(base.approval === 'required' ? base.approvers : [])])],
      allowSelfApproval: true,
      approvalsNeeded: 1,
      expiresAfterMs: base.expiresAfterMs,
    };
  }

  /** Approve or reject. Checks the approver against the proposal's requirement; the winning approval executes once. */
  async decide(input: DecisionInput): Promise<DecisionOutcome> {
    const { proposals, policy } = this.options;
    const proposal = proposals.get(input.proposalId);
    if (!proposal) {
      this.options.audit.append({
        actor: input.userId,
        action: 'refused',
        proposalId: input.proposalId,
        details: { decision: input.decision, why: 'no such proposal' },
      });
      return { outcome: 'refused', text: `There is no proposal ${input.proposalId}.` };
    }
    if (!isUserId(input.userId)) {
      this.auditProposal(proposal, input.userId, 'refused', { decision: input.decision, why: 'not a user ID' });
      return {
        outcome: 'refused',
        proposal,
        text: `"${input.userId}" is not a user ID: a decision is made by one person, a Slack user ID such as U0SRE or local:NAME at the terminal (never a group or a pattern); nothing was changed.`,
      };
    }
    if (proposal.state !== 'pending') {
      this.auditProposal(proposal, input.userId, 'refused', { decision: input.decision, why: `already ${proposal.state}` });
      return { outcome: 'refused', proposal, text: `Proposal ${proposal.id} is already ${proposal.state}; nothing was changed.` };
    }
    if (this.now() > proposal.expiresAt) {
      if (proposals.transition(proposal.id, ['pending'], 'expired')) {
        this.auditProposal(proposal, 'system', 'expired');
      }
      this.auditProposal(proposal, input.userId, 'refused', { decision: input.decision, why: 'expired' });
      return {
        outcome: 'refused',
        proposal,
        text: `Proposal ${proposal.id} expired at ${proposal.expiresAt.toISOString()}; propose it again if it is still wanted.`,
      };
    }
    const asTerminal = Boolean(this.options.terminalOperator) && LOCAL_USER.test(input.userId);
    if (!asTerminal && !(await isApprover(policy, proposal.approvers, input.userId, this.options.resolveGroup))) {
      this.auditProposal(proposal, input.userId, 'refused', { decision: input.decision, why: 'not an approver' });
      return {
        outcome: 'refused',
        proposal,
        text: `${input.userId} may not ${input.decision} proposal ${proposal.id}: approvers are ${proposal.approvers.join(', ')}.`,
      };
    }
    if (!asTerminal && input.userId === proposal.requester && !proposal.allowSelfApproval) {
      this.auditProposal(proposal, input.userId, 'refused', { decision: input.decision, why: 'self-approval' });
      return {
        outcome: 'refused',
        proposal,
        text: `${input.userId} asked for proposal ${proposal.id} and the policy does not allow approving one's own request; another approver must decide.`,
      };
    }

    if (input.decision === 'reject') {
      if (!proposals.transition(proposal.id, ['pending'], 'rejected')) return this.alreadyDecided(proposal, input);
      proposals.recordDecision(proposal.id, input.userId, 'reject', input.reason);
      this.auditProposal(proposal, input.userId, 'rejected', { reason: input.reason });
      const text = `Proposal ${proposal.id} was rejected by ${input.userId}${input.reason ? `: ${input.reason}` : ''}. Nothing was run.`;
      await this.tell(proposal, text, 'outcome');
      return { outcome: 'rejected', proposal, text };
    }

    // Record the approval and, when it is the last one needed, claim execution: one transaction, so only one caller wins.
    // The terminal operator (no Slack) is the only operator: their approval is all that is needed.
    const elsewhere = this.options.runsElsewhere;
    const claim = proposals.atomically(() => {
      if (!proposals.recordDecision(proposal.id, input.userId, 'approve', input.reason)) return 'duplicate' as const;
      const approvals = proposals.approvalsOf(proposal.id);
      if (!asTerminal && approvals.length < proposal.approvalsNeeded)
        return { waiting: proposal.approvalsNeeded - approvals.length };
      return proposals.transition(proposal.id, ['pending'], elsewhere ? 'approved' : 'executing')
        ? ('execute' as const)
        : ('lost' as const);
    });
    if (claim === 'duplicate') {
      this.auditProposal(proposal, input.userId, 'refused', { decision: input.decision, why: 'already decided by this user' });
      return { outcome: 'refused', proposal, text: `${input.userId} already decided proposal ${proposal.id}.` };
    }
    if (claim === 'lost') return this.alreadyDecided(proposal, input);
    this.auditProposal(proposal, input.userId, 'approved', {
      reason: input.reason,
      ...(asTerminal ? { as: 'terminal operator (no Slack configured)' } : {}),
    });
    if (elsewhere && claim === 'execute') {
      return {
        outcome: 'handed_over',
        proposal,
        text: `Proposal ${proposal.id} approved by ${input.userId}; ${elsewhere.owner}, which owns the runtime, runs it now.`,
      };
    }
    if (typeof claim === 'object') {
      return {
        outcome: 'recorded',
        proposal,
        text: `Approval of proposal ${proposal.id} by ${input.userId} recorded; ${claim.waiting} more needed.`,
      };
    }
    return this.execute(proposal, input.userId);
  }

  /** Proposals left `executing` by a process that died become `interrupted`, are reported, and are never re-run. */
  async recoverInterrupted(): Promise<Proposal[]> {
    const { proposals } = this.options;
    const interrupted: Proposal[] = [];
    for (const proposal of proposals.inState(['executing'])) {
      if (!proposals.transition(proposal.id, ['executing'], 'interrupted')) continue;
      interrupted.push(proposal);
      this.auditProposal(proposal, 'system', 'interrupted');
      await this.tell(
        proposal,
        `Proposal ${proposal.id} (${proposal.plan}) was interrupted by a restart while it was running. It was not re-run: check ${proposal.deployment ?? 'the target'} and propose again if needed.`,
        'interrupted',
      );
    }
    return interrupted;
  }

  /**
   * Runs proposals approved in another process (`llmops approve` while this one owns the
   * runtime): each is claimed by a conditional update, so it runs once. One approved after
   * its expiry and never picked up (its owner was down) expires instead.
   */
  async runApproved(): Promise<void> {
    const { proposals } = this.options;
    for (const proposal of proposals.inState(['approved'])) {
      if (this.now() > proposal.expiresAt) {
        if (proposals.transition(proposal.id, ['approved'], 'expired')) {
          this.auditProposal(proposal, 'system', 'expired', { why: 'approved but not run before it expired' });
          await this.tell(
            proposal,
            `Proposal ${proposal.id} was approved but expired before it could run; nothing was run.`,
            'expired',
          );
        }
        continue;
      }
      if (!proposals.transition(proposal.id, ['approved'], 'executing')) continue;
      const approver = proposals.approvalsOf(proposal.id).at(-1) ?? 'unknown';
      await this.execute(proposal, approver);
    }
  }

  /** Marks pending proposals past their expiry as expired and says so in their threads. */
  async expireDue(): Promise<void> {
    const { proposals } = this.options;
    for (const proposal of proposals.inState(['pending'])) {
      if (this.now() <= proposal.expiresAt || !proposals.transition(proposal.id, ['pending'], 'expired')) continue;
      this.auditProposal(proposal, 'system', 'expired');
      await this.tell(proposal, `Proposal ${proposal.id} expired without a decision; nothing was run.`, 'expired');
    }
  }

  get(id: number): Proposal | undefined {
    return this.options.proposals.get(id);
  }

  open(): Proposal[] {
    return this.options.proposals.inState(['pending']);
  }

  private async execute(proposal: Proposal, approver: string): Promise<DecisionOutcome> {
    const { proposals, executor, logger } = this.options;
    // What runs is what was stored and shown; a changed row does not run.
    if (hashArgs(proposal.argsJson) !== proposal.argsHash || canonicalJson(proposal.args) !== proposal.argsJson) {
      proposals.transition(proposal.id, ['executing'], 'failed', { result: { error: 'arguments do not match their hash' } });
      this.auditProposal(proposal, 'system', 'failed', { why: 'hash mismatch' });
      return {
        outcome: 'refused',
        proposal,
        text: `Proposal ${proposal.id} was not run: its stored arguments no longer match their hash.`,
      };
    }
    this.auditProposal(proposal, approver, 'executing', { args: proposal.args });
    let result: ToolResult;
    try {
      result = await executor.executeApproved(proposal.tool, proposal.args, {
        threadId: proposal.threadId,
        userId: proposal.requester,
        now: this.now(),
        // Each rollout step is told in the proposal's thread as it happens.
        progress: (event) => void this.tell(proposal, `Proposal ${proposal.id}: ${event}`, 'progress'),
      });
    } catch (error) {
      logger.error({ err: error, proposal: proposal.id }, 'approved action threw');
      result = { status: 'error', code: 'execution_failed', summary: describeError(error) };
    }
    const succeeded = result.status === 'ok';
    proposals.transition(proposal.id, ['executing'], succeeded ? 'succeeded' : 'failed', {
      result: { status: result.status, summary: result.summary },
    });
    this.auditProposal(proposal, approver, succeeded ? 'succeeded' : 'failed', { summary: result.summary });
    const text = `Proposal ${proposal.id} approved by ${approver} and ${succeeded ? 'done' : 'FAILED'}: ${result.summary}`;
    await this.tell(proposal, text, 'outcome');
    return { outcome: 'executed', proposal, result, text };
  }

  /** A decision that lost the race to another one: nothing changes, and the audit says who tried. */
  private alreadyDecided(proposal: Proposal, input: DecisionInput): DecisionOutcome {
    const current = this.options.proposals.get(proposal.id);
    this.auditProposal(proposal, input.userId, 'refused', {
      decision: input.decision,
      why: `already ${current?.state ?? 'decided'}`,
    });
    return {
      outcome: 'refused',
      ...(current ? { proposal: current } : {}),
      text: `Proposal ${proposal.id} is already ${current?.state ?? 'decided'}; nothing was changed.`,
    };
  }

  private async tell(proposal: Proposal, text: string, kind: Parameters<ThreadNotifier>[2]): Promise<void> {
    try {
      await this.options.notify?.(proposal.threadId, text, kind);
    } catch (error) {
      this.options.logger.warn({ err: error, proposal: proposal.id }, 'could not post the proposal outcome to its thread');
    }
  }

  /** One audit row about a proposal: its tool, deployment, environment and id are always recorded. */
  private auditProposal(proposal: Proposal, actor: string, action: string, details?: unknown): void {
    this.options.audit.append({
      actor,
      action,
      tool: proposal.tool,
      deployment: proposal.deployment,
      environment: proposal.environment,
      proposalId: proposal.id,
      details,
    });
  }
}
