import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveLineChart } from '../src/charts/line-chart.ts';
import { decisionsOf } from '../src/chat/slack/slack-dependencies.ts';
import { createSlackSurface } from '../src/chat/slack/slack-surface.ts';
import { DeploymentHistory } from '../src/deployments/deployment-history.ts';
import { createHttpServer, listen } from '../src/http/http-server.ts';
import { slackSignature, startFakeSlack } from './support/fake-slack.ts';
import { simulatedTimeScale } from './support/simulated-time.ts';
import { silentLogger, testAssistant } from './support/test-assistant.ts';

// The real Bolt app over HTTP on the assistant's own server, signed requests in Slack's
// formats, and a Slack-compatible Web API server that records what comes back.

// The job test compares a quantised model with its baseline by load-testing simulated servers:
// they run 4 times faster than real time (the load tester reports in their time).
simulatedTimeScale(4);
const SECRET = 'test-signing-secret-8f3a';
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let assistant: Awaited<ReturnType<typeof testAssistant>>;
let server: Server;
let surface: Awaited<ReturnType<typeof createSlackSurface>>;
let eventsUrl: string;

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/slack/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;

beforeAll(async () => {
  slack = await startFakeSlack();
  // Four days of demo history hold the incident three days ago that "why was mistral-7b slow" finds (setup time only).
  const env = {
    DEMO: 'on',
    DEMO_BACKFILL_DAYS: '4',
    SLACK_BOT_TOKEN: 'xoxb-0000-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
  };
  assistant = await testAssistant(env, { demoTraffic: false });
  surface = await createSlackSurface(assistant.config, assistant, silentLogger, decisionsOf(assistant.approvals));
  assistant.setNotifier(surface.notify);
  assistant.setJobNotifier(surface.jobProgress);
  server = createHttpServer({
    metrics: assistant.metrics,
    logger: silentLogger,
    health: () => ({ ok: true, checks: {} }),
    routes: { '/slack/events': surface.requestListener as NonNullable<typeof surface.requestListener> },
  });
  const port = await listen(server, 0, '127.0.0.1');
  eventsUrl = `http://127.0.0.1:${port}/slack/events`;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await assistant?.dispose();
  await slack?.stop();
});

async function send(body: string, contentType: string, headers: Record<string, string> = {}, sign = true) {
  const started = performance.now();
  const response = await fetch(eventsUrl, {
    method: 'POST',
    headers: { 'Content-Type': contentType, ...(sign ? slackSignature(SECRET, body) : {}), ...headers },
    body,
  });
  return { status: response.status, text: await response.text(), ms: performance.now() - started };
}
const sendEvent = (payload: unknown, headers: Record<string, string> = {}) =>
  send(JSON.stringify(payload), 'application/json', headers);
