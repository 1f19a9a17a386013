import { afterAll, describe, expect, it } from 'vitest';
import { InProcessHost, type ServerHost, WorkerHost } from '../src/demo/server-host.ts';
import { parseExposition } from '../src/metrics/embedded/exposition-parser.ts';
import { silentLogger, testAssistant } from './support/test-assistant.ts';

const LLAMA = {
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

/** Inter-token latencies longer than 0.3 s the server recorded (its steps take ~18 ms). */
async function slowTokens(url: string): Promise<number> {
  const metrics = parseExposition(await (await fetch(`${url}/metrics`)).text());
  const upTo = (le: string) =>
    metrics.get(`vllm:inter_token_latency_seconds_bucket{engine="0",le="${le}",model_name="llama-3-8b"}`) ?? 0;
  return upTo('+Inf') - upTo('0.3');
}

/** Streams an answer while this thread is busy for half a second, as a long root-cause run would keep it. */
async function answerWhileBusy(host: ServerHost): Promise<number> {
  const server = await host.start(LLAMA, 0);
  try {
    const response = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({
        model: 'llama-3-8b',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 80,
        ignore_eos: true,
        stream: true,
      }),
    }).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 200));
    const busyUntil = Date.now() + 500;
    while (Date.now() < busyUntil) {
      // The assistant's own synchronous work.
    }
    await response;
    return await slowTokens(server.url);
  } finally {
    await host.close();
  }
}

describe('the demo servers keep time while the assistant works', () => {
  const open: Array<{ dispose(): Promise<void> }> = [];
  afterAll(async () => {
    for (const assistant of open) await assistant.dispose();
  });

  it('on a worker thread, half a second of work here delays no engine step; on this thread it shows as a 0.5 s token', async () => {
    expect(await answerWhileBusy(new WorkerHost(silentLogger))).toBe(0);
    expect(await answerWhileBusy(new InProcessHost())).toBeGreaterThan(0);
  });

  it("a traffic surge injected over a server's admin API reaches the fleet's traffic generator, and its end too", async () => {
    const assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '0' }, { demoTraffic: false });
    open.push(assistant);
    const member = assistant.fleet?.find('mistral-7b');
    const url = member?.urls[0];
    if (!member || !url) throw new Error('mistral-7b is not in the fleet');
    const multiplier = () => member.servers[0]?.faultEffects.trafficMultiplier;
    const eventually = async (expected: number) => {
      for (let i = 0; i < 100 && multiplier() !== expected; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      return multiplier();
    };
    expect(multiplier()).toBe(1);
    const injected = await fetch(`${url}/admin/faults`, { method: 'POST', body: JSON.stringify({ fault: 'traffic_surge' }) });
    expect(((await injected.json()) as { faults: string[] }).faults).toEqual(['traffic_surge']);
    expect(await eventually(4)).toBe(4);
    await fetch(`${url}/admin/faults`, { method: 'DELETE' });
    expect(await eventually(1)).toBe(1);
  });
});
