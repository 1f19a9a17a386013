import { closeSync, linkSync, openSync, renameSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, it, type TestContext } from 'vitest';
import { startAssistant } from '../src/app.ts';
import { decisionsOf } from '../src/chat/slack/slack-dependencies.ts';
import { createSlackSurface } from '../src/chat/slack/slack-surface.ts';
import { healthReport } from '../src/http/health-report.ts';
import { createHttpServer, listen } from '../src/http/http-server.ts';
import { createLogger } from '../src/observability/logger.ts';
import { slackSignature, startFakeSlack } from './support/fake-slack.ts';
import { healthUntil } from './support/health-until.ts';
import { tempDataDir, testAssistant, testConfig } from './support/test-assistant.ts';
import { mountTmpfs, tmpfsUnavailable } from './support/tmpfs.ts';
import { waitUntil } from './support/wait-until.ts';

const SIZING = 'how much GPU memory does mistral-7b need in fp16 on an L4';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger whose JSON lines the test can read. */
function capturingLogger() {
  const lines: Array<{ level?: number; msg?: string }> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

const SECRET = 'test-signing-secret-health';

/** The assistant with its Slack surface and HTTP server, wired as `npm start` wires them, on `dataDir`. */
async function slackAssistant(slackApiUrl: string, dataDir: string) {
  const { logger, lines } = capturingLogger();
  const assistant = await startAssistant(
    testConfig(dataDir, {
      DEMO: 'off',
      SLACK_BOT_TOKEN: 'xoxb-0000-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slackApiUrl,
    }),
    logger,
    { defaultMetrics: false },
  );
  const surface = await createSlackSurface(assistant.config, assistant, logger, decisionsOf(assistant.approvals));
  const server: Server = createHttpServer({
    metrics: assistant.metrics,
    logger,
    health: () => healthReport(assistant),
    routes: { '/slack/events': surface.requestListener as NonNullable<typeof surface.requestListener> },
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    assistant,
    port,
    lines,
    async event(id: string, ts: string, text: string, headers: Record<string, string> = {}) {
      const body = JSON.stringify({
        type: 'event_callback',
        team_id: 'T0ACME',
        api_app_id: 'A0LLMOPS',
        event_id: id,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_mention', text: `<@U0BOT> ${text}`, user: 'U0ALICE', ts, channel: 'C0OPS', event_ts: ts },
      });
      const response = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...slackSignature(SECRET, body), ...headers },
        body,
      });
      return response.status;
    },
    async metrics() {
      return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await surface.stop();
      await assistant.close();
    },
  };
}

