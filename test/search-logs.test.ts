import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pastIncident } from '../src/demo/history-backfill.ts';
import { testAssistant } from './support/test-assistant.ts';

// The demo fleet's log files hold the back-filled incident's lines (preemptions, the bad
// version's start) and the live servers' lines.
let assistant: Awaited<ReturnType<typeof testAssistant>>;
const now = new Date();
const incident = pastIncident(now);

beforeAll(async () => {
  // The incident three days ago, and the hours of ordinary logs before it.
  assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '4' }, { demoTraffic: false });
}, 60_000);
afterAll(async () => {
  await assistant?.dispose();
});

describe('search_logs on the file source', () => {
  it("finds the incident's lines, newest first, by text and by regex", async () => {
    const context = { threadId: 't', userId: 'u', now };
    const range = `${incident.start.toISOString()}/${incident.end.toISOString()}`;
    const fallback = await assistant.executor.execute(
      'search_logs',
      { deployment: 'mistral-7b', query: 'falling back to XFORMERS', range },
      context,
    );
    expect((fallback as { data: Array<{ level: string }> }).data.map((line) => line.level)).toEqual(['WARNING']);
    const text = await assistant.executor.execute(
      'search_logs',
      { deployment: 'mistral-7b', query: 'ENGINE 000', range, limit: 100 },
      context,
    );
    const lines = (text as { data: Array<{ at: string; level: string }> }).data;
    expect(lines).toHaveLength(48); // one engine stats line a minute, 14:00 to 14:47 inclusive
    expect(lines.every((line) => line.level === 'INFO')).toBe(true);
    expect((lines[0]?.at ?? '') > (lines.at(-1)?.at ?? '')).toBe(true);
    const regex = await assistant.executor.execute(
      'search_logs',
      { deployment: 'mistral-7b', query: '/Starting vLLM API server v\\d/', range: `${incident.start.toISOString()}/now` },
      context,
    );
    expect(regex.summary).toContain('Starting vLLM API server v5');
    const warnings = await assistant.executor.execute(
      'search_logs',
      { deployment: 'mistral-7b', level: 'warn', range, limit: 5 },
      context,
    );
    expect((warnings as { data: unknown[] }).data).toHaveLength(1);
  });

  it('says so when nothing matches, and names a broken regex', async () => {
    const context = { threadId: 't', userId: 'u', now };
    const none = await assistant.executor.execute(
      'search_logs',
      { deployment: 'qwen2-7b', query: 'segfault', range: 'last 1h' },
      context,
    );
    expect(none).toMatchObject({ status: 'no_data' });
    expect(none.summary).toBe("No lines matching segfault in qwen2-7b's logs over last 1h (file source).");
    const broken = await assistant.executor.execute('search_logs', { query: '/([a-z/' }, context);
    expect(broken).toMatchObject({ status: 'error', code: 'logs_query_invalid' });
  });
});

describe('analyze_logs', () => {
  it("shows the bad build's fallback warning as new against the window before it", async () => {
    const context = { threadId: 't', userId: 'u', now };
    const range = `${incident.start.toISOString()}/${incident.end.toISOString()}`;
    const result = await assistant.executor.execute('analyze_logs', { deployment: 'mistral-7b', range }, context);
    expect(result.status).toBe('ok');
    const data = (result as { data: { new: Array<{ template: string; current: number }> } }).data;
    expect(data.new.find((t) => t.template.endsWith('falling back to XFORMERS backend.'))?.current).toBe(1);
    expect(result.summary).toContain('New in this window:');
  });
});
