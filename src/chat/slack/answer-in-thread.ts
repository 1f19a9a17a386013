import { basename } from 'node:path';
import type { webApi } from '@slack/bolt';
import type { ConcurrencyLimiter } from '../../conversation/concurrency-limiter.ts';
import type { ConversationService } from '../../conversation/conversation-service.ts';
import type { Logger } from '../../observability/logger.ts';
import type { AckFirstPacer } from './ack-first-pacer.ts';
import { renderAnswer } from './render/answer-blocks.ts';

export interface AnswerTarget {
  channel: string;
  /** The thread to answer in; undefined answers at the top of a DM. */
  threadTs?: string | undefined;
  userId: string;
  text: string;
  /** The conversation (memory) this belongs to. */
  threadId: string;
}

/** What answering needs: the conversation, and the turns' pacing behind Slack's acknowledgements. */
export interface AnswerDependencies {
  conversation: ConversationService;
  logger: Logger;
  /** Turns in progress at once; each starts when the receiver is quiet. */
  turns: ConcurrencyLimiter;
  pacer: Pick<AckFirstPacer, 'quiet'>;
}

const PROGRESS_INTERVAL_MS = 1000;

/**
 * Posts "working on it", runs the turn through the conversation service, updates the
 * message with progress at most once a second, then replaces it with the Block Kit answer
 * and uploads any chart into the thread. The turn waits for a slot and for a quiet receiver,
 * and for a quiet receiver again between its steps, so Slack's requests are acknowledged
 * first. `admit` runs when the turn starts (de-duplication, thread bookkeeping): false drops it.
 */
export function answerInThread(
  client: webApi.WebClient,
  deps: AnswerDependencies,
  target: AnswerTarget,
  admit: () => boolean = () => true,
): Promise<void> {
  return deps.turns.run(async () => {
    if (admit()) await answer(client, deps, target);
  });
}

async function answer(client: webApi.WebClient, deps: AnswerDependencies, target: AnswerTarget): Promise<void> {
  const { conversation, logger, pacer } = deps;
  const working = await client.chat.postMessage({
    channel: target.channel,
    ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
    text: ':hourglass_flowing_sand: Working on it…',
  });
  const ts = working.ts as string;
  let updates: Promise<unknown> = Promise.resolve();
  let lastProgress = 0;
  const onProgress = (status: string) => {
    const now = Date.now();
    if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
    lastProgress = now;
    updates = updates
      .then(() => client.chat.update({ channel: target.channel, ts, text: `:hourglass_flowing_sand: ${status}` }))
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'progress update failed');
      });
  };
  await pacer.quiet();
  const reply = await conversation.handle({
    surface: 'slack',
    threadId: target.threadId,
    userId: target.userId,
    text: target.text,
    onProgress,
  });
  await updates;
  await pacer.quiet();
  const rendered = renderAnswer(reply);
  await client.chat.update({ channel: target.channel, ts, text: rendered.text, blocks: rendered.blocks });
  for (const chart of rendered.charts) {
    await pacer.quiet();
    await client.filesUploadV2({
      channel_id: target.channel,
      thread_ts: target.threadTs ?? ts,
      file: chart,
      filename: basename(chart),
      title: basename(chart, '.png'),
    });
  }
}
