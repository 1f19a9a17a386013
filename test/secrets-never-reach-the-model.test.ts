import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerCompletion, serveCompletions, toolCallCompletion } from './support/openai-fixtures.ts';
import { testAssistant } from './support/test-assistant.ts';

// Over a hundred secrets of many kinds, in log lines a tool returns and in a person's
// message: none may appear in what is sent to the (nock'ed) OpenAI API.
const corpus = readFileSync(new URL('./fixtures/secrets/corpus.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { kind: string; secret?: string; text: string })
  .filter((entry) => entry.kind !== 'none' && entry.secret);

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('secrets never reach the model', () => {
  it('redacts log lines in tool results and secrets in messages before the LLM request', async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    expect(new Set(corpus.map((entry) => entry.kind)).size).toBeGreaterThanOrEqual(15);
    const assistant = await testAssistant(
      { DEMO: 'on', OPENAI_API_KEY: 'sk-test-abcd', TOOL_RESULT_MAX_CHARS: '200000', MAX_MESSAGE_CHARS: '40000' },
      { demoTraffic: false },
    );
    try {
      const inLogs = corpus.filter((_, index) => index % 2 === 0);
      const inMessage = corpus.filter((_, index) => index % 2 === 1);
      const stamp = new Date();
      const pad = (n: number) => String(n).padStart(2, '0');
      const clock = `${stamp.getFullYear()}-${pad(stamp.getMonth() + 1)}-${pad(stamp.getDate())} ${pad(stamp.getHours())}:${pad(stamp.getMinutes())}:${pad(stamp.getSeconds())}`;
      appendFileSync(
        join(assistant.dataDir, 'demo', 'logs', 'llama-3-8b.log'),
        inLogs.map((entry) => `ERROR ${clock} [app.py:1] ${entry.text.replace(/\n/g, ' ')}\n`).join(''),
      );
      const bodies = serveCompletions([
        {
          body: toolCallCompletion('sec1', [
            { name: 'search_logs', arguments: { deployment: 'llama-3-8b', level: 'error', range: 'last 1h', limit: 500 } },
          ]),
        },
        { body: answerCompletion('sec2', 'I looked at the errors.') },
      ]);
      const reply = await assistant.conversation.handle({
        surface: 'test',
        threadId: 'secrets',
        userId: 'U0ALICE',
        text: `Here is what I found in our config, please check it:\n${inMessage.map((entry) => entry.text).join('\n')}`,
      });
      expect(reply.toolRuns[0]?.result.status).toBe('ok');
      expect(bodies).toHaveLength(2);
      const sent = JSON.stringify(bodies);
      const leaked = corpus.filter(
        (entry) => sent.includes(entry.secret as string) || sent.includes(JSON.stringify(entry.secret).slice(1, -1)),
      );
      expect(leaked.map((entry) => `${entry.kind}: ${entry.secret}`)).toEqual([]);
      // The model still sees the log lines and the message, with markers where the secrets were.
      expect(sent).toContain('[REDACTED:');
      expect(bodies[1]?.messages.find((m) => m.role === 'tool')?.content).toContain('app.py:1');
      // Counted once each where they came in, by kind.
      const counted = await assistant.metrics.redactions.get();
      const total = (where: string) =>
        counted.values.filter((v) => v.labels.where === where).reduce((sum, v) => sum + v.value, 0);
      expect(total('tool_result')).toBeGreaterThanOrEqual(inLogs.length);
      expect(total('message')).toBeGreaterThanOrEqual(inMessage.length);
      expect(counted.values.find((v) => v.labels.kind === 'aws_access_key')?.value).toBeGreaterThan(0);
    } finally {
      await assistant.dispose();
    }
  }, 60_000);

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
