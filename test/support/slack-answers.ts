import type { SlackCall } from './fake-slack.ts';

export interface ThreadAnswers {
  /** "Working on it" messages posted, by thread_ts. */
  working: Record<string, number>;
  /** Final answers (a chat.update with blocks of a "Working on it" message), by thread_ts. */
  answers: Record<string, number>;
}

/** What each Slack thread received, from the calls a Slack-compatible server recorded: what a user sees answered. */
export function answersByThread(calls: readonly SlackCall[]): ThreadAnswers {
  const threadOf = new Map<string, string>();
  const result: ThreadAnswers = { working: {}, answers: {} };
  for (const call of calls) {
    if (call.method === 'chat.postMessage' && String(call.body.text).includes('Working on it') && call.ts) {
      const thread = String(call.body.thread_ts ?? call.ts);
      threadOf.set(call.ts, thread);
      result.working[thread] = (result.working[thread] ?? 0) + 1;
    } else if (call.method === 'chat.update' && Array.isArray(call.body.blocks)) {
      const thread = threadOf.get(String(call.body.ts));
      if (thread !== undefined) result.answers[thread] = (result.answers[thread] ?? 0) + 1;
    }
  }
  return result;
}
