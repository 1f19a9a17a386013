/**
 * Load tester and latency probe for any OpenAI-compatible Chat Completions endpoint (vLLM, TGI's OpenAI API,
 * the simulator). It sends a workload of synthetic prompts, either closed loop (a fixed number in flight) or
 * open loop (seeded Poisson arrivals, with `concurrency` as a cap), and reports time to first token (TTFT),
 * time per output token (TPOT), end-to-end latency, throughput, grouped errors and, given SLOs, goodput.
 *
 * Failed requests never throw: they are counted in the report by kind. Only an invalid workload throws
 * (AppError `workload_invalid`).
 *
 * A simulated server that runs faster than real time says so in a response header
 * (x-simulated-time-scale); latencies and rates are then reported in the server's time, so they
 * read as they would in real time. The workload's own durationSeconds and ratePerSecond stay wall-clock.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { TIME_SCALE_HEADER } from '../demo/time-scale.ts';
import { AppError } from '../errors.ts';
import { mulberry32 } from '../random/seeded-random.ts';
import { readSse } from './sse-reader.ts';

export type SizeSpec = number | { mean: number; sd?: number };

export interface Workload {
  /** e.g. http://127.0.0.1:8001/v1; requests go to `${baseUrl}/chat/completions`. */
  baseUrl: string;
  model: string;
  /** Total requests. */
  requests: number;
  /** Requests in flight at once (closed loop), or the cap on them when `ratePerSecond` is set. */
  concurrency: number;
  /** Stop starting requests this long after the first (requests in flight finish); `requests` stays the cap. */
  durationSeconds?: number;
  /** Open-loop arrival rate (Poisson, seeded) instead of a closed loop. */
  ratePerSecond?: number;
  /** Approximate prompt length in tokens (≈ words). Default 128. */
  promptTokens?: SizeSpec;
  /** `max_tokens` per request. Default 128. */
  maxTokens?: SizeSpec;
  /** Default true. */
  stream?: boolean;
  /** Per request, including reading the whole stream. Default 60 000. */
  timeoutMs?: number;
  apiKey?: string;
  /** Seeds arrivals, sizes and prompt words. Default 42. */
  seed?: number;
  /** Sends vLLM's `ignore_eos: true` so every request generates `max_tokens` tokens (not for OpenAI itself). */
  ignoreEos?: boolean;
  /** For goodput: a request is good when it meets every SLO given. */
  slo?: { ttftMs?: number; tpotMs?: number };
  /** Stops the test: no new requests start, requests in flight are cancelled (kind `aborted`). */
  signal?: AbortSignal;
}

