import type { App, BlockButtonAction } from '@slack/bolt';
import { z } from 'zod';
import { parseProposalId } from '../../../approvals/approval-policy.ts';
import { proposalBlocks } from '../render/answer-blocks.ts';
import type { SlackDependencies } from '../slack-dependencies.ts';

/** Approve / Reject clicks: acknowledged at once, forwarded with the clicking user to the approvals module, outcome posted in the thread. */
export function registerApprovalActions(app: App, deps: SlackDependencies): void {
  app.action<BlockButtonAction>(/^proposal_(approve|reject)$/, async ({ ack, body, action, client }) => {
    await ack();
    const proposalId = parseProposalId(action.value);
    const channel = body.channel?.id;
    const message = body.message as { ts?: string; thread_ts?: string } | undefined;
    const threadTs = message?.thread_ts ?? message?.ts;
    if (!channel || !threadTs || proposalId === undefined) {
      deps.logger.warn(
        { action: action.action_id, value: action.value },
        'approval click without a channel, message or proposal id',
      );
      return;
    }
    // Acknowledged; deciding (and a rollout it may start) waits until no other request waits for its acknowledgement.
    await deps.pacer.quiet();
    const outcome = await deps.decisions.decide({
      proposalId,
      decision: action.action_id === 'proposal_approve' ? 'approve' : 'reject',
      userId: body.user.id,
      channel,
      threadTs,
    });
    if (!outcome.told) await client.chat.postMessage({ channel, thread_ts: threadTs, text: outcome.text });
  });
}

const suggestedAction = z.object({
  tool: z.enum(['rollback_deployment', 'scale_deployment']),
  args: z.record(z.string(), z.unknown()),
});

/**
 * "Propose rollback" under a root-cause answer: the clicking user asks for that call through the
 * one tool executor, so the approval gate turns it into a proposal with its own Approve / Reject.
 */
export function registerSuggestedActions(app: App, deps: SlackDependencies): void {
  app.action<BlockButtonAction>('suggested_action', async ({ ack, body, action, client }) => {
    await ack();
    const channel = body.channel?.id;
    const message = body.message as { ts?: string; thread_ts?: string } | undefined;
    const threadTs = message?.thread_ts ?? message?.ts;
    let parsed: z.infer<typeof suggestedAction>;
    try {
      parsed = suggestedAction.parse(JSON.parse(action.value ?? ''));
    } catch {
      deps.logger.warn({ value: action.value }, 'suggested action click with an unreadable value');
      return;
    }
    if (!channel || !threadTs) return;
    await deps.pacer.quiet();
    const result = await deps.executor.execute(parsed.tool, parsed.args, {
      threadId: `slack:${channel}:${threadTs}`,
      userId: body.user.id,
      now: new Date(),
    });
    await client.chat.postMessage({
      channel,
      thread_ts: threadTs,
      text: result.summary,
      ...(result.status === 'proposal' ? { blocks: proposalBlocks(result.proposalId, result.summary) } : {}),
    });
  });
}
