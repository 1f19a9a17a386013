import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { listen } from '../http/http-server.ts';
import { Random } from '../random/seeded-random.ts';
import { type ClockTimer, clockAt, type EngineClock } from './engine-clock.ts';
import { effectsOf, type FaultEffects, type FaultName, faultName } from './faults.ts';
import type { ServerLog } from './server-log.ts';
import { LOG_MESSAGES } from './server-log-messages.ts';
import { type Performance, performanceOf, type ServerConfig, stepMs } from './serving-model.ts';
import { simulatedAnswer } from './simulated-accuracy.ts';
import { simulatedTimeScale, TIME_SCALE_HEADER } from './time-scale.ts';
import { VllmMetrics } from './vllm-metrics.ts';

export interface SimulatedServerOptions extends ServerConfig {
  /** The served model name (`model_name` label, `/v1/models` id): the deployment's name. */
  name: string;
  version: string;
  seed: number;
  log?: ServerLog | undefined;
  /**
   * The engine's time: real by default (sped up by SIMULATED_TIME_SCALE when set); a virtual clock
   * runs the same engine without waiting (tests, benches).
   */
  clock?: EngineClock | undefined;
  /** Told the active faults whenever they change (injected, cleared or expired). */
  onFaultsChanged?: ((faults: FaultName[]) => void) | undefined;
}

/** Tokens per whitespace-separated word of a prompt, as the server counts them. */
export const TOKENS_PER_WORD = 1.3;

/** The prompt tokens the server counts for a text of `words` words. */
export function promptTokensOf(words: number): number {
  return Math.max(1, Math.round(words * TOKENS_PER_WORD));
}

/** The shape of answers that end on their own: log-normal around 80% of max_tokens (at most 220), with shape 0.5. */
export function naturalLengthOf(maxTokens: number): { mean: number; sigma: number } {
  return { mean: Math.min(maxTokens * 0.8, 220), sigma: 0.5 };
}

interface Sequence {
  id: number;
  promptTokens: number;
  targetTokens: number;
  maxTokens: number;
  generated: number;
  arrivedAt: number;
  admittedAt?: number;
  firstTokenAt?: number;
  lastTokenAt?: number;
  /** Prompt tokens to (re)compute at admission; after a preemption the generated ones too. */
  prefillTokens: number;
  onToken: (text: string) => void;
  onFinish: (reason: 'stop' | 'length') => void;
  /** Words to answer with instead of filler (the accuracy check's questions). */
  script?: string[] | undefined;
}

const chatRequest = z.object({
  model: z.string().optional(),
  messages: z
    .array(z.object({ role: z.string(), content: z.union([z.string(), z.array(z.unknown()), z.null()]).optional() }))
    .min(1),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
  /** vLLM's extension: generate exactly max_tokens (benchmarks use it). */
  ignore_eos: z.boolean().optional(),
});

const WORDS = [
  'the',
  'model',
  'serves',
  'tokens',
  'quickly',
  'while',
  'the',
  'cache',
  'holds',
  'context',
  'for',
  'each',
  'request',
];

/**
 * A simulated vLLM server: a real HTTP server speaking the OpenAI API, whose engine
 * schedules sequences in continuous batches (admission by `max_num_seqs`, batched
 * tokens and KV space, preemption when the KV cache runs out) and whose step times come
 * from the serving model. It exposes vLLM's metrics and writes vLLM-style logs.
 */
export class SimulatedServer {
  readonly metrics: VllmMetrics;
  private performance: Performance;
  private random: Random;
  private readonly waiting: Sequence[] = [];
  private readonly running: Sequence[] = [];
  private kvUsed = 0;
  private nextId = 1;
  private stepping = false;
  private stepTimer: ClockTimer | undefined;
  private readonly faults = new Map<FaultName, ClockTimer | undefined>();
  private readonly clock: EngineClock;
  private effects: FaultEffects = effectsOf([]);
  private server: Server | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private tokensSinceStats = { prompt: 0, generation: 0 };
  port = 0;

  constructor(private readonly options: SimulatedServerOptions) {
    this.metrics = new VllmMetrics(options.name);
    this.performance = performanceOf(options);
    this.random = new Random(options.seed);
    this.clock = options.clock ?? clockAt(simulatedTimeScale());
  }

