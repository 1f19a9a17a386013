import { describeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { ToolResult } from '../tools/tool-definition.ts';
import type { GatedCall, ToolExecutor } from '../tools/tool-executor.ts';
import { isApprover, type Policy, requirementFor, type UserGroupResolver } from './approval-policy.ts';
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
  /** `executed`: this decision ran it; `recorded`: more approvals are needed; `refused`: nothing changed. */
  outcome: 'executed' | 'recorded' | 'rejected' | 'refused';
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
    const requirement = requirementFor(policy, environment, call.risk);
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
    const who = requirement.approvers.join(', ');
    const needed = requirement.approvalsNeeded > 1 ? `${requirement.approvalsNeeded} approvals from` : 'approval by';
    return {
      status: 'proposal',
      proposalId: proposal.id,
      summary: `Proposal ${proposal.id} awaits ${needed} ${who} (${call.risk}; expires ${proposal.expiresAt.toISOString().slice(11, 16)} UTC): ${plan.summary}`,
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

  /** Approve or reject. Checks the approver against the proposal's requirement; the winning approval executes once. */
  async decide(input: DecisionInput): Promise<DecisionOutcome> {
    const { proposals, policy } = this.options;
    const proposal = proposals.get(input.proposalId);
    if (!proposal) return { outcome: 'refused', text: `There is no proposal ${input.proposalId}.` };
    if (proposal.state !== 'pending') {
      return { outcome: 'refused', proposal, text: `Proposal ${proposal.id} is already ${proposal.state}; nothing was changed.` };
    }
    if (this.now() > proposal.expiresAt) {
      if (proposals.transition(proposal.id, ['pending'], 'expired')) {
        this.auditProposal(proposal, 'system', 'expired');
      }
      return {
        outcome: 'refused',
        proposal,
        text: `Proposal ${proposal.id} expired at ${proposal.expiresAt.toISOString()}; propose it again if it is still wanted.`,
      };
    }
    if (!(await isApprover(policy, proposal.approvers, input.userId, this.options.resolveGroup))) {
      this.auditProposal(proposal, input.userId, 'refused', { decision: input.decision, why: 'not an approver' });
      return {
        outcome: 'refused',
        proposal,
        text: `${input.userId} may not ${input.decision} proposal ${proposal.id}: approvers are ${proposal.approvers.join(', ')}.`,
      };
    }
    if (input.userId === proposal.requester && !proposal.allowSelfApproval) {
      this.auditProposal(proposal, input.userId, 'refused', { decision: input.decision, why: 'self-approval' });
      return {
        outcome: 'refused',
        proposal,
        text: `${input.userId} asked for proposal ${proposal.id} and the policy does not allow approving one's own request; another approver must decide.`,
      };
    }

    if (input.decision === 'reject') {
      if (!proposals.transition(proposal.id, ['pending'], 'rejected')) return this.alreadyDecided(proposal.id);
      proposals.recordDecision(proposal.id, input.userId, 'reject', input.reason);
      this.auditProposal(proposal, input.userId, 'rejected', { reason: input.reason });
      const text = `Proposal ${proposal.id} was rejected by ${input.userId}${input.reason ? `: ${input.reason}` : ''}. Nothing was run.`;
      await this.tell(proposal, text, 'outcome');
      return { outcome: 'rejected', proposal, text };
    }

    // Record the approval and, when it is the last one needed, claim execution: one transaction, so only one caller wins.
    const claim = proposals.atomically(() => {
      if (!proposals.recordDecision(proposal.id, input.userId, 'approve', input.reason)) return 'duplicate' as const;
      const approvals = proposals.approvalsOf(proposal.id);
      if (approvals.length < proposal.approvalsNeeded) return { waiting: proposal.approvalsNeeded - approvals.length };
      return proposals.transition(proposal.id, ['pending'], 'executing') ? ('execute' as const) : ('lost' as const);
    });
    if (claim === 'duplicate')
      return { outcome: 'refused', proposal, text: `${input.userId} already decided proposal ${proposal.id}.` };
    if (claim === 'lost') return this.alreadyDecided(proposal.id);
    this.auditProposal(proposal, input.userId, 'approved', { reason: input.reason });
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

  /** Marks pending proposals past their expiry as expired and says so in their threads. */
  async expireDue(): Promise<void> {
    const { proposals } = this.options;
    for (const proposal of proposals.inState(['pending'])) {
      if (this.now() <= proposal.expiresAt || !proposals.transition(proposal.id, ['pending'], 'expired')) continue;
      this.auditProposal(proposal, 'system', 'expired');
      await this.tell(proposal, `Proposal ${proposal.id} expired without a decision; nothing was run.`, 'expired');
    }
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

  private alreadyDecided(id: number): DecisionOutcome {
    const current = this.options.proposals.get(id);
    return {
      outcome: 'refused',
      ...(current ? { proposal: current } : {}),
      text: `Proposal ${id} is already ${current?.state ?? 'decided'}; nothing was changed.`,
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
