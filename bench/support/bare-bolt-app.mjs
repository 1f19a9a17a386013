// The reference for Slack acknowledgement latency: a bare @slack/bolt app on its own HTTP receiver
// that acknowledges app_mention events and does nothing else. Plain JavaScript run by plain node, as
// `npm start` runs the compiled assistant beside it (PORT, SLACK_SIGNING_SECRET, SLACK_API_URL from
// the environment). Prints "ready" on stdout once it listens.
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';

const port = Number(process.env.PORT);
const signingSecret = process.env.SLACK_SIGNING_SECRET ?? '';
if (!Number.isInteger(port) || port <= 0 || signingSecret === '') {
  process.stderr.write('bare-bolt-app: set PORT (a port number) and SLACK_SIGNING_SECRET\n');
  process.exit(2);
}
const receiver = new HTTPReceiver({ signingSecret, processBeforeResponse: false, logLevel: LogLevel.ERROR });
const app = new App({
  token: 'xoxb-bench',
  botId: 'B0BOT',
  botUserId: 'U0BOT',
  receiver,
  clientOptions: process.env.SLACK_API_URL ? { slackApiUrl: process.env.SLACK_API_URL } : {},
  logLevel: LogLevel.ERROR,
});
app.event('app_mention', async () => undefined);
await app.start(port);
process.stdout.write('ready\n');
process.on('SIGTERM', () => process.exit(0));
