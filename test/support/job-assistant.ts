import type { TestContext } from 'vitest';
import { testAssistant } from './test-assistant.ts';

export type TestAssistant = Awaited<ReturnType<typeof testAssistant>>;

/**
 * A demo assistant (no history, no traffic) whose job messages are recorded as Slack would show
 * them: one message per job, edited. It is disposed when `test` ends, so tests can run at once.
 */
export async function demoWithJobMessages(test: TestContext, env: Record<string, string> = {}) {
  const assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '0', ...env }, { demoTraffic: false });
  test.onTestFinished(() => assistant.dispose());
  const edits: Array<{ key: string; text: string; final: boolean }> = [];
  assistant.setJobNotifier(async (_threadId, key, text, final) => {
    edits.push({ key, text, final });
  });
  return { assistant, edits };
}

/** One turn of a person in a Slack-like thread. */
export const ask = (assistant: TestAssistant, text: string, userId = 'U0ALICE', threadId = 'slack:C1:100.1') =>
  assistant.conversation.handle({ surface: 'test', threadId, userId, text });
