import type { App, BlockButtonAction } from '@slack/bolt';
import type { SlackDependencies } from '../slack-dependencies.ts';

/** Approve / Reject clicks: acknowledged at once, forwarded with the clicking user to the approvals module, outcome posted in the thread. */
export function registerApprovalActions(app: App, deps: SlackDependencies): void {
  app.action<BlockButtonAction>(/^proposal_(approve|reject)$/, async ({ ack, body, action, client }) => {
    await ack();
    const proposalId = Number(action.value);
    const channel = body.channel?.id;
    const message = body.message as { ts?: string; thread_ts?: string } | undefined;
    const threadTs = message?.thread_ts ?? message?.ts;
    if (!channel || !threadTs || !Number.isInteger(proposalId)) {
      deps.logger.warn(
        { action: action.action_id, value: action.value },
        'approval click without a channel, message or proposal id',
      );
      return;
    }
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
