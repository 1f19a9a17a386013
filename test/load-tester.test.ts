import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ScaledClock } from '../src/demo/engine-clock.ts';
import { performanceOf, stepMs } from '../src/demo/serving-model.ts';
import { SimulatedServer } from '../src/demo/simulated-server.ts';
import { AppError } from '../src/errors.ts';
import { latencyStats, runLoadTest } from '../src/integrations/load-tester.ts';
import { SseParser } from '../src/integrations/sse-reader.ts';

// ---------------------------------------------------------------------------------------------------------
// A small OpenAI-compatible server speaking the real Chat Completions wire format.

interface FakeOptions {
  /** Delay from the request to the first content token; per request number (1-based) when a function. */
  firstTokenDelayMs?: number | ((n: number) => number);
  /** Delay between content tokens; per request number (1-based) when a function. */
  perTokenDelayMs?: number | ((n: number) => number);
  /** An HTTP status to answer instead, per request number (1-based). */
  failWith?: (n: number) => number | undefined;
  /** Writes each SSE event in pieces (mid-line, and between the two newlines), with pauses between them. */
  splitWrites?: boolean;
  /** Ignores stream_options.include_usage. */
  omitUsage?: boolean;
  /** Sends a chunk that is not JSON after the first token. */
  malformed?: boolean;
}

