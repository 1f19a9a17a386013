import { afterEach, describe, expect, it } from 'vitest';
import { DemoRegistry } from '../src/demo/demo-registry.ts';
import { ScaledClock } from '../src/demo/engine-clock.ts';
import { SimulatedServer, type SimulatedServerOptions } from '../src/demo/simulated-server.ts';
import { runLoadTest } from '../src/integrations/load-tester.ts';
import { parseExposition } from '../src/metrics/embedded/exposition-parser.ts';
import { AssistantMetrics } from '../src/observability/metrics.ts';
import { ToolExecutor } from '../src/tools/tool-executor.ts';
import probeEndpoint from '../tools/probe-endpoint.ts';
import { silentLogger } from './support/test-assistant.ts';

const LLAMA: SimulatedServerOptions = {
  name: 'llama-3-8b',
  version: 'v2',
  seed: 3,
  model: 'llama-3-8b',
  gpu: 'A100-80GB',
  gpuCount: 1,
  dtype: 'bf16',
  maxNumSeqs: 64,
  maxNumBatchedTokens: 8192,
};

/**
 * The engine's time, 4 times faster than real time: the load tester reports in the server's time,
 * and these assertions compare speeds (or count preemptions), so they hold as in real time.
 */
const fast = () => new ScaledClock(4);

const servers: SimulatedServer[] = [];
async function serve(options: Partial<SimulatedServerOptions> = {}): Promise<SimulatedServer> {
  const server = new SimulatedServer({ ...LLAMA, ...options });
  await server.start();
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

const probe = (server: SimulatedServer, concurrency: number, requests = concurrency * 2) =>
  runLoadTest({
    baseUrl: `${server.url}/v1`,
    model: server.name,
    requests,
    concurrency,
    maxTokens: 24,
    promptTokens: 100,
    ignoreEos: true,
  });

describe('simulated vLLM server', () => {
  it('speaks the OpenAI API: models, non-streaming and streaming completions', async () => {
    const server = await serve();
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data[0]?.id).toBe('llama-3-8b');
    const completion = (await (
      await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'llama-3-8b', messages: [{ role: 'user', content: 'hi there' }], max_tokens: 5 }),
      })
    ).json()) as { object: string; usage: { completion_tokens: number } };
    expect(completion.object).toBe('chat.completion');
    expect(completion.usage.completion_tokens).toBeLessThanOrEqual(5);
    const bad = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{"messages": "nope"}' });
    expect(bad.status).toBe(400);
  });

  it('exposes the vLLM metric names the scraper reads back exactly', async () => {
    const server = await serve({ clock: fast() });
    const report = await probe(server, 2);
    expect(report.timeScale).toBe(4); // the server said so; the times are in its time
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const name of [
      'vllm:time_to_first_token_seconds_bucket',
      'vllm:inter_token_latency_seconds_bucket',
      'vllm:e2e_request_latency_seconds_bucket',
      'vllm:request_queue_time_seconds_bucket',
      'vllm:num_requests_running',
      'vllm:num_requests_waiting',
      'vllm:kv_cache_usage_perc',
      'vllm:num_preemptions_total',
      'vllm:prompt_tokens_total',
      'vllm:generation_tokens_total',
      'vllm:request_success_total{engine="0",finished_reason="length",model_name="llama-3-8b"}',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain('# TYPE vllm:time_to_first_token_seconds histogram');
    expect([...parseExposition(text).keys()].sort()).toEqual([...server.metrics.keys()].sort());
  });

  it('gets slower with load: a bigger batch makes every decode step longer', async () => {
    const server = await serve({ clock: fast() });
    const light = await probe(server, 1, 4);
    const heavy = await probe(server, 48, 96);
    expect(heavy.tpot?.p50 ?? 0).toBeGreaterThan((light.tpot?.p50 ?? 0) * 1.3);
    expect(heavy.e2e?.p95 ?? 0).toBeGreaterThan(light.e2e?.p95 ?? 0);
  });

  it('queues requests beyond max_num_seqs, raising TTFT', async () => {
    const server = await serve({ maxNumSeqs: 4, clock: fast() });
    const under = await probe(server, 4, 8);
    const over = await probe(server, 16, 32);
    expect(over.ttft?.p95 ?? 0).toBeGreaterThan((under.ttft?.p95 ?? 0) * 2);
  });

  it('a bad deploy makes it about 2.5 times slower, and a GPU fault makes requests fail', async () => {
    const server = await serve({ clock: fast() });
    // The engine's own inter-token latency (its metrics, in its time) and what a client measures:
    // the factor is the engine's; a client on a busy machine adds its own delays to both sides.
    const meanItl = async () => {
      const metrics = parseExposition(await (await fetch(`${server.url}/metrics`)).text());
      const series = '{engine="0",model_name="llama-3-8b"}';
      return {
        sum: metrics.get(`vllm:inter_token_latency_seconds_sum${series}`) ?? 0,
        count: metrics.get(`vllm:inter_token_latency_seconds_count${series}`) ?? 0,
      };
    };
    const start = await meanItl();
    // Six rounds each, so that a round the machine stalls does not move the median.
    const before = await probe(server, 2, 12);
    const middle = await meanItl();
    server.injectFault('bad_deploy');
    const during = await probe(server, 2, 12);
    const end = await meanItl();
    const engineRatio =
      (end.sum - middle.sum) / (end.count - middle.count) / ((middle.sum - start.sum) / (middle.count - start.count));
    expect(engineRatio).toBeGreaterThan(2.2);
    expect(engineRatio).toBeLessThan(2.8);
    expect((during.tpot?.p50 ?? 0) / (before.tpot?.p50 ?? 1)).toBeGreaterThan(2);
    server.clearFault();
    server.injectFault('gpu_xid');
    const failing = await probe(server, 4, 40);
    expect(failing.failed).toBeGreaterThan(4);
    expect(failing.errors[0]?.kind).toBe('http_5xx');
    expect((await fetch(`${server.url}/health`)).status).toBe(503);
  });

  it('preempts sequences when the KV cache runs out', async () => {
    // Preemption is counted by the engine, whatever the client measures: 16 times faster.
    const server = await serve({ clock: new ScaledClock(16) });
    server.injectFault('kv_cache_exhaustion');
    await runLoadTest({
      baseUrl: `${server.url}/v1`,
      model: server.name,
      // At 2% of the cache, about seven such prompts fit; their growth past it preempts.
      requests: 12,
      concurrency: 12,
      maxTokens: 400,
      promptTokens: 1000,
      ignoreEos: true,
      timeoutMs: 60_000,
    });
    const preemptions = parseExposition(await (await fetch(`${server.url}/metrics`)).text()).get(
      'vllm:num_preemptions_total{engine="0",model_name="llama-3-8b"}',
    );
    expect(preemptions).toBeGreaterThan(0);
  });
});