/** Seconds; percentiles by the nearest-rank method. */
export interface LatencyStats {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

export type ErrorKind = 'http_5xx' | 'http_4xx' | 'http_other' | 'timeout' | 'connection' | 'bad_stream' | 'aborted';

export interface LoadTestReport {
  /** Requests sent (the workload's `requests` unless aborted). */
  requests: number;
  succeeded: number;
  failed: number;
  /** Failures grouped by kind, most frequent first, with the first message seen as the example. */
  errors: Array<{ kind: ErrorKind; count: number; example: string }>;
  /** Streaming only; over successful requests that produced content. */
  ttft: LatencyStats | null;
  /** Streaming only; over successful requests with more than one output token. */
  tpot: LatencyStats | null;
  /** Over successful requests. */
  e2e: LatencyStats | null;
  /** Output tokens of successful requests: usage.completion_tokens, else counted content chunks. */
  outputTokens: number;
  /** Output tokens per second of wall time. */
  tokensPerSecond: number;
  /** Successful requests per second of wall time. */
  requestsPerSecond: number;
  /** From the first request sent to the last one finished. */
  durationSeconds: number;
  /** Present when the server ran this many times faster than real time: every time above is in its time. */
  timeScale?: number;
  /**
   * Requests (of all sent) meeting every SLO. Without streaming TTFT is judged on end-to-end latency
   * and TPOT cannot be measured, so only the TTFT SLO applies.
   */
  goodput?: { slo: { ttftMs?: number; tpotMs?: number }; requestsPerSecond: number; share: number };
  /** Present when `workload.signal` stopped the test early. */
  aborted?: true;
}

const DEFAULT_PROMPT_TOKENS = 128;
const DEFAULT_MAX_TOKENS = 128;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_SEED = 42;
const EXAMPLE_MAX_CHARS = 300;

const positiveInt = (max: number) =>
  z
    .number({ error: `must be a whole number from 1 to ${max}` })
    .int({ error: `must be a whole number from 1 to ${max}` })
    .min(1, { error: `must be a whole number from 1 to ${max}` })
    .max(max, { error: `must be a whole number from 1 to ${max}` });

const sizeSpec = (max: number) => {
  const expected = `must be a number of tokens from 1 to ${max}, or { mean, sd? }`;
  const mean = z.number({ error: expected }).min(1, { error: expected }).max(max, { error: expected });
  return z.union(
    [
      mean,
      z.object({
        mean,
        sd: z.number({ error: 'must be a number ≥ 0' }).min(0, { error: 'must be a number ≥ 0' }).max(max).optional(),
      }),
    ],
    { error: expected },
  );
};

const positiveMs = z.number({ error: 'must be a positive number of milliseconds' }).positive({
  error: 'must be a positive number of milliseconds',
});

const workloadSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL such as http://127.0.0.1:8000/v1' }),
  model: z.string({ error: 'must be a model name' }).min(1, { error: 'must be a model name' }),
  requests: positiveInt(1_000_000),
  concurrency: positiveInt(10_000),
  durationSeconds: z
    .number({ error: 'must be a positive number of seconds' })
    .positive({ error: 'must be a positive number of seconds' })
    .max(86_400, { error: 'must be at most 86400 seconds' })
    .optional(),
  ratePerSecond: z
    .number({ error: 'must be a positive number of requests per second' })
    .positive({ error: 'must be a positive number of requests per second' })
    .max(100_000, { error: 'must be at most 100000 requests per second' })
    .optional(),
  promptTokens: sizeSpec(1_000_000).optional(),
  maxTokens: sizeSpec(1_000_000).optional(),
  stream: z.boolean({ error: 'must be true or false' }).optional(),
  timeoutMs: positiveInt(3_600_000).optional(),
  apiKey: z.string({ error: 'must be a string' }).optional(),
  seed: z.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' }).optional(),
  ignoreEos: z.boolean({ error: 'must be true or false' }).optional(),
  slo: z
    .object({ ttftMs: positiveMs.optional(), tpotMs: positiveMs.optional() }, { error: 'must be { ttftMs?, tpotMs? }' })
    .optional(),
  signal: z.instanceof(AbortSignal, { error: 'must be an AbortSignal' }).optional(),
});

function validateWorkload(workload: unknown): Workload {
  const parsed = workloadSchema.safeParse(workload);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'workload';
    return `${field} ${issue.message}`;
  });
  return fail(problems);
}

function fail(problems: string[]): never {
  throw new AppError('workload_invalid', `Invalid load-test workload: ${problems.join('; ')}`);
}

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness

function normal(random: () => number): number {
  const u = 1 - random(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function sampleSize(spec: SizeSpec | undefined, fallback: number, random: () => number): number {
  if (spec === undefined) return fallback;
  if (typeof spec === 'number') return Math.max(1, Math.round(spec));
  const sd = spec.sd ?? 0;
  return Math.max(1, Math.round(sd > 0 ? spec.mean + sd * normal(random) : spec.mean));
}

/** Short everyday words, each a single token in common tokenizers, so N words ≈ N prompt tokens. */
const WORDS = (
  'the of and to in is you that it he was for on are as with his they at be this have from or one had by ' +
  'word but not what all were we when your can said there use an each which she do how their if will up ' +
  'other about out many then them these so some her would make like him into time has look two more write ' +
  'go see number no way could people my than first water been call who oil its now find long down day did ' +
  'get come made may part over new sound take only little work know place year live me back give most very'
).split(' ');

/** A prompt of `words` words, different per request (so prefix caches do not make it free) but reproducible. */
function buildPrompt(words: number, random: () => number): string {
  const parts = new Array<string>(words);
  for (let i = 0; i < words; i++) parts[i] = WORDS[Math.floor(random() * WORDS.length)] as string;
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------------------
// One request

type Outcome =
  | { ok: true; ttft: number | null; tpot: number | null; e2e: number; tokens: number; timeScale: number }
  | { ok: false; kind: ErrorKind; message: string };

/** How many times faster than real time the server says it runs (a simulated server); 1 for any other. */
function timeScaleOf(response: Response): number {
  const scale = Number(response.headers.get(TIME_SCALE_HEADER));
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

interface RequestPlan {
  promptWords: number;
  maxTokens: number;
  promptSeed: number;
}

interface Context {
  url: string;
  headers: Record<string, string>;
  model: string;
  stream: boolean;
  ignoreEos: boolean;
  timeoutMs: number;
  /** The run's own signal, following `workload.signal`; see {@link runLoadTest}. */
  signal: AbortSignal | undefined;
}

/** The fields of a chat.completion.chunk (or an error event) the tester reads. */
interface ChunkShape {
  choices?: Array<{
    delta?: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown; tool_calls?: unknown } | null;
    finish_reason?: unknown;
  }> | null;
  usage?: { completion_tokens?: unknown } | null;
  error?: unknown;
}

function hasText(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

function clip(text: string): string {
  const flat = text
    .slice(0, EXAMPLE_MAX_CHARS * 4)
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > EXAMPLE_MAX_CHARS ? `${flat.slice(0, EXAMPLE_MAX_CHARS)}…` : flat;
}

function describeStreamError(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string') return error.message;
  return JSON.stringify(error);
}

/** The innermost useful message of a fetch failure: "connect ECONNREFUSED 127.0.0.1:9", not "fetch failed". */
function networkMessage(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (current.message) message = current.message;
    else if (typeof code === 'string') message = code;
    if (current instanceof AggregateError && current.errors[0] instanceof Error) {
      current = current.errors[0];
      continue;
    }
    current = current.cause;
  }
  return message;
}

async function sendOne(ctx: Context, plan: RequestPlan): Promise<Outcome> {
  const timeoutSignal = AbortSignal.timeout(ctx.timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([timeoutSignal, ctx.signal]) : timeoutSignal;
  const body = JSON.stringify({
    model: ctx.model,
    messages: [{ role: 'user', content: buildPrompt(plan.promptWords, mulberry32(plan.promptSeed)) }],
    max_tokens: plan.maxTokens,
    ...(ctx.stream ? { stream: true, stream_options: { include_usage: true } } : { stream: false }),
    ...(ctx.ignoreEos ? { ignore_eos: true } : {}),
  });

  const start = performance.now();
  try {
    const response = await fetch(ctx.url, { method: 'POST', headers: ctx.headers, body, signal });
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      const status = response.status;
      const kind: ErrorKind = status >= 500 ? 'http_5xx' : status >= 400 ? 'http_4xx' : 'http_other';
      return { ok: false, kind, message: clip(`HTTP ${status}${text ? `: ${text}` : ''}`) };
    }
    if (!response.body) return { ok: false, kind: 'bad_stream', message: 'response has no body' };
    const timeScale = timeScaleOf(response);

    if (!ctx.stream) {
      const text = await response.text();
      const e2e = ((performance.now() - start) / 1000) * timeScale;
      let parsed: ChunkShape;
      try {
        parsed = JSON.parse(text) as ChunkShape;
      } catch {
        return { ok: false, kind: 'bad_stream', message: clip(`response is not JSON: ${text}`) };
      }
      if (parsed === null || typeof parsed !== 'object' || !Array.isArray(parsed.choices)) {
        const why = parsed?.error !== undefined ? describeStreamError(parsed.error) : text;
        return { ok: false, kind: 'bad_stream', message: clip(`not a chat.completion: ${why}`) };
      }
      const tokens = parsed.usage?.completion_tokens;
      return { ok: true, ttft: null, tpot: null, e2e, tokens: typeof tokens === 'number' ? tokens : 0, timeScale };
    }

    let firstAt = -1;
    let doneAt = -1;
    let contentChunks = 0;
    let usageTokens = -1;
    let finished = false;
    let problem: string | null = null;
    await readSse(response.body, (data) => {
      if (data === '[DONE]') {
        doneAt = performance.now();
        return false;
      }
      let chunk: ChunkShape | null;
      try {
        chunk = JSON.parse(data) as ChunkShape | null;
      } catch {
        problem = `malformed SSE data: ${data}`;
        return false;
      }
      if (chunk === null || typeof chunk !== 'object') {
        problem = `unexpected SSE data: ${data}`;
        return false;
      }
      if (chunk.error !== undefined && chunk.error !== null) {
        problem = `error event: ${describeStreamError(chunk.error)}`;
        return false;
      }
      const choices = chunk.choices;
      if (choices) {
        for (const choice of choices) {
          const delta = choice.delta;
          if (
            delta &&
            (hasText(delta.content) ||
              hasText(delta.reasoning_content) ||
              hasText(delta.reasoning) ||
              (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0))
          ) {
            if (firstAt < 0) firstAt = performance.now();
            contentChunks++;
          }
          if (choice.finish_reason) finished = true;
        }
      }
      const completion = chunk.usage?.completion_tokens;
      if (typeof completion === 'number') usageTokens = completion;
      return undefined;
    });
    if (problem !== null) return { ok: false, kind: 'bad_stream', message: clip(problem) };
    if (doneAt < 0) {
      // Lenient with servers that end the stream after the finish_reason without the [DONE] sentinel.
      if (!finished) {
        const type = response.headers.get('content-type') ?? 'no content-type';
        return { ok: false, kind: 'bad_stream', message: `stream (${type}) ended before data: [DONE]` };
      }
      doneAt = performance.now();
    }
    const e2e = ((doneAt - start) / 1000) * timeScale;
    const tokens = usageTokens >= 0 ? usageTokens : contentChunks;
    const ttft = firstAt >= 0 ? ((firstAt - start) / 1000) * timeScale : null;
    const tpot = ttft !== null && tokens > 1 ? (e2e - ttft) / (tokens - 1) : null;
    return { ok: true, ttft, tpot, e2e, tokens, timeScale };
  } catch (error) {
    if (timeoutSignal.aborted) {
      return { ok: false, kind: 'timeout', message: `no complete response within ${ctx.timeoutMs} ms` };
    }
    if (ctx.signal?.aborted) return { ok: false, kind: 'aborted', message: 'load test cancelled' };
    return { ok: false, kind: 'connection', message: clip(networkMessage(error)) };
  }
}

let warmedUp: Promise<void> | undefined;

/**
 * Node loads its fetch client (undici) and compiles its HTTP parser on the first request, some 30-40 ms that
 * would otherwise inflate the first measured latencies. One request to a throwaway loopback server, once per
 * process, pays that without touching the endpoint under test. Best effort: failures are ignored.
 */
function warmUpFetch(): Promise<void> {
  warmedUp ??= (async () => {
    const server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/event-stream');
      response.end('data: {}\n\ndata: [DONE]\n\n');
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        body: '{}',
        signal: AbortSignal.timeout(2_000),
      });
      if (response.body) await readSse(response.body, () => undefined);
    } catch {
      // Only a warm-up.
    } finally {
      server.closeAllConnections();
      server.close();
    }
  })();
  return warmedUp;
}