interface RequestBody {
  model: string;
  messages: Array<{ role: string; content: string }>;
  max_tokens: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

interface FakeServer {
  baseUrl: string;
  received: number;
  inFlight: number;
  maxInFlight: number;
  bodies: RequestBody[];
  close(): Promise<void>;
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function startFakeServer(options: FakeOptions = {}): Promise<FakeServer> {
  const state: FakeServer = {
    baseUrl: '',
    received: 0,
    inFlight: 0,
    maxInFlight: 0,
    bodies: [],
    close: async () => undefined,
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const n = ++state.received;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    res.once('close', () => {
      state.inFlight--;
    });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RequestBody;
    state.bodies.push(body);

    const status = options.failWith?.(n);
    if (status !== undefined) {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `simulated failure ${status}`, type: 'server_error', code: status } }));
      return;
    }

    const first =
      typeof options.firstTokenDelayMs === 'function' ? options.firstTokenDelayMs(n) : (options.firstTokenDelayMs ?? 0);
    const perToken = typeof options.perTokenDelayMs === 'function' ? options.perTokenDelayMs(n) : (options.perTokenDelayMs ?? 0);
    const tokens = body.max_tokens;
    const promptTokens = body.messages[0]?.content.split(' ').length ?? 0;
    const id = `chatcmpl-${n}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: promptTokens, completion_tokens: tokens, total_tokens: promptTokens + tokens };
    const t0 = performance.now();
    const waitUntil = async (offsetMs: number) => {
      const wait = t0 + offsetMs - performance.now();
      if (wait > 0) await sleep(wait);
    };

    if (!body.stream) {
      await waitUntil(first + Math.max(0, tokens - 1) * perToken);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model: body.model,
          choices: [
            { index: 0, message: { role: 'assistant', content: ' tok'.repeat(tokens) }, logprobs: null, finish_reason: 'stop' },
          ],
          usage,
          system_fingerprint: null,
        }),
      );
      return;
    }

    const includeUsage = body.stream_options?.include_usage === true && !options.omitUsage;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: body.model,
        system_fingerprint: null,
        choices,
        ...(includeUsage ? { usage: null } : {}),
        ...extra,
      });
    const send = async (data: string) => {
      if (res.destroyed) return;
      const event = `data: ${data}\n\n`;
      if (!options.splitWrites) {
        res.write(event);
        return;
      }
      // "da" | "ta: {…half" | "…rest\n" | "\n"
      const half = Math.floor(event.length / 2);
      for (const piece of [event.slice(0, 2), event.slice(2, half), event.slice(half, -1), '\n']) {
        res.write(piece);
        await sleep(2);
      }
    };

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    await send(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
    for (let i = 0; i < tokens; i++) {
      await waitUntil(first + i * perToken);
      if (res.destroyed) return;
      await send(chunk([{ index: 0, delta: { content: i === 0 ? 'Hello' : ' tok' }, logprobs: null, finish_reason: null }]));
      if (options.malformed && i === 0) await send('{"id": "broken", "choices": [');
    }
    await send(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]));
    if (includeUsage) await send(chunk([], { usage }));
    await send('[DONE]');
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error as Error);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return state;
}

/** Timing assertions can miss when other test files load both cores; a second or third attempt settles it. */
const TIMING = { retry: 2 };

/** Within 10 % of the expected value plus `slackMs`. */
function expectNear(label: string, measuredSeconds: number, expectedMs: number, slackMs = 5) {
  expect(
    Math.abs(measuredSeconds * 1000 - expectedMs),
    `${label}: ${measuredSeconds * 1000} ms vs ${expectedMs} ms`,
  ).toBeLessThanOrEqual(expectedMs * 0.1 + slackMs);
}

// ---------------------------------------------------------------------------------------------------------

describe('runLoadTest against an OpenAI-compatible server', () => {
  it('measures TTFT, TPOT and end-to-end latency of streamed completions', TIMING, async () => {
    const server = await startFakeServer({ firstTokenDelayMs: 150, perTokenDelayMs: 20 });
    const report = await runLoadTest({
      baseUrl: server.baseUrl,
      model: 'test-model',
      requests: 8,
      concurrency: 4,
      promptTokens: 50,
      maxTokens: 20,
    });

    expect(report).toMatchObject({ requests: 8, succeeded: 8, failed: 0, errors: [], outputTokens: 160 });
    const { ttft, tpot, e2e } = report;
    if (!ttft || !tpot || !e2e) throw new Error('expected latency statistics');
    expect(ttft.p50).toBeGreaterThanOrEqual(0.15);
    expectNear('ttft.p50', ttft.p50, 150);
    expectNear('ttft.mean', ttft.mean, 150);
    expectNear('tpot.p50', tpot.p50, 20, 0);
    expectNear('tpot.mean', tpot.mean, 20, 0);
    // e2e ≈ ttft + (n − 1) · tpot
    expectNear('e2e.mean', e2e.mean, (ttft.mean + 19 * tpot.mean) * 1000, 2);
    expectNear('e2e.p50', e2e.p50, 150 + 19 * 20);
    expect(report.tokensPerSecond).toBeCloseTo(160 / report.durationSeconds, 0);
    expect(report.requestsPerSecond).toBeCloseTo(8 / report.durationSeconds, 1);
    expect(report.goodput).toBeUndefined();

    // The wire format: streaming with usage, the requested max_tokens, a prompt of about the requested size.
    const body = server.bodies[0];
    expect(body).toMatchObject({ model: 'test-model', max_tokens: 20, stream: true, stream_options: { include_usage: true } });
    expect(body?.messages).toHaveLength(1);
    expect(body?.messages[0]?.content.split(' ')).toHaveLength(50);
    expect(new Set(server.bodies.map((b) => b.messages[0]?.content)).size).toBe(8);
  });

  it('keeps exactly `concurrency` requests in flight in a closed loop', async () => {
    const server = await startFakeServer({ firstTokenDelayMs: 20, perTokenDelayMs: 2 });
    const report = await runLoadTest({ baseUrl: server.baseUrl, model: 'm', requests: 40, concurrency: 5, maxTokens: 10 });
    expect(report.succeeded).toBe(40);
    expect(server.received).toBe(40);
    expect(server.maxInFlight).toBe(5);
  });

  it('groups and counts failed requests by kind, without throwing', async () => {
    const failWith = (n: number) => (n % 3 === 0 ? 500 : n % 5 === 0 ? 429 : n === 7 ? 503 : undefined);
    const server = await startFakeServer({ failWith });
    const report = await runLoadTest({ baseUrl: server.baseUrl, model: 'm', requests: 30, concurrency: 3, maxTokens: 5 });

    let fivexx = 0;
    let fourxx = 0;
    for (let n = 1; n <= 30; n++) {
      const status = failWith(n);
      if (status !== undefined && status >= 500) fivexx++;
      else if (status !== undefined) fourxx++;
    }
    expect(fivexx).toBe(11);
    expect(fourxx).toBe(4);
    expect(report).toMatchObject({ requests: 30, succeeded: 15, failed: 15 });
    expect(report.errors).toEqual([
      { kind: 'http_5xx', count: 11, example: expect.stringMatching(/^HTTP 50[03]: .*simulated failure/) },
      { kind: 'http_4xx', count: 4, example: expect.stringContaining('HTTP 429') },
    ]);
    expect(report.e2e).not.toBeNull();
    expect(report.outputTokens).toBe(15 * 5);
  });

  it('measures non-streaming completions end to end, with tokens from usage', TIMING, async () => {
    const server = await startFakeServer({ firstTokenDelayMs: 40, perTokenDelayMs: 5 });
    const report = await runLoadTest({
      baseUrl: `${server.baseUrl}/`,
      model: 'm',
      requests: 6,
      concurrency: 3,
      maxTokens: 9,
      stream: false,
      apiKey: 'sk-test',
    });
    expect(report).toMatchObject({ succeeded: 6, failed: 0, ttft: null, tpot: null, outputTokens: 54 });
    expectNear('report.e2e?.p50', report.e2e?.p50 ?? 0, 40 + 8 * 5);
    expect(server.bodies[0]).toMatchObject({ stream: false, max_tokens: 9 });
    expect(server.bodies[0]).not.toHaveProperty('stream_options');
  });

  it('counts only requests within every SLO as goodput', TIMING, async () => {
    // Of every four requests: fast, slow first token, slow tokens, fast.
    const server = await startFakeServer({
      firstTokenDelayMs: (n) => (n % 4 === 2 ? 120 : 10),
      perTokenDelayMs: (n) => (n % 4 === 3 ? 40 : 2),
    });
    const workload = { baseUrl: server.baseUrl, model: 'm', requests: 8, concurrency: 2, maxTokens: 4 };
    const both = await runLoadTest({ ...workload, slo: { ttftMs: 60, tpotMs: 20 } });
    expect(both.succeeded).toBe(8);
    expect(both.goodput).toMatchObject({ slo: { ttftMs: 60, tpotMs: 20 }, share: 0.5 });
    expect(both.goodput?.requestsPerSecond).toBeCloseTo(4 / both.durationSeconds, 1);

    const ttftOnly = await runLoadTest({ ...workload, slo: { ttftMs: 60 } });
    expect(ttftOnly.goodput).toMatchObject({ slo: { ttftMs: 60 }, share: 0.75 });
  });

  it('reports every request as a connection failure when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const report = await runLoadTest({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm', requests: 5, concurrency: 2 });
    expect(report).toMatchObject({ requests: 5, succeeded: 0, failed: 5, ttft: null, tpot: null, e2e: null, outputTokens: 0 });
    expect(report.errors).toEqual([{ kind: 'connection', count: 5, example: expect.stringContaining('ECONNREFUSED') }]);
  });

  it('times requests out, and reports malformed streams', async () => {
    const slow = await startFakeServer({ firstTokenDelayMs: 2_000 });
    const timedOut = await runLoadTest({ baseUrl: slow.baseUrl, model: 'm', requests: 2, concurrency: 2, timeoutMs: 100 });
    expect(timedOut.errors).toEqual([{ kind: 'timeout', count: 2, example: 'no complete response within 100 ms' }]);
    expect(timedOut.durationSeconds).toBeLessThan(1);

    const broken = await startFakeServer({ malformed: true });
    const malformed = await runLoadTest({ baseUrl: broken.baseUrl, model: 'm', requests: 3, concurrency: 1, maxTokens: 4 });
    expect(malformed.errors).toEqual([{ kind: 'bad_stream', count: 3, example: expect.stringContaining('malformed SSE data') }]);
  });

  it('parses SSE events split mid-line across writes, and counts content chunks without usage', async () => {
    const server = await startFakeServer({ splitWrites: true, omitUsage: true, firstTokenDelayMs: 30 });
    const report = await runLoadTest({ baseUrl: server.baseUrl, model: 'm', requests: 3, concurrency: 3, maxTokens: 6 });
    expect(report).toMatchObject({ succeeded: 3, failed: 0, outputTokens: 18 });
    expect(report.ttft?.p50).toBeGreaterThanOrEqual(0.03);
  });

  it('sends Poisson arrivals in an open loop with concurrency as a cap', async () => {
    const server = await startFakeServer({ firstTokenDelayMs: 30, perTokenDelayMs: 5 });
    const report = await runLoadTest({
      baseUrl: server.baseUrl,
      model: 'm',
      requests: 30,
      concurrency: 3,
      ratePerSecond: 100,
      maxTokens: 5,
      seed: 7,
    });
    expect(report.succeeded).toBe(30);
    expect(server.maxInFlight).toBeLessThanOrEqual(3);
    // 29 exponential gaps at 100/s (≈ 0.29 s), throttled by 3 slots of ≈ 50 ms each (≥ 0.5 s).
    expect(report.durationSeconds).toBeGreaterThan(0.4);
    expect(report.durationSeconds).toBeLessThan(3);

    const unthrottled = await startFakeServer();
    const open = await runLoadTest({
      baseUrl: unthrottled.baseUrl,
      model: 'm',
      requests: 20,
      concurrency: 20,
      ratePerSecond: 50,
    });
    expect(open.succeeded).toBe(20);
    // Seeded Poisson gaps: the schedule, not the server, sets the duration (mean 19 / 50 s).
    expect(open.durationSeconds).toBeGreaterThan(0.15);
    expect(open.durationSeconds).toBeLessThan(1.5);
  });

  it('stops early when the caller aborts, returning what was measured', async () => {
    const server = await startFakeServer({ firstTokenDelayMs: 20 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const report = await runLoadTest({
      baseUrl: server.baseUrl,
      model: 'm',
      requests: 100,
      concurrency: 2,
      maxTokens: 2,
      signal: controller.signal,
    });
    expect(report.aborted).toBe(true);
    expect(report.requests).toBeLessThan(100);
    expect(report.succeeded).toBeGreaterThanOrEqual(2);
    expect(report.errors.every((group) => group.kind === 'aborted')).toBe(true);
  });

  it('runs for a duration: no request starts after it, the ones in flight finish', async () => {
    const server = await startFakeServer({ firstTokenDelayMs: 20 });
    const report = await runLoadTest({
      baseUrl: server.baseUrl,
      model: 'm',
      requests: 100_000,
      concurrency: 4,
      maxTokens: 2,
      durationSeconds: 0.5,
    });
    expect(report.aborted).toBeUndefined();
    expect(report.failed).toBe(0);
    expect(report.requests).toBeGreaterThan(8);
    expect(report.requests).toBeLessThan(200);
    expect(report.durationSeconds).toBeGreaterThanOrEqual(0.5);
    expect(report.durationSeconds).toBeLessThan(1.5);
    await server.close();
  });

  it('rejects an invalid workload with AppError workload_invalid naming the field', async () => {
    const base = { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', requests: 1, concurrency: 1 };
    const attempt = (overrides: Record<string, unknown>) => runLoadTest({ ...base, ...overrides } as never);

    const error = await attempt({ concurrency: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'workload_invalid', message: expect.stringContaining('concurrency') });

    await expect(attempt({ requests: 2.5 })).rejects.toThrow(/requests must be a whole number/);
    await expect(attempt({ baseUrl: 'localhost:8000' })).rejects.toThrow(/baseUrl/);
    await expect(attempt({ maxTokens: { mean: 0 } })).rejects.toThrow(/maxTokens/);
    await expect(attempt({ ratePerSecond: -1 })).rejects.toThrow(/ratePerSecond/);
    await expect(attempt({ slo: { ttftMs: 'fast' } })).rejects.toThrow(/slo\.ttftMs/);
  });
});

describe('runLoadTest against the simulated vLLM server', () => {
  it('reproduces the configured decode speed within 10 %', TIMING, async () => {
    // In real time, on the clock that keeps the steps' modelled lengths: what is measured is the
    // tester (a client's own delays are not multiplied by a time scale here).
    const config = {
      name: 'llama-3-8b',
      version: 'v2',
      seed: 3,
      model: 'llama-3-8b',
      gpu: 'A100-80GB',
      gpuCount: 1,
      dtype: 'bf16' as const,
      maxNumSeqs: 64,
      maxNumBatchedTokens: 8192,
    };
    const server = new SimulatedServer({ ...config, clock: new ScaledClock(1) });
    await server.start();
    try {
      const report = await runLoadTest({
        baseUrl: `${server.url}/v1`,
        model: server.name,
        requests: 5,
        concurrency: 1,
        maxTokens: 24,
        promptTokens: 100,
        ignoreEos: true,
      });
      const expected = stepMs(performanceOf(config), 1, 0) / 1000;
      expect(report.failed).toBe(0);
      expect(report.timeScale).toBeUndefined(); // real time: nothing to convert
      expect(Math.abs((report.tpot?.p50 ?? 0) - expected) / expected).toBeLessThan(0.1);
    } finally {
      await server.stop();
    }
  });
});

describe('SseParser', () => {
  const stream =
    ': keep-alive comment\n\n' +
    'event: message\ndata: {"a":1}\n\n' +
    'data:{"b":2}\r\n\r\n' +
    'data: line one\ndata: line two\nid: 7\n\n' +
    'data: {"c":"x\\ny"}\r\r' +
    'database: ignored\n\n' +
    'data: [DONE]\n\n';
  const expected = ['{"a":1}', '{"b":2}', 'line one\nline two', '{"c":"x\\ny"}', '[DONE]'];

  it('parses every split of a stream into the same events', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      for (const step of [1, 3]) {
        const events: string[] = [];
        const parser = new SseParser((data) => {
          events.push(data);
          return undefined;
        });
        parser.push(stream.slice(0, cut));
        for (let i = cut; i < stream.length; i += step) parser.push(stream.slice(i, i + step));
        parser.end();
        expect(events, `cut at ${cut}, step ${step}`).toEqual(expected);
      }
    }
  });

  it('stops when asked, and delivers an unterminated last event at the end', () => {
    const events: string[] = [];
    const parser = new SseParser((data) => {
      events.push(data);
      return data === 'stop' ? false : undefined;
    });
    parser.push('data: a\n\ndata: stop\n\ndata: b\n\n');
    expect(events).toEqual(['a', 'stop']);
    expect(parser.done).toBe(true);

    const tail: string[] = [];
    const lenient = new SseParser((data) => {
      tail.push(data);
      return undefined;
    });
    lenient.push('data: [DONE]');
    lenient.end();
    expect(tail).toEqual(['[DONE]']);
  });
});

describe('latencyStats', () => {
  it('uses nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => (100 - i) / 1000);
    expect(latencyStats(values)).toEqual({ p50: 0.05, p95: 0.095, p99: 0.099, mean: 0.0505, max: 0.1 });
    expect(latencyStats([0.3, 0.1, 0.2])).toMatchObject({ p50: 0.2, p95: 0.3, p99: 0.3 });
    expect(latencyStats([])).toBeNull();
  });
});
