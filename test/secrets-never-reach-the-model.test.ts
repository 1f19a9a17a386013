import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalIncidentChannel } from '../src/chat/local/terminal-incident-channel.ts';
import type { AlertmanagerPayload } from '../src/incidents/alertmanager-payload.ts';
import { IncidentRepository } from '../src/incidents/incident-repository.ts';
import { IncidentService } from '../src/incidents/incident-service.ts';
import { ChangeEventRepository } from '../src/store/change-event-repository.ts';
import { answerCompletion, type ChatRequestBody, serveCompletions, toolCallCompletion } from './support/openai-fixtures.ts';
import { leaks, loadSecretCorpus } from './support/secret-corpus.ts';
import { silentLogger, testAssistant } from './support/test-assistant.ts';

// The whole secret corpus (over 200 secrets of more than 30 kinds, plain and disguised: zero-width
// characters, %XX escapes, base64, a token cut over two log lines, prose) in the log lines a tool
// returns, in the person's message, and in an Alertmanager notification's annotations: none may
// appear in what is sent to the (nock'ed) OpenAI API.
const corpus = loadSecretCorpus().filter((entry) => entry.kind !== 'none' && entry.secret);

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

function leaked(bodies: ChatRequestBody[]): string[] {
  const sent = JSON.stringify(bodies);
  return corpus.filter((entry) => leaks(sent, entry)).map((entry) => `${entry.kind} (${entry.form ?? 'plain'}): ${entry.secret}`);
}