describe('probe_endpoint', () => {
  it('measures a deployment through the tool, and sees an injected fault', async () => {
    // The fault is measured fast; the open-loop probe (a rate for a duration, in real time) on a real-time server.
    let server = await serve({ clock: fast() });
    const registry = new DemoRegistry(() => [
      {
        name: 'llama-3-8b',
        environment: 'prod',
        version: 'v2',
        model: 'llama-3-8b',
        gpu: '1 × A100-80GB',
        dtype: 'bf16',
        url: server.url,
        log: '/dev/null',
      },
    ]);
    const executor = new ToolExecutor(
      [probeEndpoint({ deployments: registry, metrics: undefined as never, chartDir: '', scrapeIntervalSeconds: 60 })],
      {
        timeoutMs: 60_000,
        metrics: new AssistantMetrics({ defaultMetrics: false }),
        logger: silentLogger,
      },
    );
    const context = { threadId: 't', userId: 'u', now: new Date() };
    const healthy = await executor.execute('probe_endpoint', { deployment: 'llama-3-8b', requests: 8, max_tokens: 16 }, context);
    expect(healthy.status).toBe('ok');
    expect(healthy.summary).toMatch(
      /^Probed llama-3-8b with 8 streaming requests .*TTFT p50 \d+ ms.*TPOT p50 \d+ ms.*no errors\.$/,
    );
    server.injectFault('bad_deploy');
    const slow = await executor.execute('probe_endpoint', { deployment: 'llama-3-8b', requests: 8, max_tokens: 16 }, context);
    const tpot = (result: typeof healthy) => (result as { data: { tpot: { p50: number } } }).data.tpot.p50;
    expect(tpot(slow)).toBeGreaterThan(tpot(healthy) * 2);
    server = await serve();
    const open = await executor.execute(
      'probe_endpoint',
      { deployment: 'llama-3-8b', rate_per_second: 20, concurrency: 8, duration_s: 1, max_tokens: 8 },
      context,
    );
    expect(open.summary).toMatch(
      /^Probed llama-3-8b with \d+ streaming requests \(20 req\/s, at most 8 in flight, max_tokens 8, for 1 s\) in 1\.\d s:/,
    );
    const sent = (open as { data: { requests: number } }).data.requests;
    expect(sent).toBeGreaterThan(8); // about 20 arrivals in the second
    expect(sent).toBeLessThan(40);
    const unknown = await executor.execute('probe_endpoint', { deployment: 'gpt-9' }, context);
    expect(unknown.summary).toContain('I know no deployment named gpt-9; deployments: llama-3-8b.');
  });
});
