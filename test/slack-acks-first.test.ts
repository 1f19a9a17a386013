import { readFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackSurface } from '../src/chat/slack/slack-surface.ts';
import { createHttpServer, listen } from '../src/http/http-server.ts';
import { slackSignature, startFakeSlack } from './support/fake-slack.ts';
import { answersByThread } from './support/slack-answers.ts';
import { silentLogger, testAssistant } from './support/test-assistant.ts';

// The assistant's own HTTP server with the real Bolt receiver and the demo fleet, signed
// mentions sent the way Slack sends them (each on its own connection), and a Slack-compatible
// Web API server that records every message a user would see.
const SECRET = 'test-signing-secret-acks';
const SLACK_ACK_DEADLINE_MS = 3000;
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let assistant: Awaited<ReturnType<typeof testAssistant>>;
let server: Server;
let port: number;
let surface: Awaited<ReturnType<typeof createSlackSurface>>;

/** A recorded app_mention delivery: the envelope and its event. */
type MentionDelivery = Record<string, unknown> & { event: Record<string, unknown> };
const template = JSON.parse(
  readFileSync(new URL('./fixtures/slack/app_mention.json', import.meta.url), 'utf8'),
) as MentionDelivery;

beforeAll(async () => {
  slack = await startFakeSlack();
  assistant = await testAssistant(
    {
      DEMO: 'on',
      DEMO_BACKFILL_DAYS: '1',
      SLACK_BOT_TOKEN: 'xoxb-0000-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
    },
    { demoTraffic: false },
  );
  surface = await createSlackSurface(assistant.config, assistant, silentLogger);
  server = createHttpServer({
    metrics: assistant.metrics,
    logger: silentLogger,
    health: () => ({ ok: true, checks: {} }),
    routes: { '/slack/events': surface.requestListener as NonNullable<typeof surface.requestListener> },
  });
  port = await listen(server, 0, '127.0.0.1');
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await assistant?.dispose();
  await slack?.stop();
});

function mention(eventId: string, threadTs: string, question: string): string {
  return JSON.stringify({
    ...template,
    event_id: eventId,
    event: { ...template.event, client_msg_id: eventId, text: `<@U0BOT> ${question}`, ts: threadTs, event_ts: threadTs },
  });
}

/** POSTs a signed body on a connection of its own, as Slack delivers events; resolves with the status and the time to it. */
function deliver(body: string, headers: Record<string, string> = {}): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/slack/events',
        method: 'POST',
        agent: false,
        headers: { 'Content-Type': 'application/json', ...slackSignature(SECRET, body), ...headers },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Slack acknowledgements come first, whatever the answers cost', () => {
  it('acknowledges a burst of 200 mentions sent while turns are busy within 3 s, and answers each exactly once', async () => {
    // Busy: root-cause analyses and charts, the most expensive answers, are being worked on.
    const busy = Array.from({ length: 8 }, (_, i) => ({
      threadTs: `1764500000.${String(i).padStart(6, '0')}`,
      question: i % 2 === 0 ? 'why is mistral-7b slow?' : 'p95 ttft of llama-3-8b over the last 10 minutes',
    }));
    const busyAcks = await Promise.all(busy.map((b, i) => deliver(mention(`EvBUSY${i}`, b.threadTs, b.question))));
    expect(busyAcks.map((a) => a.status)).toEqual(busy.map(() => 200));
    await waitUntil(
      () => Object.keys(answersByThread(slack.calls).working).length > 0,
      30_000,
      () => 'no turn started',
    );
    const answeredBefore = busy.filter((b) => answersByThread(slack.calls).answers[b.threadTs]).length;

    // The burst: 200 new mentions at once, and Slack redelivering 20 of them.
    const burst = Array.from({ length: 200 }, (_, i) => ({
      id: `EvBURST${i}`,
      threadTs: `1764600000.${String(i).padStart(6, '0')}`,
      question: ['how much GPU memory does llama-3-8b need?', 'status of qwen2-7b', 'show the logs of mistral-7b'][
        i % 3
      ] as string,
    }));
    const deliveries = [
      ...burst.map((m) => deliver(mention(m.id, m.threadTs, m.question))),
      ...burst
        .slice(0, 20)
        .map((m) =>
          deliver(mention(m.id, m.threadTs, m.question), { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'timeout' }),
        ),
    ];
    const acks = await Promise.all(deliveries);
    // The burst really met busy turns: not every expensive answer was out when it was sent.
    expect(answeredBefore).toBeLessThan(busy.length);
    expect(acks.filter((a) => a.status !== 200)).toEqual([]);
    const slowest = Math.max(...acks.map((a) => a.ms));
    expect(slowest, `slowest acknowledgement ${slowest.toFixed(0)} ms`).toBeLessThan(SLACK_ACK_DEADLINE_MS);

    const threads = [...busy.map((b) => b.threadTs), ...burst.map((m) => m.threadTs)];
    await waitUntil(
      () => threads.every((t) => answersByThread(slack.calls).answers[t]),
      90_000,
      () => `${threads.filter((t) => !answersByThread(slack.calls).answers[t]).length} of ${threads.length} mentions unanswered`,
    );
    // A duplicate would still be queued or running: count once no turn is left.
    await surface.idle();
    const seen = answersByThread(slack.calls);
    const wrong = threads.filter((t) => seen.working[t] !== 1 || seen.answers[t] !== 1);
    expect(wrong.map((t) => `${t}: ${seen.working[t]} working, ${seen.answers[t]} answers`)).toEqual([]);
  }, 150_000);
});
