import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answerCompletion, fixture, serveCompletions, toolCallCompletion } from './support/openai-fixtures.ts';
import { tempDataDir, testAssistant } from './support/test-assistant.ts';

const OPENAI_ENV = { OPENAI_API_KEY: 'sk-test-abcd', OPENAI_MODEL: 'gpt-4o-mini' };

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});
// Files of a worker run one after another: leave the network as it was found.
afterAll(() => {
  nock.enableNetConnect();
});

describe('OpenAI provider through LangChain, against the Chat Completions wire format', () => {
  it('runs the tool the model calls and the tool result reaches the final answer', async () => {
    const bodies = serveCompletions([{ body: fixture('tool-call-estimate') }, { body: fixture('final-answer') }]);
    const assistant = await testAssistant(OPENAI_ENV);
    try {
      const reply = await assistant.conversation.handle({
        surface: 'test',
        threadId: 't1',
        userId: 'U1',
        text: 'will llama-3-8b fit on one A100 80GB with 16 users at 8k?',
      });

      expect(reply.kind).toBe('answer');
      expect(reply.text).toContain('fits on 1 × A100-80GB');
      expect(reply.toolRuns.map((run) => [run.tool, run.result.status])).toEqual([['estimate_resources', 'ok']]);

      // First request: the whole catalogue as function tools, the system prompt, the question.
      expect(bodies).toHaveLength(2);
      expect(bodies[0]?.model).toBe('gpt-4o-mini');
      expect(bodies[0]?.tools?.map((tool) => tool.function.name).sort()).toEqual(
        assistant.executor.tools.map((tool) => tool.name).sort(),
      );
      const estimateSpec = bodies[0]?.tools?.find((tool) => tool.function.name === 'estimate_resources');
      expect(estimateSpec?.function.parameters).toMatchObject({ type: 'object', required: ['model'] });
      expect(bodies[0]?.messages.map((m) => m.role)).toEqual(['system', 'user']);

      // Second request carries the tool's real result back to the model.
      const toolMessage = bodies[1]?.messages.find((m) => m.role === 'tool');
      expect(toolMessage?.tool_call_id).toBe('call_Qm1pZk9xR2tKc3VwTnBh');
      expect(toolMessage?.content).toContain('"status":"ok"');
      expect(toolMessage?.content).toContain('32.96 of 72 usable GiB');

      const metrics = await assistant.metrics.registry.getSingleMetricAsString('llmops_llm_tokens_total');
      expect(metrics).toContain('llmops_llm_tokens_total{provider="openai",model="gpt-4o-mini",kind="prompt"} 2932');
      expect(metrics).toContain('llmops_llm_tokens_total{provider="openai",model="gpt-4o-mini",kind="completion"} 79');
    } finally {
      await assistant.dispose();
    }
  });

  it('says in one line what failed and what to check when the model cannot be reached', async () => {
    nock.enableNetConnect('127.0.0.1');
    // A port nothing listens on: the socket's own reason, and where to look.
    const unreachable = await testAssistant({ OPENAI_BASE_URL: 'http://127.0.0.1:59999/v1', LLM_TIMEOUT_MS: '5000' });
    try {
      const reply = await unreachable.conversation.handle({ surface: 'test', threadId: 't', userId: 'U1', text: 'status' });
      expect(reply.text).toBe(
        'Sorry, I could not finish that: The language model gpt-4o-mini (openai at http://127.0.0.1:59999/v1) could not be reached (connect ECONNREFUSED 127.0.0.1:59999); check OPENAI_BASE_URL and that the server is running.',
      );
      expect(reply.text).not.toContain('\n');
    } finally {
      await unreachable.dispose();
      nock.disableNetConnect();
    }
  }, 30_000);

  it('returns a tool error to the model as a tool message, and the model can recover', async () => {
    const bodies = serveCompletions([
      { body: toolCallCompletion('a1', [{ name: 'estimate_resources', arguments: { model: 'llama-3-8b', dtype: 'int3' } }]) },
      { body: toolCallCompletion('a2', [{ name: 'no_such_tool', arguments: '{}' }]) },
      { body: toolCallCompletion('a3', [{ name: 'estimate_resources', arguments: '{"model": "llama-3-8b", ' }]) },
      { body: answerCompletion('a4', 'I could not size it with int3; int4 or int8 are supported.') },
    ]);
    const assistant = await testAssistant(OPENAI_ENV);
    try {
      const reply = await assistant.conversation.handle({
        surface: 'test',
        threadId: 't2',
        userId: 'U1',
        text: 'size llama-3-8b in int3',
      });
      expect(reply.kind).toBe('answer');
      expect(reply.toolRuns.map((run) => run.result.status)).toEqual(['error', 'error', 'error']);
      const toolMessages = bodies[3]?.messages.filter((m) => m.role === 'tool').map((m) => m.content) ?? [];
      expect(toolMessages[0]).toContain('field `dtype`: must be one of fp32');
      expect(toolMessages[1]).toContain('There is no tool named \\"no_such_tool\\"');
      expect(toolMessages[2]).toContain('estimate_resources: the arguments were not valid JSON');
    } finally {
      await assistant.dispose();
    }
  });

  it('stops at the step limit with what the tools found so far', async () => {
    serveCompletions([
      { body: toolCallCompletion('s1', [{ name: 'estimate_resources', arguments: { model: 'llama-3-8b' } }]) },
      { body: toolCallCompletion('s2', [{ name: 'estimate_resources', arguments: { model: 'mistral-7b' } }]) },
    ]);
    const assistant = await testAssistant({ ...OPENAI_ENV, AGENT_MAX_STEPS: '2' });
    try {
      const reply = await assistant.conversation.handle({
        surface: 'test',
        threadId: 't3',
        userId: 'U1',
        text: 'size everything',
      });
      expect(reply.text).toMatch(/^I stopped after 2 steps \(AGENT_MAX_STEPS\)/);
      expect(reply.text).toContain('Llama 3 8B in bf16 needs');
      expect(reply.text).toContain('Mistral 7B in bf16 needs');
    } finally {
      await assistant.dispose();
    }
  });

  it('turns an API error into a clear reply and keeps running', async () => {
    serveCompletions([{ status: 401, body: fixture('error-invalid-api-key') }]);
    const assistant = await testAssistant(OPENAI_ENV);
    try {
      const reply = await assistant.conversation.handle({
        surface: 'test',
        threadId: 't4',
        userId: 'U1',
        text: 'status of mistral-7b',
      });
      expect(reply.kind).toBe('failed');
      expect(reply.text).toMatch(
        /^Sorry, I could not finish that: The language model gpt-4o-mini \(openai\) refused the credentials \(HTTP 401: .*Incorrect API key.*\); check OPENAI_API_KEY\.$/,
      );
    } finally {
      await assistant.dispose();
    }
  });

  it('remembers a thread across a restart: the second process sends the first turn back to the model', async () => {
    const dataDir = tempDataDir();
    serveCompletions([{ body: answerCompletion('m1', 'Noted: your team runs llama-3-70b in prod.') }]);
    const first = await testAssistant(OPENAI_ENV, {}, dataDir);
    await first.conversation.handle({
      surface: 'test',
      threadId: 'slack:C1:1700000000.000100',
      userId: 'U1',
      text: 'we run llama-3-70b in prod',
    });
    await first.close();

    const bodies = serveCompletions([{ body: answerCompletion('m2', 'You run llama-3-70b in prod.') }]);
    const second = await testAssistant(OPENAI_ENV, {}, dataDir);
    try {
      const reply = await second.conversation.handle({
        surface: 'test',
        threadId: 'slack:C1:1700000000.000100',
        userId: 'U1',
        text: 'which model did I say?',
      });
      expect(reply.text).toBe('You run llama-3-70b in prod.');
      expect(bodies[0]?.messages.map((m) => [m.role, m.content])).toEqual([
        ['system', expect.stringContaining('LLM Ops Assistant')],
        ['user', 'we run llama-3-70b in prod'],
        ['assistant', 'Noted: your team runs llama-3-70b in prod.'],
        ['user', 'which model did I say?'],
      ]);
    } finally {
      await second.dispose();
    }
  });
});
