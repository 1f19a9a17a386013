import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { startAssistant } from '../src/app.ts';
import { createSlackSurface } from '../src/chat/slack/slack-surface.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';

const SECRET = 'bench-signing-secret';

/** A minimal Slack Web API for the bench: auth.test and posting succeed at once. */
function fakeSlack(): Promise<Server> {
  let ts = 1;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', ts: `${ts++}.0001`, channel: 'C0BENCH' }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function mount(listener: RequestListener): Promise<Server> {
  const server = createServer(listener);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Sends `count` signed app_mention events at once; returns each request's time to acknowledgement (ms). */
async function fire(server: Server, count: number, tag: string): Promise<number[]> {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const body = JSON.stringify({
        token: 'x',
        team_id: 'T0',
        api_app_id: 'A0',
        type: 'event_callback',
        event_id: `Ev${tag}${i}`,
        event_time: 1764400000,
        event: {
          type: 'app_mention',
          user: 'U0ALICE',
          text: '<@U0BOT> how much memory does llama-3-8b need',
          ts: `1764400000.${String(i).padStart(6, '0')}`,
          channel: 'C0BENCH',
          event_ts: '1764400000.000100',
        },
        authorizations: [{ team_id: 'T0', user_id: 'U0BOT', is_bot: true }],
      });
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
      const started = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Slack-Request-Timestamp': String(timestamp),
          'X-Slack-Signature': signature,
        },
        body,
      });
      await response.text();
      if (response.status !== 200) throw new Error(`ack ${response.status}`);
      return performance.now() - started;
    }),
  );
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
};

/** Acknowledgement latency of 200 concurrent signed events: the assistant's HTTP receiver beside a bare Bolt app that only acks. */
export async function benchSlackAck(count = 200): Promise<void> {
  const slack = await fakeSlack();
  const apiUrl = `http://127.0.0.1:${(slack.address() as AddressInfo).port}/api/`;
  const logger = createLogger('silent');
  const bareReceiver = new HTTPReceiver({ signingSecret: SECRET, processBeforeResponse: false, logLevel: LogLevel.ERROR });
  const bare = new App({
    token: 'xoxb-bench',
    botId: 'B0BOT',
    botUserId: 'U0BOT',
    receiver: bareReceiver,
    clientOptions: { slackApiUrl: apiUrl },
    logLevel: LogLevel.ERROR,
  });
  bare.event('app_mention', async () => undefined);
  const bareServer = await mount(bareReceiver.requestListener);

  const dataDir = mkdtempSync(join(tmpdir(), 'llmops-bench-slack-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    DEMO: 'off',
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: apiUrl,
  });
  const assistant = await startAssistant(config, logger, { defaultMetrics: false });
  const surface = await createSlackSurface(config, assistant, logger);
  const oursServer = await mount(surface.requestListener as RequestListener);
  try {
    await fire(bareServer, 20, 'warmbare');
    await fire(oursServer, 20, 'warmours');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const bareTimes = await fire(bareServer, count, 'bare');
    const oursTimes = await fire(oursServer, count, 'ours');
    console.log(`Slack acknowledgement latency, ${count} concurrent signed app_mention events over HTTP:`);
    console.log(
      `  bare Bolt app (ack only): p50 ${pct(bareTimes, 0.5).toFixed(1)} ms, p99 ${pct(bareTimes, 0.99).toFixed(1)} ms`,
    );
    console.log(
      `  assistant (ack, then dedupe, post, agent, tools, update): p50 ${pct(oursTimes, 0.5).toFixed(1)} ms, p99 ${pct(oursTimes, 0.99).toFixed(1)} ms`,
    );
    console.log(
      `  ratio assistant / bare: p50 ${(pct(oursTimes, 0.5) / pct(bareTimes, 0.5)).toFixed(2)}, p99 ${(pct(oursTimes, 0.99) / pct(bareTimes, 0.99)).toFixed(2)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
  } finally {
    for (const server of [bareServer, oursServer, slack]) {
      server.closeAllConnections();
      server.close();
    }
    await assistant.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
