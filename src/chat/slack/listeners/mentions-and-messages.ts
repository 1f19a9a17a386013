import type { App } from '@slack/bolt';
import { answerInThread } from '../answer-in-thread.ts';
import type { SlackDependencies } from '../slack-dependencies.ts';

/**
 * Mentions in channels (answered in the mention's thread, which the bot then follows),
 * direct messages, and follow-ups in threads the bot is part of. Each delivery is
 * handled once, whatever Slack retries. Bolt acknowledges events before these run; the
 * storage work (de-duplication, threads) waits with the turn, so a burst is acknowledged first.
 */
export function registerConversationListeners(app: App, deps: SlackDependencies): void {
  app.event('app_mention', async ({ event, body, client }) => {
    const threadTs = event.thread_ts ?? event.ts;
    await answerInThread(
      client,
      deps,
      {
        channel: event.channel,
        threadTs,
        userId: event.user ?? 'unknown',
        text: stripMentions(event.text),
        threadId: `slack:${event.channel}:${threadTs}`,
      },
      () => {
        if (!deps.slack.firstDelivery(`event:${body.event_id}`)) return false;
        deps.slack.joinThread(event.channel, threadTs);
        return true;
      },
    );
  });

  app.event('message', async ({ event, body, client }) => {
    // Edits, joins, bot posts (our own included) and other subtypes are not questions.
    if (event.subtype !== undefined || 'bot_id' in event) return;
    const text = 'text' in event ? (event.text ?? '') : '';
    const user = 'user' in event ? event.user : undefined;
    const threadTs = 'thread_ts' in event ? event.thread_ts : undefined;
    if (!user || user === deps.botUserId) return;
    const direct = event.channel_type === 'im';
    // In channels, a mention is app_mention's; a plain reply counts only in a thread the bot joined.
    if (!direct && (threadTs === undefined || text.includes(`<@${deps.botUserId}>`))) return;
    await answerInThread(
      client,
      deps,
      {
        channel: event.channel,
        threadTs,
        userId: user,
        text: stripMentions(text),
        threadId: threadTs ? `slack:${event.channel}:${threadTs}` : `slack:${event.channel}`,
      },
      // Checked when the turn starts, after any earlier mention of the thread has joined it.
      () =>
        (direct || deps.slack.inThread(event.channel, threadTs as string)) && deps.slack.firstDelivery(`event:${body.event_id}`),
    );
  });
}

function stripMentions(text: string): string {
  return text.replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, '').trim();
}