const sendForm = (fields: Record<string, string>) =>
  send(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded');

describe('Slack surface over HTTP (Bolt)', () => {
  it('answers a mention in its thread: acknowledged at once, "working on it" updated with Block Kit, chart uploaded', async () => {
    const since = slack.calls.length;
    const event = fixture('app_mention');
    const ack = await sendEvent(event);
    expect(ack.status).toBe(200);
    expect(ack.ms).toBeLessThan(1000);

    const working = await slack.waitFor('chat.postMessage', (c) => c.body.channel === 'C0OPS', 15_000, since);
    expect(working.body.thread_ts).toBe('1764400000.000100');
    expect(working.body.text).toContain('Working on it');
    const answer = await slack.waitFor('chat.update', (c) => Array.isArray(c.body.blocks), 15_000, since);
    expect(answer.body.channel).toBe('C0OPS');
    const blocks = answer.body.blocks as Array<Record<string, any>>;
    expect(blocks[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });
    expect(blocks[0]?.text.text).toMatch(/^p95 TTFT over last 10m: llama-3-8b: \d/);
    expect(blocks.find((b) => b.fields)?.fields[0].text).toMatch(/^\*llama-3-8b\*\n\d+(\.\d+)? ms now/);
    expect(blocks.at(-1)).toMatchObject({ type: 'context' });
    expect(blocks.at(-1)?.elements[0].text).toContain('vllm:time_to_first_token_seconds');

    const upload = await slack.waitFor('files.completeUploadExternal', () => true, 15_000, since);
    expect(upload.body.channel_id).toBe('C0OPS');
    expect(upload.body.thread_ts).toBe('1764400000.000100');
    expect((await slack.waitFor('upload', () => true, 5000, since)).body.bytes).toBeGreaterThan(1000);
  });

  it('answers a retried or redelivered event once', async () => {
    const event = {
      ...fixture('app_mention'),
      event_id: 'Ev0RETRY1',
      event: { ...fixture('app_mention').event, ts: '1764400500.000100', text: '<@U0BOT> status of qwen2-7b' },
    };
    const since = slack.calls.length;
    expect((await sendEvent(event)).status).toBe(200);
    expect((await sendEvent(event, { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' })).status).toBe(200);
    expect((await sendEvent(event)).status).toBe(200);
    await slack.waitFor('chat.update', (c) => String(c.body.text).includes('qwen2-7b'), 15_000, since);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const posted = slack.calls
      .slice(since)
      .filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === '1764400500.000100');
    expect(posted).toHaveLength(1);
  });

  it('follows up in a thread it joined without a new mention, with the thread as memory', async () => {
    const since = slack.calls.length;
    const followUp = {
      ...fixture('message_im'),
      event_id: 'Ev0FOLLOW1',
      event: {
        type: 'message',
        text: 'and for mistral-7b?',
        user: 'U0ALICE',
        ts: '1764400600.000100',
        thread_ts: '1764400500.000100',
        channel: 'C0OPS',
        channel_type: 'channel',
        event_ts: '1764400600.000100',
      },
    };
    expect((await sendEvent(followUp)).status).toBe(200);
    const answer = await slack.waitFor('chat.update', (c) => Array.isArray(c.body.blocks), 15_000, since);
    // "and for mistral-7b?" repeats the thread's previous request (status) for the new deployment.
    expect(answer.body.blocks[0].text.text).toContain('mistral-7b (prod)');
    const elsewhere = {
      ...followUp,
      event_id: 'Ev0FOLLOW2',
      event: { ...followUp.event, ts: '1764400700.000100', thread_ts: '1764409999.000100' },
    };
    const before = slack.calls.length;
    await sendEvent(elsewhere);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(slack.calls.slice(before).filter((c) => c.method === 'chat.postMessage')).toHaveLength(0);
  });

  it('answers a direct message', async () => {
    const since = slack.calls.length;
    expect((await sendEvent(fixture('message_im'))).status).toBe(200);
    const working = await slack.waitFor('chat.postMessage', (c) => c.body.channel === 'D0ALICE', 15_000, since);
    expect(working.body.thread_ts).toBeUndefined();
    const answer = await slack.waitFor(
      'chat.update',
      (c) => c.body.channel === 'D0ALICE' && Array.isArray(c.body.blocks),
      15_000,
      since,
    );
    expect(answer.body.text).toMatch(/^Mixtral 8x7B in bf16 needs/);
    expect(answer.body.blocks[1].fields.map((f: { text: string }) => f.text)).toContain('*KV cache*\n32 GiB');
  });

  it('runs /llmops status directly: acknowledged, then the answer in a thread of the command', async () => {
    const since = slack.calls.length;
    const ack = await sendForm({ ...fixture('slash_command'), response_url: `${slack.origin}/respond/status` });
    expect(ack.status).toBe(200);
    const header = await slack.waitFor(
      'chat.postMessage',
      (c) => String(c.body.text).includes('/llmops status llama-3-8b'),
      15_000,
      since,
    );
    const answer = await slack.waitFor(
      'chat.postMessage',
      (c) => c.body.thread_ts !== undefined && Array.isArray(c.body.blocks),
      15_000,
      since,
    );
    expect(answer.body.channel).toBe('C0OPS');
    expect(answer.body.blocks[0].text.text).toMatch(/^1 deployment, all healthy:\n• llama-3-8b \(prod\) v2/);
    expect(answer.body.thread_ts).toBe(header.ts);
  });

  it('gives unknown sub-commands and help a short ephemeral usage', async () => {
    const since = slack.calls.length;
    await sendForm({
      ...fixture('slash_command'),
      text: 'frobnicate everything',
      response_url: `${slack.origin}/respond/unknown`,
    });
    const reply = await slack.waitFor(
      'response_url',
      (c) => String(c.body.text).includes('Unknown sub-command `frobnicate`'),
      15_000,
      since,
    );
    expect(reply.body.response_type).toBe('ephemeral');
    expect(reply.body.text).toContain('/llmops <sub-command>');
  });

  it('shows a proposal with buttons; a click is decided by the approvals module as the clicking user', async () => {
    let since = slack.calls.length;
    const mention = {
      ...fixture('app_mention'),
      event_id: 'Ev0DEPLOY1',
      event: { ...fixture('app_mention').event, ts: '1764400900.000100', text: '<@U0BOT> deploy qwen2-7b v2 to prod' },
    };
    await sendEvent(mention);
    const proposal = await slack.waitFor(
      'chat.update',
      (c) => Array.isArray(c.body.blocks) && JSON.stringify(c.body.blocks).includes('proposal_approve'),
      15_000,
      since,
    );
    const actions = (proposal.body.blocks as Array<Record<string, any>>).find((b) => b.type === 'actions');
    expect(actions?.elements.map((e: { action_id: string; value: string }) => [e.action_id, e.value])).toEqual([
      ['proposal_approve', '1'],
      ['proposal_reject', '1'],
    ]);

    const click = (user: string) => ({
      ...fixture('block_actions'),
      user: { id: user, username: user, name: user, team_id: 'T0ACME' },
      message: { ...fixture('block_actions').message, ts: proposal.body.ts, thread_ts: '1764400900.000100' },
      actions: [{ ...fixture('block_actions').actions[0], value: '1', block_id: 'proposal_1' }],
      response_url: `${slack.origin}/respond/action`,
    });
    since = slack.calls.length;
    expect((await sendForm({ payload: JSON.stringify(click('U0MLP')) })).status).toBe(200);
    const refused = await slack.waitFor(
      'chat.postMessage',
      (c) => String(c.body.text).includes('may not approve'),
      15_000,
      since,
    );
    expect(refused.body.thread_ts).toBe('1764400900.000100');
    expect(refused.body.text).toBe('U0MLP may not approve proposal 1: approvers are group:sre.');

    // A signed click whose user id is a policy entry's raw text is no one: a group matches only through membership.
    for (const user of ['group:sre', 'U0SRE ']) {
      since = slack.calls.length;
      expect((await sendForm({ payload: JSON.stringify(click(user)) })).status).toBe(200);
      const forged = await slack.waitFor(
        'chat.postMessage',
        (c) => String(c.body.text).includes('is not a user ID'),
        15_000,
        since,
      );
      expect(forged.body.text).toMatch(/^"group:sre" is not a user ID|^"U0SRE " is not a user ID/);
    }
    expect(assistant.approvals.get(1)?.state).toBe('pending');

    since = slack.calls.length;
    await sendForm({ payload: JSON.stringify(click('U0SRE')) });
    const progress = await slack.waitFor(
      'chat.postMessage',
      (c) => String(c.body.text).startsWith('Proposal 1: started qwen2-7b v2'),
      30_000,
      since,
    );
    expect(progress.body.thread_ts).toBe('1764400900.000100');
    const done = await slack.waitFor(
      'chat.postMessage',
      (c) => String(c.body.text).includes('approved by U0SRE and done'),
      30_000,
      since,
    );
    expect(done.body.thread_ts).toBe('1764400900.000100');
    expect(done.body.text).toMatch(/qwen2-7b v2 serves in prod on 1 replica/);
  }, 60_000);

  it("posts a job's progress as one message in the thread and edits it until the result", async () => {
    const since = slack.calls.length;
    const mention = {
      ...fixture('app_mention'),
      event_id: 'Ev0JOB1',
      event: { ...fixture('app_mention').event, ts: '1764401000.000100', text: '<@U0BOT> quantize qwen2-7b to int8 in dev' },
    };
    await sendEvent(mention);
    const first = await slack.waitFor(
      'chat.postMessage',
      (c) => String(c.body.text).startsWith('Job 1 (quantize qwen2-7b, dev)'),
      30_000,
      since,
    );
    expect(first.body.thread_ts).toBe('1764401000.000100');
    const finished = await slack.waitFor(
      'chat.update',
      (c) => c.body.ts === first.ts && String(c.body.text).includes('finished: qwen2-7b-int8 against qwen2-7b'),
      90_000,
      since,
    );
    expect(finished.body.text).toMatch(/accuracy\s+\d+% \(\d+\/20\)/);
    const jobMessages = slack.calls.slice(since).filter((c) => String(c.body.text).startsWith('Job 1 ('));
    expect(jobMessages.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
    expect(jobMessages.filter((c) => c.method === 'chat.update').every((c) => c.body.ts === first.ts)).toBe(true);
    expect(jobMessages.some((c) => /\[█+░*\] \d+%/.test(String(c.body.text)))).toBe(true);
  }, 120_000);

  it("uploads a finished job's chart into its thread", async () => {
    const since = slack.calls.length;
    const chart = await saveLineChart(
      {
        title: 'trials',
        yLabel: 'tokens/s',
        series: [
          {
            name: 'trial',
            points: [
              { t: 1, v: 1 },
              { t: 2, v: 3 },
            ],
          },
        ],
      },
      join(assistant.dataDir, 'charts'),
      'job-9-tuning-trials',
    );
    await surface.jobProgress(
      'slack:C0OPS:1764401100.000100',
      'job-9',
      'Job 9 (tune x, dev): [████░░░░░░░░░░░░] 25% trial 1/4',
      false,
    );
    await surface.jobProgress('slack:C0OPS:1764401100.000100', 'job-9', `Job 9 (tune x, dev) finished: …\nChart: ${chart}`, true);
    const upload = await slack.waitFor('files.completeUploadExternal', () => true, 15_000, since);
    expect(upload.body.thread_ts).toBe('1764401100.000100');
    const calls = slack.calls.slice(since).map((c) => c.method);
    expect(calls.filter((m) => m === 'chat.postMessage')).toHaveLength(1);
    expect(calls.filter((m) => m === 'chat.update')).toHaveLength(1);
  });

  it("offers a root-cause answer's rollback as a button; a click proposes it as the clicking user", async () => {
    // mistral-7b now runs v5 again, so rolling back to v4 (what the v5 deploy replaced 3 days ago) is possible.
    const history = new DeploymentHistory(assistant.db);
    const current = history.current('mistral-7b', 'prod')?.spec;
    if (current) history.record({ ...current, version: 'v5' }, 'U0ALICE', 'local', 'active');
    let since = slack.calls.length;
    const mention = {
      ...fixture('app_mention'),
      event_id: 'Ev0WHY1',
      event: {
        ...fixture('app_mention').event,
        ts: '1764401200.000100',
        text: '<@U0BOT> why was mistral-7b slow in the last 4d?',
      },
    };
    await sendEvent(mention);
    const answer = await slack.waitFor(
      'chat.update',
      (c) => JSON.stringify(c.body.blocks ?? []).includes('suggested_action'),
      30_000,
      since,
    );
    const actions = (answer.body.blocks as Array<Record<string, any>>).find((b) => b.block_id === 'suggested_action');
    const button = actions?.elements[0] as { text: { text: string }; value: string };
    expect(button.text.text).toBe('Propose rollback of mistral-7b to v4');

    since = slack.calls.length;
    const click = {
      ...fixture('block_actions'),
      user: { id: 'U0BOB', username: 'bob', name: 'bob', team_id: 'T0ACME' },
      message: { ...fixture('block_actions').message, ts: answer.body.ts, thread_ts: '1764401200.000100' },
      actions: [
        {
          ...fixture('block_actions').actions[0],
          action_id: 'suggested_action',
          block_id: 'suggested_action',
          value: button.value,
        },
      ],
      response_url: `${slack.origin}/respond/action`,
    };
    expect((await sendForm({ payload: JSON.stringify(click) })).status).toBe(200);
    const proposed = await slack.waitFor(
      'chat.postMessage',
      (c) => /^Proposal \d+ awaits approval/.test(String(c.body.text)),
      15_000,
      since,
    );
    expect(proposed.body.thread_ts).toBe('1764401200.000100');
    expect(proposed.body.text).toContain('Roll back mistral-7b in prod to v4');
    expect(JSON.stringify(proposed.body.blocks)).toContain('proposal_approve');
    const proposal = assistant.approvals.open().find((p) => p.tool === 'rollback_deployment');
    expect(proposal?.requester).toBe('U0BOB');
  }, 60_000);

  it('publishes the App Home with the deployments', async () => {
    const since = slack.calls.length;
    await sendEvent(fixture('app_home_opened'));
    const view = await slack.waitFor('views.publish', () => true, 15_000, since);
    expect(view.body.user_id).toBe('U0ALICE');
    const text = JSON.stringify(view.body.view);
    for (const name of ['llama-3-8b', 'mistral-7b', 'qwen2-7b', 'Open proposals', 'Recent jobs']) expect(text).toContain(name);
    expect(text).toContain('Job 1 (quantize qwen2-7b, dev) finished'); // the job an earlier test ran
  });

  it('rejects forged signatures, stale timestamps and malformed bodies, with no side effect', async () => {
    const since = slack.calls.length;
    const body = JSON.stringify({ ...fixture('app_mention'), event_id: 'Ev0FORGED' });
    const forged = await send(
      body,
      'application/json',
      { 'X-Slack-Request-Timestamp': String(Math.floor(Date.now() / 1000)), 'X-Slack-Signature': `v0=${'0'.repeat(64)}` },
      false,
    );
    expect(forged.status).toBe(401);
    const stale = await send(
      body,
      'application/json',
      slackSignature(SECRET, body, Math.floor(Date.now() / 1000) - 6 * 60),
      false,
    );
    expect(stale.status).toBe(401);
    const unsigned = await send(body, 'application/json', {}, false);
    expect(unsigned.status).toBe(401);
    const malformed = await send('{"type": "event_callback", "event": ', 'application/json');
    expect(malformed.status).toBeGreaterThanOrEqual(400);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(slack.calls.slice(since)).toEqual([]);
  });

  it('waits out a 429 with Retry-After and still posts', async () => {
    const since = slack.calls.length;
    slack.rateLimitNext('chat.postMessage', 1);
    const event = {
      ...fixture('app_mention'),
      event_id: 'Ev0LIMITED',
      event: { ...fixture('app_mention').event, ts: '1764400800.000100', text: '<@U0BOT> how much memory for phi-3-mini' },
    };
    await sendEvent(event);
    const limited = await slack.waitFor('chat.postMessage:429', () => true, 15_000, since);
    const posted = await slack.waitFor('chat.postMessage', (c) => c.body.thread_ts === '1764400800.000100', 15_000, since);
    expect(posted.at - limited.at).toBeGreaterThanOrEqual(900);
  });
});