// Every test has its own assistant and data folder, and mostly waits on them: they run at once.
describe.concurrent('a request that cannot be stored is answered in its thread, logged, counted, and health degrades', () => {
  /** A Slack of the test's own, so that what one test waits for is never another's. */
  async function ownSlack(test: TestContext) {
    const slack = await startFakeSlack();
    test.onTestFinished(() => slack.stop());
    return slack;
  }

  it.skipIf(tmpfsUnavailable !== undefined)(
    `on a full disk (a small tmpfs)${tmpfsUnavailable ? ` [skipped: ${tmpfsUnavailable}]` : ''}`,
    async (test) => {
      const { expect } = test;
      const slack = await ownSlack(test);
      const disk = mountTmpfs('8m');
      const app = await slackAssistant(slack.apiUrl, disk.dir);
      try {
        expect((await healthUntil(app.port, (status) => status === 200)).status).toBe(200);
        const filler = join(disk.dir, 'filler');
        expect(() => writeFileSync(filler, Buffer.alloc(16 << 20))).toThrow(/ENOSPC/);

        const since = slack.calls.length;
        expect(await app.event('Ev0FULL1', '1764500000.000100', SIZING)).toBe(200);
        const answer = await slack.waitFor('chat.update', (c) => String(c.body.text).includes('could not save'), 15_000, since);
        expect(answer.body.text).toMatch(
          new RegExp(
            `^I could not save this conversation: the disk is full \\(SQLITE_FULL\\) under DATA_DIR=${disk.dir}, so I will not remember this turn; the answer was: Mistral 7B in fp16 needs 13\\.49 GiB for weights`,
          ),
        );
        // Slack retries an event it thinks was lost: the delivery is remembered in memory while the disk is full.
        expect(await app.event('Ev0FULL1', '1764500000.000100', SIZING, { 'X-Slack-Retry-Num': '1' })).toBe(200);
        await sleep(500);
        const posted = slack.calls
          .slice(since)
          .filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === '1764500000.000100');
        expect(posted).toHaveLength(1);

        const health = await healthUntil(app.port, (status) => status === 503);
        expect(health.status).toBe(503);
        expect(health.body.checks.database).toMatch(
          new RegExp(`^database not writable: disk full \\(SQLITE_FULL\\) under DATA_DIR=${disk.dir}: .*free space on the disk`),
        );
        const metrics = await app.metrics();
        expect(metrics).toContain('llmops_storage_failures_total{operation="slack_delivery",reason="disk_full"} 1');
        expect(metrics).toContain('llmops_storage_failures_total{operation="conversation_append",reason="disk_full"} 1');
        expect(metrics).toContain('llmops_conversation_turns_total{surface="slack",outcome="unsaved"} 1');
        expect(
          app.lines.some(
            (l) =>
              l.level === 50 && String(l.msg).startsWith('storage failed: the disk is full (SQLITE_FULL) (conversation_append)'),
          ),
        ).toBe(true);

        rmSync(filler);
        const recovered = await healthUntil(app.port, (status) => status === 200, 3000);
        expect(recovered.status).toBe(200);
        const next = slack.calls.length;
        expect(await app.event('Ev0FULL2', '1764500100.000100', SIZING)).toBe(200);
        const stored = await slack.waitFor(
          'chat.update',
          (c) => String(c.body.text).startsWith('Mistral 7B in fp16'),
          15_000,
          next,
        );
        expect(stored.body.text).not.toContain('could not save');
        expect(app.assistant.threads.recent('slack:C0OPS:1764500100.000100', 10).map((m) => m.type)).toEqual([
          'human',
          'ai',
          'tool',
          'ai',
        ]);
      } finally {
        await app.close();
        disk.unmount();
      }
    },
    60_000,
  );

  it('when the database file was removed under it: the event is answered with what failed, and health names the file', async (test) => {
    const { expect } = test;
    const slack = await ownSlack(test);
    const dataDir = tempDataDir();
    const app = await slackAssistant(slack.apiUrl, dataDir);
    const file = join(dataDir, 'llmops.db');
    try {
      linkSync(file, `${file}.keep`);
      unlinkSync(file);
      const since = slack.calls.length;
      expect(await app.event('Ev0GONE1', '1764600000.000100', SIZING)).toBe(200);
      const answer = await slack.waitFor('chat.update', (c) => String(c.body.text).includes('could not save'), 15_000, since);
      expect(answer.body.text).toMatch(
        new RegExp(
          `^I could not save this conversation: ${file} was deleted or moved away while the assistant runs, so I will not remember this turn; the answer was: Mistral 7B in fp16 needs`,
        ),
      );
      const health = await healthUntil(app.port, (status) => status === 503);
      expect(health.body.checks.database).toMatch(
        new RegExp(`^database file moved: ${file} no longer exists; the open database still exists under another name`),
      );
      const metrics = await app.metrics();
      expect(metrics).toContain('llmops_storage_failures_total{operation="slack_delivery",reason="deleted"} 1');
      expect(metrics).toContain('llmops_storage_failures_total{operation="conversation_append",reason="deleted"} 1');

      // Put back (same file): writes are accepted again, and the next question is remembered.
      renameSync(`${file}.keep`, file);
      expect((await healthUntil(app.port, (status) => status === 200)).status).toBe(200);
      const next = slack.calls.length;
      expect(await app.event('Ev0GONE2', '1764600100.000100', SIZING)).toBe(200);
      await slack.waitFor('chat.update', (c) => String(c.body.text).startsWith('Mistral 7B in fp16'), 15_000, next);
      expect(app.assistant.threads.recent('slack:C0OPS:1764600100.000100', 10).map((m) => m.type)).toEqual([
        'human',
        'ai',
        'tool',
        'ai',
      ]);
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** An assistant on its own data folder, disposed when `test` ends. */
async function ownAssistant(test: TestContext, env: Record<string, string> = {}) {
  const assistant = await testAssistant(env);
  test.onTestFinished(() => assistant.dispose());
  return assistant;
}

describe.concurrent('a database that cannot take a turn (SQLITE_FULL through max_page_count, no root needed)', () => {
  it('answers with the answer and what failed, stores nothing half, keeps health 503 until a turn fits again', async (test) => {
    const { expect } = test;
    const assistant = await ownAssistant(test);
    const question = `${SIZING}? ${'Please be precise. '.repeat(400)}`;
    const normal = await assistant.conversation.handle({ surface: 'test', threadId: 'roomy', userId: 'u', text: question });
    expect(normal.kind).toBe('answer');
    expect(assistant.checkDatabase()).toBe('ok');

    // The file may not grow by one more page: SQLite answers SQLITE_FULL exactly as for a full disk.
    const pages = assistant.db.pragma('page_count', { simple: true }) as number;
    assistant.db.pragma(`max_page_count = ${pages}`);
    const full = await assistant.conversation.handle({ surface: 'test', threadId: 'full', userId: 'u', text: question });
    expect(full.kind).toBe('failed');
    expect(full.text).toBe(
      `I could not save this conversation: the disk is full (SQLITE_FULL) under DATA_DIR=${assistant.dataDir}, so I will not remember this turn; the answer was: ${normal.text}`,
    );
    expect(full.toolRuns.map((r) => r.tool)).toEqual(normal.toolRuns.map((r) => r.tool));
    expect(assistant.threads.recent('full', 10)).toEqual([]);

    // The check is reused for at most a second: the next one sees the failed write.
    const degraded = await waitUntil(
      'the database check to report the failed write',
      () => {
        const check = assistant.checkDatabase();
        return check !== 'ok' && check;
      },
      { timeoutMs: 2500 },
    );
    expect(degraded).toMatch(
      new RegExp(
        `^database not writable: disk full \\(SQLITE_FULL\\) under DATA_DIR=${assistant.dataDir}: conversation_append failed at \\S+Z and a 64 KiB test write still fails; free space`,
      ),
    );
    const metrics = await assistant.metrics.registry.metrics();
    expect(metrics).toContain('llmops_storage_failures_total{operation="conversation_append",reason="disk_full"} 1');
    expect(metrics).toContain('llmops_conversation_turns_total{surface="test",outcome="unsaved"} 1');

    assistant.db.pragma(`max_page_count = ${pages + 1000}`);
    expect(
      await waitUntil('the database check to be ok again', () => assistant.checkDatabase() === 'ok', { timeoutMs: 2500 }),
    ).toBe(true);
    const again = await assistant.conversation.handle({ surface: 'test', threadId: 'full', userId: 'u', text: question });
    expect(again).toMatchObject({ kind: 'answer', text: normal.text });
    expect(assistant.threads.recent('full', 10).length).toBeGreaterThanOrEqual(2);
  });
  it('a turn whose model failed says both what failed and that it could not be remembered', async (test) => {
    const { expect } = test;
    const assistant = await ownAssistant(test, { OPENAI_BASE_URL: 'http://127.0.0.1:59999/v1' });
    const pages = assistant.db.pragma('page_count', { simple: true }) as number;
    assistant.db.pragma(`max_page_count = ${pages}`);
    const reply = await assistant.conversation.handle({
      surface: 'test',
      threadId: 't',
      userId: 'u',
      text: `status of mistral-7b ${'please '.repeat(1000)}`,
    });
    expect(reply.kind).toBe('failed');
    expect(reply.text).toMatch(
      new RegExp(
        `^Sorry, I could not finish that: The language model .* could not be reached .*\\n\\(Also, I could not save this conversation: the disk is full \\(SQLITE_FULL\\) under DATA_DIR=${assistant.dataDir}, so I will not remember this turn\\.\\)$`,
      ),
    );
  });
});

describe.concurrent('a corrupt page met at run time', () => {
  it('answers without the memory it cannot read, says so, and health reports the corruption', async (test) => {
    const { expect } = test;
    const assistant = await ownAssistant(test);
    const file = join(assistant.dataDir, 'llmops.db');
    await assistant.conversation.handle({ surface: 'test', threadId: 't', userId: 'u', text: SIZING });
    assistant.db.pragma('wal_checkpoint(TRUNCATE)');
    const { rootpage } = assistant.db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'messages'").get() as {
      rootpage: number;
    };
    const pageSize = assistant.db.pragma('page_size', { simple: true }) as number;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (rootpage - 1) * pageSize);
    closeSync(fd);
    // Another connection's write makes the assistant's connection drop its page cache, as another process's would.
    const other = new Database(file);
    other.prepare("INSERT INTO health_probe (id, at) VALUES (9, 'x') ON CONFLICT (id) DO UPDATE SET at = excluded.at").run();
    other.close();

    const reply = await assistant.conversation.handle({ surface: 'test', threadId: 't', userId: 'u', text: SIZING });
    expect(reply.kind).toBe('failed');
    expect(reply.text).toMatch(
      new RegExp(
        `^I could not read this conversation's earlier messages nor save this one: the database file is corrupt \\(SQLITE_CORRUPT\\) under DATA_DIR=${assistant.dataDir}, so I answered without them and will not remember this turn; the answer was: Mistral 7B in fp16 needs`,
      ),
    );
    expect(assistant.checkDatabase()).toMatch(
      /^database corrupt \(SQLITE_CORRUPT\) under DATA_DIR=.*: reading .* failed \(database disk image is malformed\); stop the assistant and move DATA_DIR\/llmops\.db/,
    );
    const metrics = await assistant.metrics.registry.metrics();
    expect(metrics).toContain('llmops_storage_failures_total{operation="conversation_read",reason="corrupt"} 1');
  });
});