function clockNow(): string {
  const stamp = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${stamp.getFullYear()}-${pad(stamp.getMonth() + 1)}-${pad(stamp.getDate())} ${pad(stamp.getHours())}:${pad(stamp.getMinutes())}:${pad(stamp.getSeconds())}`;
}

describe('secrets never reach the model', () => {
  it('redacts every corpus secret in log lines a tool returns and in the person message', async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((entry) => entry.kind)).size).toBeGreaterThanOrEqual(30);
    const assistant = await testAssistant(
      {
        DEMO: 'on',
        DEMO_BACKFILL_DAYS: '1',
        OPENAI_API_KEY: 'sk-test-abcd',
        TOOL_RESULT_MAX_CHARS: '200000',
        MAX_MESSAGE_CHARS: '40000',
      },
      { demoTraffic: false },
    );
    try {
      const clock = clockNow();
      // Every line of an entry becomes a log line of its own: a token cut over two lines is cut over two log lines.
      const logLines = corpus.flatMap((entry) => entry.text.split('\n').map((line) => `ERROR ${clock} [app.py:1] ${line}\n`));
      expect(logLines.length).toBeLessThanOrEqual(500);
      appendFileSync(join(assistant.dataDir, 'demo', 'logs', 'llama-3-8b.log'), logLines.join(''));
      const bodies = serveCompletions([
        {
          body: toolCallCompletion('sec1', [
            { name: 'search_logs', arguments: { deployment: 'llama-3-8b', level: 'error', range: 'last 1h', limit: 500 } },
          ]),
        },
        { body: answerCompletion('sec2', 'I looked at the errors.') },
      ]);
      const message = `Here is what I found in our config, please check it:\n${corpus.map((entry) => entry.text).join('\n')}`;
      expect(message.length).toBeLessThanOrEqual(40_000);
      const reply = await assistant.conversation.handle({
        surface: 'test',
        threadId: 'secrets',
        userId: 'U0ALICE',
        text: message,
      });
      expect(reply.toolRuns[0]?.result.status).toBe('ok');
      // The tool really returned the lines, secrets and all: only the copy for the model is redacted.
      const returned = JSON.stringify(reply.toolRuns[0]?.result);
      expect(corpus.filter((entry) => leaks(returned, entry)).length).toBeGreaterThan(corpus.length / 2);
      expect(bodies).toHaveLength(2);
      expect(leaked(bodies)).toEqual([]);
      // The model still sees the log lines and the message, with markers where the secrets were.
      const sent = JSON.stringify(bodies);
      expect(sent).toContain('[REDACTED:');
      expect(bodies[1]?.messages.find((m) => m.role === 'tool')?.content).toContain('app.py:1');
      expect(bodies[0]?.messages.find((m) => m.role === 'user')?.content).toContain('please check it');
      // Counted where they came in, by kind.
      const counted = await assistant.metrics.redactions.get();
      const total = (where: string) =>
        counted.values.filter((v) => v.labels.where === where).reduce((sum, v) => sum + v.value, 0);
      expect(total('tool_result')).toBeGreaterThanOrEqual(corpus.length);
      expect(total('message')).toBeGreaterThanOrEqual(corpus.length);
      for (const kind of ['aws_secret_access_key', 'azure_storage_key', 'groq_api_key', 'replicate_api_token', 'password']) {
        expect(
          counted.values.find((v) => v.labels.kind === kind && v.labels.where === 'tool_result')?.value,
          kind,
        ).toBeGreaterThan(0);
      }
    } finally {
      await assistant.dispose();
    }
  }, 120_000);

  it('redacts every corpus secret in alert annotations and labels before the investigation reaches the model', async () => {
    const assistant = await testAssistant(
      { DEMO: 'on', DEMO_BACKFILL_DAYS: '1', OPENAI_API_KEY: 'sk-test-abcd', TOOL_RESULT_MAX_CHARS: '200000' },
      { demoTraffic: false },
    );
    try {
      const changes = new ChangeEventRepository(assistant.db);
      const service = new IncidentService({
        incidents: new IncidentRepository(assistant.db),
        channel: new TerminalIncidentChannel(assistant.conversation, silentLogger),
        logger: silentLogger,
        changes,
        metrics: assistant.metrics,
      });
      const startsAt = new Date(Date.now() - 5 * 60_000).toISOString();
      const perAlert = 16;
      const alerts = Array.from({ length: Math.ceil(corpus.length / perAlert) }, (_, i) => ({
        status: 'firing' as const,
        labels: { alertname: 'HighErrorRate', model_name: 'llama-3-8b', shard: String(i) },
        annotations: {
          summary: corpus
            .slice(i * perAlert, (i + 1) * perAlert)
            .map((entry) => entry.text)
            .join('\n'),
        },
        startsAt,
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: `a${String(i).padStart(15, '0')}`,
      }));
      const payload: AlertmanagerPayload = {
        version: '4',
        groupKey: '{}:{alertname="HighErrorRate"}',
        status: 'firing',
        receiver: 'llmops',
        groupLabels: { alertname: 'HighErrorRate' },
        commonLabels: { alertname: 'HighErrorRate', model_name: 'llama-3-8b' },
        commonAnnotations: {},
        externalURL: 'http://alertmanager:9093',
        alerts,
      };
      // The investigation asks two questions; the model reads the root-cause analysis (which reads
      // the alerts as change events) for the first and answers the second directly.
      const bodies = serveCompletions([
        {
          body: toolCallCompletion('inc1', [
            { name: 'explain_incident', arguments: { deployment: 'llama-3-8b', range: 'last 1h' } },
          ]),
        },
        { body: answerCompletion('inc2', 'The alerts point at the app.') },
        { body: answerCompletion('inc3', 'Metrics look steady.') },
      ]);
      expect(await service.receive(payload)).toBe('opened');
      expect(bodies.length).toBeGreaterThanOrEqual(2);
      const tool = bodies[1]?.messages.find((m) => m.role === 'tool')?.content ?? '';
      expect(tool).toMatch(/\d+ change events/);
      expect(leaked(bodies)).toEqual([]);
      // What the root-cause analysis read: the alerts, with markers where the secrets were.
      const recorded = changes.list(new Date(0), new Date(Date.now() + 86_400_000)).filter((event) => event.kind === 'alert');
      expect(recorded).toHaveLength(alerts.length);
      expect(recorded.map((event) => event.description).join('\n')).toContain('[REDACTED:');
      const counted = (await assistant.metrics.redactions.get()).values.filter((v) => v.labels.where === 'alert');
      expect(counted.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThanOrEqual(corpus.length);
    } finally {
      await assistant.dispose();
    }
  }, 120_000);

  it('redacts e-mail addresses unless REDACT_EMAILS=off, and the patterns of REDACT_PATTERNS', async () => {
    const text = 'Ticket from jane.doe@acme-corp.com about account acct-20251104; clone git@github.com:acme/cfg.git';
    for (const [emails, expected] of [
      ['on', 'Ticket from [REDACTED:email_address] about account [REDACTED:custom_pattern]; clone git@github.com:acme/cfg.git'],
      ['off', 'Ticket from jane.doe@acme-corp.com about account [REDACTED:custom_pattern]; clone git@github.com:acme/cfg.git'],
    ] as const) {
      const assistant = await testAssistant({
        OPENAI_API_KEY: 'sk-test-abcd',
        REDACT_EMAILS: emails,
        REDACT_PATTERNS: '["acct-[0-9]{8}"]',
      });
      try {
        const bodies = serveCompletions([{ body: answerCompletion(`mail-${emails}`, 'Noted.') }]);
        await assistant.conversation.handle({ surface: 'test', threadId: `mail-${emails}`, userId: 'U0ALICE', text });
        expect(bodies[0]?.messages.find((m) => m.role === 'user')?.content).toBe(expected);
      } finally {
        await assistant.dispose();
      }
    }
  });
});
