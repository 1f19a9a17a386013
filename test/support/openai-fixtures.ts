import { readFileSync } from 'node:fs';
import nock from 'nock';

export const OPENAI_ORIGIN = 'https://api.openai.com';

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/openai/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

/** The recorded tool-call completion with its call replaced; each gets a unique id, as the API gives. */
export function toolCallCompletion(id: string, calls: Array<{ name: string; arguments: unknown }>): Record<string, unknown> {
  const base = structuredClone(fixture('tool-call-estimate')) as {
    id: string;
    choices: Array<{ message: { tool_calls: unknown[] } }>;
  };
  base.id = `chatcmpl-${id}`;
  const choice = base.choices[0];
  if (choice) {
    choice.message.tool_calls = calls.map((call, index) => ({
      id: `call_${id}_${index}`,
      type: 'function',
      function: {
        name: call.name,
        arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
      },
    }));
  }
  return base;
}

export function answerCompletion(id: string, content: string): Record<string, unknown> {
  const base = structuredClone(fixture('final-answer')) as { id: string; choices: Array<{ message: { content: string } }> };
  base.id = `chatcmpl-${id}`;
  const choice = base.choices[0];
  if (choice) choice.message.content = content;
  return base;
}

export interface ChatRequestBody {
  model: string;
  messages: Array<{
    role: string;
    content: string | null;
    tool_calls?: Array<{ function: { name: string; arguments: string } }>;
    tool_call_id?: string;
  }>;
  tools?: Array<{ type: string; function: { name: string; description: string; parameters: Record<string, unknown> } }>;
}

/** Serves the given completions in order and records each request body. */
export function serveCompletions(responses: Array<{ status?: number; body: Record<string, unknown> }>): ChatRequestBody[] {
  const bodies: ChatRequestBody[] = [];
  for (const response of responses) {
    nock(OPENAI_ORIGIN)
      .post('/v1/chat/completions', (body: ChatRequestBody) => {
        bodies.push(body);
        return true;
      })
      .reply(response.status ?? 200, response.body, { 'content-type': 'application/json', 'x-request-id': 'req_test' });
  }
  return bodies;
}
