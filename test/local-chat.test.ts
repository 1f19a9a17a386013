import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runTerminalChat } from '../src/chat/local/terminal-chat.ts';
import { forTerminal } from '../src/chat/local/terminal-text.ts';
import { ThreadRepository } from '../src/store/thread-repository.ts';
import { testAssistant } from './support/test-assistant.ts';

async function chat(lines: string[], given?: Awaited<ReturnType<typeof testAssistant>>): Promise<string> {
  const assistant = given ?? (await testAssistant());
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk) => {
    printed += chunk.toString();
  });
  const done = runTerminalChat({
    conversation: assistant.conversation,
    threads: new ThreadRepository(assistant.db),
    input,
    output,
    threadId: 'local:test',
    userId: 'local:test',
    interactive: false,
  });
  input.end(`${lines.join('\n')}\n`);
  await done;
  return printed;
}

describe('local chat on the embedded default (offline planner, no key, no Slack)', () => {
  it('answers a question through the agent and a real tool', async () => {
    const assistant = await testAssistant();
    try {
      const reply = await assistant.conversation.handle({
        surface: 'local',
        threadId: 'local:a',
        userId: 'u',
        text: 'how much GPU memory does llama-3-70b need in fp8 with 8 concurrent 8k sequences on H100',
      });
      expect(reply.kind).toBe('answer');
      expect(reply.toolRuns[0]?.tool).toBe('estimate_resources');
      expect(reply.text).toMatch(/^Llama 3 70B in fp8 needs 65\.7 GiB for weights \+ 20 GiB KV cache/);
      expect(reply.text).toContain('Recommended: 2 × H100');
    } finally {
      await assistant.dispose();
    }
  });

  it('says plainly what is wrong when an action cannot be done', async () => {
    const assistant = await testAssistant();
    try {
      const reply = await assistant.conversation.handle({
        surface: 'local',
        threadId: 'local:b',
        userId: 'u',
        text: 'cancel job 12',
      });
      expect(reply.toolRuns[0]?.tool).toBe('cancel_job');
      expect(reply.text).toContain('There is no job 12.');
    } finally {
      await assistant.dispose();
    }
  });

  it('asks for what is missing instead of guessing', async () => {
    const assistant = await testAssistant();
    try {
      const reply = await assistant.conversation.handle({
        surface: 'local',
        threadId: 'local:c',
        userId: 'u',
        text: 'deploy llama-3-8b',
      });
      expect(reply.toolRuns).toEqual([]);
      expect(reply.text).toMatch(/To deploy I need which version, which environment/);
    } finally {
      await assistant.dispose();
    }
  });

  it('gives clear replies to empty input, a 100 kB message and an unknown command, and keeps going', async () => {
    const printed = await chat(['', 'x'.repeat(100_000), '/frobnicate now', 'can llama-3-8b run on a single L4 in int4?']);
    expect(printed).toContain('Your message is empty.');
    expect(printed).toContain('Your message is 100,000 characters long; I take at most 16,000 (MAX_MESSAGE_CHARS).');
    expect(printed).toContain('Unknown command /frobnicate. Commands: /help');
    expect(printed).toContain('Llama 3 8B in int4 needs 3.89 GiB for weights');
  });

  it('forgets the conversation on /new and stops on /quit', async () => {
    const assistant = await testAssistant();
    try {
      await chat(['status of mistral-7b', '/new', '/quit', 'never read'], assistant);
      expect(new ThreadRepository(assistant.db).recent('local:test', 50)).toEqual([]);
    } finally {
      await assistant.dispose();
    }
  });

  it('keeps the thread in SQLite, in order, across a restart', async () => {
    const first = await testAssistant();
    await first.conversation.handle({
      surface: 'local',
      threadId: 'local:d',
      userId: 'u',
      text: 'how much memory for mistral-7b',
    });
    await first.close();
    const second = await testAssistant({}, {}, first.dataDir);
    try {
      await second.conversation.handle({ surface: 'local', threadId: 'local:d', userId: 'u', text: 'and for qwen2-72b?' });
      const history = new ThreadRepository(second.db).recent('local:d', 50);
      expect(history.map((m) => m.type)).toEqual(['human', 'ai', 'tool', 'ai', 'human', 'ai', 'tool', 'ai']);
      expect(history[0]?.text).toBe('how much memory for mistral-7b');
      expect(history[7]?.text).toContain('Qwen2 72B');
    } finally {
      await second.dispose();
    }
  });

  it('processes turns of one thread in order even when they arrive together', async () => {
    const assistant = await testAssistant();
    try {
      const texts = ['how much memory for llama-3-8b', 'how much memory for mistral-7b', 'how much memory for qwen2-7b'];
      await Promise.all(
        texts.map((text) => assistant.conversation.handle({ surface: 'test', threadId: 'same', userId: 'u', text })),
      );
      const humans = new ThreadRepository(assistant.db).recent('same', 100).filter((m) => m.type === 'human');
      expect(humans.map((m) => m.text)).toEqual(texts);
    } finally {
      await assistant.dispose();
    }
  });
});

describe('text for the terminal', () => {
  it("prints Slack's emoji shortcodes as emoji and links as label (url), leaving unknown codes alone", () => {
    expect(forTerminal(':rotating_light: FIRING: HighTTFT')).toBe('🚨 FIRING: HighTTFT');
    expect(forTerminal(':white_check_mark: RESOLVED, see <https://grafana.example/d/1|the dashboard>')).toBe(
      '✅ RESOLVED, see the dashboard (https://grafana.example/d/1)',
    );
    expect(forTerminal('ratio 3:10:00 and :not_an_emoji: stay')).toBe('ratio 3:10:00 and :not_an_emoji: stay');
  });
});
