/**
 * An OpenAI-compatible server that answers at once (16 streamed tokens, no model), run as its
 * own process, so a benchmark measures how many requests the load tester can drive rather
 * than how fast a model is. Prints its port on stdout.
 */
import { createServer } from 'node:http';

const TOKENS = 16;
const server = createServer((request, response) => {
  if (request.method !== 'POST') {
    response.writeHead(404).end();
    return;
  }
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      `data: {"id":"b","object":"chat.completion.chunk","created":0,"model":"bench","choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}\n\n`;
    let body = chunk({ role: 'assistant', content: '' }, null);
    for (let i = 0; i < TOKENS; i++) body += chunk({ content: ' tok' }, null);
    body += chunk({}, 'length');
    body += `data: {"id":"b","object":"chat.completion.chunk","created":0,"model":"bench","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":${TOKENS},"total_tokens":${TOKENS + 8}}}\n\n`;
    response.end(`${body}data: [DONE]\n\n`);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