  get name(): string {
    return this.options.name;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get config(): Readonly<SimulatedServerOptions> {
    return this.options;
  }

  get activeFaults(): FaultName[] {
    return [...this.faults.keys()];
  }

  get faultEffects(): FaultEffects {
    return this.effects;
  }

  state() {
    return {
      name: this.options.name,
      version: this.options.version,
      model: this.options.model,
      gpu: `${this.options.gpuCount} × ${this.options.gpu}`,
      dtype: this.options.dtype,
      max_num_seqs: this.options.maxNumSeqs,
      running: this.running.length,
      waiting: this.waiting.length,
      kv_cache_usage: this.kvUsage(),
      faults: this.activeFaults,
      healthy: !this.faults.has('gpu_xid'),
      quality_score: this.performance.qualityScore,
    };
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          json(response, 500, { object: 'error', message: String(error), type: 'InternalServerError', code: 500 });
        else response.end();
      });
    });
    this.port = await listen(this.server, port, '127.0.0.1');
    this.logLine('info', LOG_MESSAGES.starting(this.options.version, `http://127.0.0.1:${this.port}`));
    this.options.log?.info(
      'arg_utils.py:1150',
      `model=${this.options.model}, dtype=${this.options.dtype}, max_num_seqs=${this.options.maxNumSeqs}, max_num_batched_tokens=${this.options.maxNumBatchedTokens}, tensor_parallel_size=${this.options.gpuCount}`,
    );
    this.statsTimer = setInterval(() => this.logStats(), 10_000);
    this.statsTimer.unref();
  }

  async stop(): Promise<void> {
    this.clock.clearTimeout(this.stepTimer);
    clearInterval(this.statsTimer);
    for (const timer of this.faults.values()) this.clock.clearTimeout(timer);
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Injects a fault, for `durationMs` or until cleared. */
  injectFault(fault: FaultName, durationMs?: number): void {
    this.clock.clearTimeout(this.faults.get(fault));
    const timer = durationMs ? this.clock.setTimeout(() => this.clearFault(fault), durationMs) : undefined;
    this.faults.set(fault, timer);
    this.effects = effectsOf(this.faults.keys());
    this.options.onFaultsChanged?.(this.activeFaults);
    // What the fault itself would print; the server never names the fault (root-cause analysis reads these logs).
    if (fault === 'gpu_xid') this.logLine('error', LOG_MESSAGES.xid());
    if (fault === 'bad_deploy') this.logLine('warn', LOG_MESSAGES.attentionFallback());
  }

  clearFault(fault?: FaultName): void {
    for (const name of fault ? [fault] : [...this.faults.keys()]) {
      this.clock.clearTimeout(this.faults.get(name));
      this.faults.delete(name);
    }
    this.effects = effectsOf(this.faults.keys());
    this.options.onFaultsChanged?.(this.activeFaults);
  }

  private kvCapacity(): number {
    return Math.max(1, Math.floor(this.performance.kvCapacityTokens * this.effects.kvCapacityFactor));
  }

  private kvUsage(): number {
    return Math.min(1, this.kvUsed / this.kvCapacity());
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/metrics') {
      response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      response.end(this.scrape().render());
      return;
    }
    if (request.method === 'GET' && path === '/health') {
      response.writeHead(this.faults.has('gpu_xid') ? 503 : 200).end();
      return;
    }
    if (request.method === 'GET' && path === '/v1/models') {
      json(response, 200, {
        object: 'list',
        data: [
          {
            id: this.options.name,
            object: 'model',
            created: 1764000000,
            owned_by: 'vllm',
            root: this.options.model,
            max_model_len: 8192,
          },
        ],
      });
      return;
    }
    if (request.method === 'GET' && path === '/admin/state') {
      json(response, 200, this.state());
      return;
    }
    if (path === '/admin/faults') return this.adminFaults(request, response);
    if (request.method === 'POST' && path === '/v1/chat/completions') return this.chat(request, response);
    json(response, 404, { object: 'error', message: `no route ${request.method} ${path}`, type: 'NotFoundError', code: 404 });
  }

  private async adminFaults(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method === 'DELETE') {
      this.clearFault();
      json(response, 200, this.state());
      return;
    }
    const body = z
      .object({ fault: faultName, duration_s: z.number().positive().optional(), seed: z.number().int().min(0).optional() })
      .safeParse(safeJson(await readBody(request)));
    if (!body.success) {
      json(response, 400, { error: body.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') });
      return;
    }
    // A scenario's seed makes the fault's random draws (which requests fail) replay the same way.
    if (body.data.seed !== undefined) this.random = new Random(body.data.seed);
    this.injectFault(body.data.fault, body.data.duration_s ? body.data.duration_s * 1000 : undefined);
    json(response, 200, this.state());
  }

  private async chat(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const scale = this.clock.realTimeScale;
    if (scale !== undefined && scale !== 1) response.setHeader(TIME_SCALE_HEADER, String(scale));
    const parsed = chatRequest.safeParse(safeJson(await readBody(request)));
    if (!parsed.success) {
      this.metrics.httpResponse('4xx');
      json(response, 400, {
        object: 'error',
        message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        type: 'BadRequestError',
        code: 400,
      });
      return;
    }
    const body = parsed.data;
    const promptText = body.messages
      .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')))
      .join(' ');
    const promptTokens = promptTokensOf(promptText.split(/\s+/).filter(Boolean).length);
    const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? 256;
    const requestId = `chatcmpl-sim${this.nextId}`;
    const created = Math.floor(Date.now() / 1000);

    if (this.random.next() < this.effects.dependencyTimeoutProbability) {
      await this.delay(5000);
      this.metrics.httpResponse('5xx');
      this.metrics.finish('abort');
      this.logLine('error', LOG_MESSAGES.moderationTimeout());
      json(response, 504, {
        object: 'error',
        message: 'upstream moderation service timed out',
        type: 'GatewayTimeout',
        code: 504,
      });
      return;
    }
    if (this.random.next() < this.effects.errorProbability) {
      await this.delay(50);
      this.metrics.httpResponse('5xx');
      this.metrics.finish('abort');
      this.logLine('error', LOG_MESSAGES.cudaError(requestId));
      json(response, 500, {
        object: 'error',
        message: 'CUDA error: an illegal memory access was encountered',
        type: 'InternalServerError',
        code: 500,
      });
      return;
    }

    const stream = body.stream === true;
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({ id: requestId, object: 'chat.completion.chunk', created, model: this.options.name, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    let text = '';
    let closed = false;
    const answer = simulatedAnswer(promptText, this.options.model, this.performance.qualityScore);
    const sequence = this.enqueue(promptTokens, maxTokens, {
      script: answer?.split(' '),
      ignoreEos: body.ignore_eos === true,
      onToken: (token) => {
        if (closed) return;
        if (stream) {
          if (!response.headersSent) {
            response.writeHead(200, {
              'Content-Type': 'text/event-stream',
              'Cache-Control': 'no-cache',
              Connection: 'keep-alive',
            });
            response.write(chunk({ role: 'assistant', content: '' }, null));
          }
          response.write(chunk({ content: token }, null));
        } else text += token;
      },
      onFinish: (reason) => {
        closed = true;
        this.metrics.httpResponse('2xx');
        const usage = {
          prompt_tokens: promptTokens,
          completion_tokens: sequence.generated,
          total_tokens: promptTokens + sequence.generated,
        };
        if (stream) {
          response.write(chunk({}, reason));
          if (includeUsage)
            response.write(
              `data: ${JSON.stringify({ id: requestId, object: 'chat.completion.chunk', created, model: this.options.name, choices: [], usage })}\n\n`,
            );
          response.end('data: [DONE]\n\n');
        } else {
          json(response, 200, {
            id: requestId,
            object: 'chat.completion',
            created,
            model: this.options.name,
            choices: [{ index: 0, message: { role: 'assistant', content: text.trim() }, logprobs: null, finish_reason: reason }],
            usage,
          });
        }
      },
    });
    response.on('close', () => {
      if (closed) return;
      closed = true;
      if (this.cancel(sequence)) this.metrics.finish('abort');
    });
  }

  /** Queues a request that has no HTTP client (a virtual-time load), as the API would: its answer is dropped. */
  submit(promptTokens: number, maxTokens: number): void {
    this.enqueue(promptTokens, maxTokens, { onToken: () => {}, onFinish: () => {} });
  }

  private enqueue(
    promptTokens: number,
    maxTokens: number,
    { ignoreEos, ...callbacks }: Pick<Sequence, 'onToken' | 'onFinish' | 'script'> & { ignoreEos?: boolean },
  ): Sequence {
    // Most answers end on their own before max_tokens; lengths vary the way chat answers do.
    const shape = naturalLengthOf(maxTokens);
    const natural = Math.max(1, Math.round(this.random.logNormal(shape.mean, shape.sigma)));
    const sequence: Sequence = {
      id: this.nextId++,
      promptTokens,
      maxTokens,
      targetTokens: ignoreEos ? maxTokens : Math.min(callbacks.script?.length ?? natural, maxTokens),
      generated: 0,
      arrivedAt: this.clock.now(),
      prefillTokens: promptTokens,
      ...callbacks,
    };
    this.waiting.push(sequence);
    this.schedule();
    return sequence;
  }

  private cancel(sequence: Sequence): boolean {
    const waitingIndex = this.waiting.indexOf(sequence);
    if (waitingIndex >= 0) {
      this.waiting.splice(waitingIndex, 1);
      return true;
    }
    const runningIndex = this.running.indexOf(sequence);
    if (runningIndex >= 0) {
      this.running.splice(runningIndex, 1);
      this.kvUsed -= sequence.promptTokens + sequence.generated;
      return true;
    }
    return false;
  }

  private schedule(): void {
    if (this.stepping || (this.waiting.length === 0 && this.running.length === 0)) return;
    this.stepping = true;
    // Admit waiting sequences while a slot, batched-token budget and KV space allow.
    const now = this.clock.now();
    const admitted: Sequence[] = [];
    let prefill = 0;
    while (this.waiting.length > 0 && this.running.length + admitted.length < this.options.maxNumSeqs) {
      const next = this.waiting[0] as Sequence;
      if (admitted.length > 0 && prefill + next.prefillTokens > this.options.maxNumBatchedTokens) break;
      if (this.kvUsed + next.prefillTokens > this.kvCapacity() && this.running.length + admitted.length > 0) break;
      this.waiting.shift();
      // vLLM's queue time is the time a request waited before it was first scheduled.
      if (next.admittedAt === undefined) {
        next.admittedAt = now;
        this.metrics.observe('vllm:request_queue_time_seconds', (now - next.arrivedAt) / 1000);
      }
      admitted.push(next);
      prefill += next.prefillTokens;
      this.kvUsed += next.prefillTokens;
    }
    const duration = stepMs(this.performance, this.running.length, prefill, this.effects.slowdown);
    this.stepTimer = this.clock.setTimeout(() => this.completeStep(admitted, prefill), duration);
  }

  private completeStep(admitted: Sequence[], prefillTokens: number): void {
    const now = this.clock.now();
    this.metrics.inc('vllm:prompt_tokens_total', prefillTokens);
    this.tokensSinceStats.prompt += prefillTokens;
    for (const sequence of this.running) this.emitToken(sequence, now);
    for (const sequence of admitted) {
      this.running.push(sequence);
      this.emitToken(sequence, now);
    }
    for (const sequence of [...this.running]) {
      if (sequence.generated >= sequence.targetTokens)
        this.finish(sequence, sequence.generated >= sequence.maxTokens ? 'length' : 'stop', now);
    }
    // Out of KV blocks: preempt the most recently admitted sequence; it recomputes later (vLLM's RECOMPUTE mode).
    while (this.kvUsed > this.kvCapacity() && this.running.length > 1) {
      const victim = this.running.pop() as Sequence;
      this.kvUsed -= victim.promptTokens + victim.generated;
      victim.prefillTokens = victim.promptTokens + victim.generated;
      this.waiting.unshift(victim);
      this.metrics.inc('vllm:num_preemptions_total');
      this.logLine('warn', LOG_MESSAGES.preempted(victim.id));
    }
    this.stepping = false;
    this.schedule();
  }

  private emitToken(sequence: Sequence, now: number): void {
    if (sequence.firstTokenAt === undefined) {
      sequence.firstTokenAt = now;
      this.metrics.observe('vllm:time_to_first_token_seconds', (now - sequence.arrivedAt) / 1000);
    } else if (sequence.lastTokenAt !== undefined) {
      this.metrics.observe('vllm:inter_token_latency_seconds', (now - sequence.lastTokenAt) / 1000);
    }
    sequence.lastTokenAt = now;
    sequence.generated += 1;
    this.kvUsed += 1;
    this.metrics.inc('vllm:generation_tokens_total');
    this.tokensSinceStats.generation += 1;
    sequence.onToken(` ${sequence.script?.[sequence.generated - 1] ?? WORDS[sequence.generated % WORDS.length]}`);
  }

  private finish(sequence: Sequence, reason: 'stop' | 'length', now: number): void {
    this.running.splice(this.running.indexOf(sequence), 1);
    this.kvUsed -= sequence.promptTokens + sequence.generated;
    this.metrics.observe('vllm:e2e_request_latency_seconds', (now - sequence.arrivedAt) / 1000);
    this.metrics.finish(reason);
    sequence.onFinish(reason);
  }

  /** The metrics as a scrape reads them now: counters and histograms so far, gauges as of this moment. */
  scrape(): VllmMetrics {
    this.metrics.setGauge('vllm:num_requests_running', this.running.length);
    this.metrics.setGauge('vllm:num_requests_waiting', this.waiting.length);
    this.metrics.setGauge('vllm:kv_cache_usage_perc', this.kvUsage());
    return this.metrics;
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  private logStats(): void {
    const { prompt, generation } = this.tokensSinceStats;
    this.tokensSinceStats = { prompt: 0, generation: 0 };
    this.logLine(
      'info',
      LOG_MESSAGES.stats({
        prompt: prompt / 10,
        generation: generation / 10,
        running: this.running.length,
        waiting: this.waiting.length,
        kvUsage: this.kvUsage(),
      }),
    );
  }

  private logLine(level: 'info' | 'warn' | 'error', line: { source: string; message: string }): void {
    this.options.log?.[level](line.source, line.message);
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