// ---------------------------------------------------------------------------------------------------------
// Statistics

/** Nearest-rank percentiles over a sample, in the sample's unit; null for an empty sample. */
export function latencyStats(values: ArrayLike<number>): LatencyStats | null {
  const n = values.length;
  if (n === 0) return null;
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i] as number;
  const rank = (p: number) => sorted[Math.min(n, Math.max(1, Math.ceil((p / 100) * n))) - 1] as number;
  return {
    p50: round(rank(50), 6),
    p95: round(rank(95), 6),
    p99: round(rank(99), 6),
    mean: round(sum / n, 6),
    max: round(sorted[n - 1] as number, 6),
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

// ---------------------------------------------------------------------------------------------------------
// The run

export async function runLoadTest(input: Workload): Promise<LoadTestReport> {
  const workload = validateWorkload(input);
  const seed = workload.seed ?? DEFAULT_SEED;
  const n = workload.requests;
  const stream = workload.stream ?? true;

  const sizes = mulberry32(seed ^ 0x51e5);
  const plans: RequestPlan[] = new Array(n);
  for (let i = 0; i < n; i++) {
    plans[i] = {
      promptWords: sampleSize(workload.promptTokens, DEFAULT_PROMPT_TOKENS, sizes),
      maxTokens: sampleSize(workload.maxTokens, DEFAULT_MAX_TOKENS, sizes),
      promptSeed: (seed * 1_000_003 + i * 7919 + 1) >>> 0,
    };
  }

  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
  };
  if (workload.apiKey) headers.authorization = `Bearer ${workload.apiKey}`;
  const ctx: Context = {
    url: `${workload.baseUrl.replace(/\/+$/, '')}/chat/completions`,
    headers,
    model: workload.model,
    stream,
    ignoreEos: workload.ignoreEos ?? false,
    timeoutMs: workload.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: undefined,
  };
  // Requests combine their timeout with a signal that lives only as long as this run, not with the caller's
  // (possibly process-long) signal directly: AbortSignal.any keeps its result reachable from every source
  // signal until that source is collected or aborted.
  const runAbort = new AbortController();
  const followCaller = () => runAbort.abort(workload.signal?.reason);
  if (workload.signal) {
    if (workload.signal.aborted) runAbort.abort(workload.signal.reason);
    else workload.signal.addEventListener('abort', followCaller, { once: true });
    ctx.signal = runAbort.signal;
  }

  const ttfts: number[] = [];
  const tpots: number[] = [];
  const e2es: number[] = [];
  const errors = new Map<ErrorKind, { count: number; example: string }>();
  const slo = workload.slo && (workload.slo.ttftMs !== undefined || workload.slo.tpotMs !== undefined) ? workload.slo : null;
  let sent = 0;
  let succeeded = 0;
  let outputTokens = 0;
  let good = 0;
  let timeScale = 1;

  const record = (outcome: Outcome): void => {
    if (!outcome.ok) {
      const group = errors.get(outcome.kind);
      if (group) group.count++;
      else errors.set(outcome.kind, { count: 1, example: outcome.message });
      return;
    }
    succeeded++;
    timeScale = outcome.timeScale;
    outputTokens += outcome.tokens;
    e2es.push(outcome.e2e);
    if (outcome.ttft !== null) ttfts.push(outcome.ttft);
    if (outcome.tpot !== null) tpots.push(outcome.tpot);
    if (slo) {
      const firstToken = stream ? outcome.ttft : outcome.e2e;
      const ttftOk = slo.ttftMs === undefined || (firstToken !== null && firstToken * 1000 <= slo.ttftMs);
      const tpotOk = slo.tpotMs === undefined || !stream || outcome.tpot === null || outcome.tpot * 1000 <= slo.tpotMs;
      if (ttftOk && tpotOk) good++;
    }
  };

  await warmUpFetch();
  const start = performance.now();
  const deadline = workload.durationSeconds === undefined ? Number.POSITIVE_INFINITY : start + workload.durationSeconds * 1000;
  const cancelled = () => runAbort.signal.aborted || performance.now() >= deadline;

  try {
    if (workload.ratePerSecond === undefined) {
      // Closed loop: `concurrency` workers, each sending its next request as soon as the last one finished.
      let next = 0;
      const worker = async () => {
        while (next < n && !cancelled()) {
          const plan = plans[next++] as RequestPlan;
          sent++;
          record(await sendOne(ctx, plan));
        }
      };
      await Promise.all(Array.from({ length: Math.min(workload.concurrency, n) }, worker));
    } else {
      // Open loop: Poisson arrivals on an absolute schedule (no drift), at most `concurrency` in flight;
      // an arrival finding every slot busy waits for one, and its latency counts from when it is sent.
      const arrivals = mulberry32(seed ^ 0xa771);
      const rate = workload.ratePerSecond;
      const inFlight = new Set<Promise<void>>();
      let slotFreed: (() => void) | null = null;
      let due = 0;
      for (let i = 0; i < n && !cancelled(); i++) {
        if (i > 0) due += (-Math.log(1 - arrivals()) / rate) * 1000;
        if (start + due >= deadline) break;
        const wait = start + due - performance.now();
        if (wait >= 1) {
          try {
            await sleep(wait, undefined, { signal: runAbort.signal });
          } catch {
            break; // cancelled while waiting
          }
        }
        while (inFlight.size >= workload.concurrency) {
          await new Promise<void>((resolve) => {
            slotFreed = resolve;
          });
        }
        if (cancelled()) break;
        sent++;
        const request: Promise<void> = sendOne(ctx, plans[i] as RequestPlan).then((outcome) => {
          record(outcome);
          inFlight.delete(request);
          const release = slotFreed;
          slotFreed = null;
          release?.();
        });
        inFlight.add(request);
      }
      await Promise.all(inFlight);
    }
  } finally {
    workload.signal?.removeEventListener('abort', followCaller);
  }

  const durationSeconds = ((performance.now() - start) / 1000) * timeScale;
  const perSecond = (count: number) => (durationSeconds > 0 ? round(count / durationSeconds, 3) : 0);
  const report: LoadTestReport = {
    requests: sent,
    succeeded,
    failed: sent - succeeded,
    errors: [...errors].map(([kind, group]) => ({ kind, ...group })).sort((a, b) => b.count - a.count),
    ttft: latencyStats(ttfts),
    tpot: latencyStats(tpots),
    e2e: latencyStats(e2es),
    outputTokens,
    tokensPerSecond: perSecond(outputTokens),
    requestsPerSecond: perSecond(succeeded),
    durationSeconds: round(durationSeconds, 6),
  };
  if (timeScale !== 1) report.timeScale = timeScale;
  if (slo) {
    report.goodput = {
      slo: { ...slo },
      requestsPerSecond: perSecond(good),
      share: sent > 0 ? round(good / sent, 6) : 0,
    };
  }
  if (runAbort.signal.aborted && (sent < n || errors.has('aborted'))) report.aborted = true;
  return report;
}
