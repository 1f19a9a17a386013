import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionsOf } from '../src/chat/slack/slack-dependencies.ts';
import { createSlackSurface } from '../src/chat/slack/slack-surface.ts';
import { createHttpServer, listen } from '../src/http/http-server.ts';
import { createLogger } from '../src/observability/logger.ts';
import { slackSignature, startFakeSlack } from './support/fake-slack.ts';
import { testAssistant } from './support/test-assistant.ts';

// The edge of the Slack HTTP endpoint: methods other than POST, signatures dated in the future,
// interactions without a payload, and what reaches the log when requests are refused or fail.
const SECRET = 'edge-signing-secret-31c9';
const BEARER = 'Bearer sk-proj-EDGE0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const COOKIE = 'd=xoxd-EDGE0cookie0value; session=EDGE0sessionvalue0123';
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let assistant: Awaited<ReturnType<typeof testAssistant>>;
let server: Server;
let base: string;
let logged = '';

const logger = createLogger(
  'debug',
  new Writable({
    write(chunk, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  }),
);

beforeAll(async () => {
  slack = await startFakeSlack();
  // No question here reads the fleet's history: none is back-filled (setup time only).
  const env = {
    DEMO: 'on',
    DEMO_BACKFILL_DAYS: '0',
    SLACK_BOT_TOKEN: 'xoxb-0000-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
  };
  assistant = await testAssistant(env, { demoTraffic: false });
  const surface = await createSlackSurface(assistant.config, assistant, logger, decisionsOf(assistant.approvals));
  server = createHttpServer({
    metrics: assistant.metrics,
    logger,
    health: () => ({ ok: true, checks: {} }),
    routes: {
      '/slack/events': surface.requestListener as NonNullable<typeof surface.requestListener>,
      // A handler that fails with the request attached, as Bolt's own errors are.
      '/fails': (request) => {
        throw Object.assign(new Error('handler failed'), { req: request, request });
      },
    },
  });
  const port = await listen(server, 0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await assistant?.dispose();
  await slack?.stop();
});

async function post(body: string, contentType: string, headers: Record<string, string>) {
  const started = performance.now();
  const response = await fetch(`${base}/slack/events`, {
    method: 'POST',
    headers: { 'Content-Type': contentType, ...headers },
    body,
  });
  return { status: response.status, text: await response.text(), ms: performance.now() - started };
}

const FORM = 'application/x-www-form-urlencoded';
const nowS = () => Math.floor(Date.now() / 1000);

function expectNoCredentialsLogged() {
  expect(logged).not.toContain('EDGE0');
  expect(logged).not.toContain(SECRET);
  expect(logged.toLowerCase()).not.toContain('"cookie":"d=');
  expect(logged.toLowerCase()).not.toMatch(/"authorization":"bearer/);
}

describe('Slack HTTP edge', () => {
  it('answers GET and HEAD with 405 and Allow: POST, logging no credentials', async () => {
    for (const method of ['GET', 'HEAD', 'PUT']) {
      const response = await fetch(`${base}/slack/events?token=xoxb-111111111111-EDGE0querytoken`, {
        method,
        headers: { Authorization: BEARER, Cookie: COOKIE, 'X-Slack-Signature': `v0=${'a'.repeat(64)}` },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      if (method !== 'HEAD') expect(await response.text()).toContain('takes POST');
    }
    expect(logged).toContain('non-POST');
    expectNoCredentialsLogged();
  });

  it('logs a failing handler without the request headers', async () => {
    const response = await fetch(`${base}/fails?api_key=EDGE0apikeyvalue12345`, {
      headers: { Authorization: BEARER, Cookie: COOKIE, 'Set-Cookie': COOKIE },
    });
    expect(response.status).toBe(500);
    expect(logged).toContain('handler failed');
    expect(logged).toContain('"method":"GET"');
    expectNoCredentialsLogged();
  });

  it('refuses signatures dated in the future beyond 60 s of clock skew, accepts small skew', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'edge-challenge', token: 'x' });
    const future = await post(body, 'application/json', slackSignature(SECRET, body, nowS() + 5 * 60));
    expect(future.status).toBe(401);
    expect(future.text).toMatch(/in the future \(at most 60 s of clock skew\)/);
    const farFuture = await post(body, 'application/json', slackSignature(SECRET, body, nowS() + 86_400));
    expect(farFuture.status).toBe(401);
    const skewed = await post(body, 'application/json', slackSignature(SECRET, body, nowS() + 20));
    expect(skewed.status).toBe(200);
    expect(JSON.parse(skewed.text)).toEqual({ challenge: 'edge-challenge' });
    const stale = await post(body, 'application/json', slackSignature(SECRET, body, nowS() - 6 * 60));
    expect(stale.status).toBe(401);
    expect(stale.text).toContain('stale');
    const forged = await post(body, 'application/json', {
      'X-Slack-Request-Timestamp': String(nowS()),
      'X-Slack-Signature': 'v0=00',
    });
    expect(forged.status).toBe(401);
    expect(forged.text).toContain('signature mismatch');
  });

  it('answers a signed interaction without a payload at once with 400 and the reason, with no side effect', async () => {
    const since = slack.calls.length;
    for (const [body, reason] of [
      ['payload=', /payload is empty/],
      ['', /no payload/],
      ['team_id=T0&user_id=U0', /no payload/],
      ['payload=%7B%7D', /no "type"/],
      ['payload=null', /not a JSON object/],
      ['payload=%7Bnot+json', /not JSON/],
    ] as const) {
      const response = await post(body, FORM, slackSignature(SECRET, body));
      expect(response.status, body).toBe(400);
      expect(response.text, body).toMatch(reason);
      expect(response.ms, body).toBeLessThan(1000);
    }
    const json = await post('{"event": {}}', 'application/json', slackSignature(SECRET, '{"event": {}}'));
    expect(json.status).toBe(400);
    // Unsigned, the same bodies are refused for the signature before anything else.
    const unsigned = await post('payload=', FORM, {});
    expect(unsigned.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slack.calls.slice(since)).toEqual([]);
  });

  it('still hands genuine requests to Bolt: a signed slash command is acknowledged', async () => {
    const body = new URLSearchParams({
      command: '/llmops',
      text: 'help',
      user_id: 'U0ALICE',
      channel_id: 'C0OPS',
      team_id: 'T0ACME',
      response_url: `${slack.origin}/respond/edge`,
      trigger_id: '1.2.3',
    }).toString();
    const response = await post(body, FORM, slackSignature(SECRET, body));
    expect(response.status).toBe(200);
    expect(response.ms).toBeLessThan(2500);
  });
});
