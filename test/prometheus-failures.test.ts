import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAssistant } from './support/test-assistant.ts';

// A Prometheus that is down, one that hangs, and one that answers an error: each gives a
// reply that names the URL and the problem, and the assistant goes on answering.
let hanging: Server;
let failing: Server;
const url = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

beforeAll(async () => {
  hanging = createServer(() => undefined);
  failing = createServer((_request, response) => {
    response.writeHead(503, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'TSDB not ready' }));
  });
  await Promise.all([hanging, failing].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
});
afterAll(() => {
  hanging.closeAllConnections();
  for (const server of [hanging, failing]) server.close();
});

async function ask(prometheusUrl: string, extra: Record<string, string> = {}) {
  const assistant = await testAssistant({ PROMETHEUS_URL: prometheusUrl, ...extra });
  try {
    const failed = await assistant.conversation.handle({
      surface: 'test',
      threadId: 't',
      userId: 'u',
      text: 'p95 ttft of llama-3-8b in the last hour',
    });
    const after = await assistant.conversation.handle({
      surface: 'test',
      threadId: 't',
      userId: 'u',
      text: 'how much memory does mistral-7b need',
    });
    return { failed: failed.text, after: after.text };
  } finally {
    await assistant.dispose();
  }
}

describe('Prometheus trouble reaches people as words, and the assistant keeps running', () => {
  it('unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = url(closed);
    closed.close();
    const { failed, after } = await ask(address);
    expect(failed).toContain(`Prometheus at ${address} is unreachable (ECONNREFUSED); check PROMETHEUS_URL`);
    expect(after).toMatch(/^Mistral 7B in bf16 needs/);
  });

  it('slow', async () => {
    const { failed, after } = await ask(url(hanging), { PROMETHEUS_TIMEOUT_MS: '300' });
    expect(failed).toContain(url(hanging));
    expect(failed).toMatch(/did not answer within 300 ms/);
    expect(after).toMatch(/^Mistral 7B in bf16 needs/);
  });

  it('answering an error', async () => {
    const { failed } = await ask(url(failing));
    expect(failed).toContain(url(failing));
    expect(failed).toContain('TSDB not ready');
  });
});
