import type { Approvals } from '../../approvals/approvals.ts';
import type { ConcurrencyLimiter } from '../../conversation/concurrency-limiter.ts';
import type { ConversationService } from '../../conversation/conversation-service.ts';
import type { DeploymentRegistry } from '../../deployments/deployment-registry.ts';
import type { Logger } from '../../observability/logger.ts';
import type { SlackRepository } from '../../store/slack-repository.ts';
import type { ThreadRepository } from '../../store/thread-repository.ts';
import type { ToolExecutor } from '../../tools/tool-executor.ts';
import type { AckFirstPacer } from './ack-first-pacer.ts';

/** A human's decision on a proposal, as the Slack surface forwards it. */
export interface ProposalDecision {
  proposalId: number;
  decision: 'approve' | 'reject';
  userId: string;
  channel: string;
  threadTs: string;
}

/** The approvals module as the Slack surface sees it: it decides, the surface only forwards and shows the outcome. */
export interface ProposalDecisions {
  /** `told`: the thread already heard the outcome (the approvals module posted it), so the surface stays quiet. */
  decide(decision: ProposalDecision): Promise<{ text: string; told?: boolean }>;
  /** Open proposals for the App Home tab. */
  open(): Promise<Array<{ id: number; summary: string }>>;
}

/** Until the approvals module exists, a click is answered honestly and nothing runs. */
export const NO_APPROVALS: ProposalDecisions = {
  decide: async ({ proposalId, decision, userId }) => ({
    text: `<@${userId}> asked to ${decision} proposal ${proposalId}, but approvals are not available yet in this release; nothing was run.`,
  }),
  open: async () => [],
};

/** What the listeners use; built once by the Slack surface. */
export interface SlackDependencies {
  conversation: ConversationService;
  executor: ToolExecutor;
  threads: ThreadRepository;
  deployments: DeploymentRegistry;
  slack: SlackRepository;
  decisions: ProposalDecisions;
  logger: Logger;
  botUserId: string;
  /** Turns in progress at once (answers to mentions, messages and `/llmops ask`). */
  turns: ConcurrencyLimiter;
  /** Work after an acknowledgement awaits `pacer.quiet()`, so waiting requests are acknowledged first. */
  pacer: AckFirstPacer;
}

/** The approvals module behind the Slack buttons and the App Home. */
export function decisionsOf(approvals: Approvals): ProposalDecisions {
  return {
    decide: async ({ proposalId, decision, userId }) => {
      const outcome = await approvals.decide({ proposalId, decision, userId });
      return { text: outcome.text, told: outcome.outcome === 'executed' || outcome.outcome === 'rejected' };
    },
    open: async () => approvals.open().map((proposal) => ({ id: proposal.id, summary: proposal.plan })),
  };
}
