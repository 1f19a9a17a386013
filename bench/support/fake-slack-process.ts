/**
 * The tests' Slack-compatible Web API server (test/support/fake-slack.ts) as its own process, so
 * that serving the assistant's replies costs neither the bench's client nor the server measured.
 * Prints its API URL on stdout; over IPC, `{ type: 'answers' }` is answered with how many
 * "Working on it" messages and final Block Kit answers each thread received, and how long ago
 * the last Web API call came.
 */
import { startFakeSlack } from '../../test/support/fake-slack.ts';
import { answersByThread } from '../../test/support/slack-answers.ts';

const slack = await startFakeSlack();
process.stdout.write(`${slack.apiUrl}\n`);

process.on('message', (message: { type?: string }) => {
  if (message?.type !== 'answers') return;
  const last = slack.calls.at(-1)?.at;
  process.send?.({ type: 'answers', ...answersByThread(slack.calls), quietForMs: last === undefined ? null : Date.now() - last });
});
process.on('disconnect', () => process.exit(0));
