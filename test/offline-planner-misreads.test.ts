import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Plan, planRequest } from '../src/agent/offline-planner/plan-request.ts';
import { EMPTY_REGISTRY } from '../src/deployments/deployment-registry.ts';
import { nameDistance, nearestNames, unknownDeployment } from '../src/tools/known-deployment.ts';
import { testAssistant } from './support/test-assistant.ts';

const FLEET = ['llama-3-8b', 'mistral-7b', 'qwen2-7b'];
const callsOf = (plan: Plan) => (plan.kind === 'calls' ? plan.calls.map((c) => [c.tool, c.args]) : plan.question);
const question = (plan: Plan) => (plan.kind === 'clarify' ? plan.question : `(calls: ${JSON.stringify(plan.calls)})`);

describe('a comparison of deployments plans one call for each', () => {
  it.each([
    ['compare p95 ttft of mistral-7b and llama-3-8b', 'ttft', ['mistral-7b', 'llama-3-8b']],
    ['mistral-7b vs qwen2-7b throughput today', 'throughput', ['mistral-7b', 'qwen2-7b']],
    ['p95 latency of mistral-7b and qwen2-7b last 2h', 'e2e_latency', ['mistral-7b', 'qwen2-7b']],
    ['比较 mistral-7b 和 qwen2-7b 的延迟', 'e2e_latency', ['mistral-7b', 'qwen2-7b']],
    ['which has more errors, llama-3-8b or qwen2-7b?', 'error_rate', ['llama-3-8b', 'qwen2-7b']],
    ['llama-3-8b 和 mistral-7b 哪个吞吐更高', 'throughput', ['llama-3-8b', 'mistral-7b']],
  ])('%s', (request, metric, deployments) => {
    const plan = planRequest(request, FLEET);
    expect(plan.kind).toBe('calls');
    const calls = plan.kind === 'calls' ? plan.calls : [];
    expect(calls.map((c) => c.tool)).toEqual(deployments.map(() => 'query_metrics'));
    expect(calls.map((c) => c.args.deployment)).toEqual(deployments);
    expect(calls.every((c) => c.args.metric === metric)).toBe(true);
  });

  it('keeps the range and quantile for every deployment compared', () => {
    expect(callsOf(planRequest('p95 latency of mistral-7b and qwen2-7b last 2h', FLEET))).toEqual([
      ['query_metrics', { deployment: 'mistral-7b', metric: 'e2e_latency', quantile: 0.95, range: 'last 2h' }],
      ['query_metrics', { deployment: 'qwen2-7b', metric: 'e2e_latency', quantile: 0.95, range: 'last 2h' }],
    ]);
  });

  it.each([
    ['status of mistral-7b and qwen2-7b', 'get_deployment_status', 'deployment'],
    ['probe llama-3-8b and mistral-7b with 5 requests', 'probe_endpoint', 'deployment'],
    ['anomalies in qwen2-7b and llama-3-8b today', 'detect_anomalies', 'deployment'],
    ['forecast requests for mistral-7b and qwen2-7b next week', 'forecast_metrics', 'deployment'],
    ['how much vram do llama-3-70b and qwen2-72b need', 'estimate_resources', 'model'],
  ])('generalises to the other reads where a comparison makes sense: %s', (request, tool, field) => {
    const plan = planRequest(request, FLEET);
    const calls = plan.kind === 'calls' ? plan.calls : [];
    expect(calls).toHaveLength(2);
    expect(calls.every((c) => c.tool === tool)).toBe(true);
    expect(new Set(calls.map((c) => c.args[field])).size).toBe(2);
  });

  it('does not split a change that names two deployments for other reasons', () => {
    const distil = planRequest('distill llama-3-70b into llama-3-8b', FLEET);
    expect(distil.kind === 'calls' && distil.calls).toEqual([
      {
        tool: 'start_optimization',
        args: expect.objectContaining({ kind: 'distill', deployment: 'llama-3-70b', student: 'llama-3-8b' }),
      },
    ]);
  });
});

describe('names the fleet does not know are kept, so the tool can say so', () => {
  it.each([
    ['p95 ttft of gemma-2-9b', 'gemma-2-9b'],
    ['p95 ttft of gemma 2 9b', 'gemma-2-9b'],
    ['latency of gemma', 'gemma'],
    ['error rate of llama 70b', 'llama-70b'],
  ])('%s → %s, not the whole fleet', (request, name) => {
    const plan = planRequest(request, FLEET);
    expect(plan.kind === 'calls' && plan.calls[0]?.args.deployment).toBe(name);
  });

  it.each([
    ['mistral 7b latency', 'mistral-7b'],
    ['status of llama3-8b', 'llama-3-8b'],
    ['latency of mistral today', 'mistral-7b'],
  ])('a spelling of a known name is that name: %s', (request, name) => {
    const plan = planRequest(request, FLEET);
    expect(plan.kind === 'calls' && plan.calls.map((c) => c.args.deployment)).toEqual([name]);
  });

  it('reads "15m" in a time range as a duration, not as a model', () => {
    expect(callsOf(planRequest('logs for qwen2-7b in the last 15m', FLEET))).toEqual([
      ['search_logs', { deployment: 'qwen2-7b', range: 'last 15m' }],
    ]);
  });
});

describe('the nearest known names', () => {
  it('measures edit distance over name parts', () => {
    expect(nameDistance('mistral-8b', 'mistral-7b')).toBeCloseTo(0.5);
    expect(nameDistance('llama3-8b', 'llama-3-8b')).toBe(0);
    expect(nameDistance('gemma-2-9b', 'qwen2-7b')).toBeGreaterThan(1);
  });

  it('asks "did you mean" only for a close slip, and lists every name nearest first', () => {
    expect(nearestNames('mistral-8b', FLEET)).toEqual({
      close: ['mistral-7b'],
      nearest: ['mistral-7b', 'llama-3-8b', 'qwen2-7b'],
    });
    expect(nearestNames('gemma-2-9b', FLEET).close).toEqual([]);
    expect(nearestNames('7b', FLEET).close).toEqual(['mistral-7b', 'qwen2-7b']);
  });

  it('refuses an unknown name only when the registry knows deployments (Prometheus without a fleet decides itself)', () => {
    const fleet = { deployments: { ...EMPTY_REGISTRY, names: () => FLEET } };
    expect(unknownDeployment(fleet, 'gemma-2-9b')).toMatchObject({
      status: 'error',
      code: 'deployment_unknown',
      summary: 'I know no deployment named gemma-2-9b; deployments: qwen2-7b, llama-3-8b, mistral-7b.',
    });
    expect(unknownDeployment(fleet, 'mistral-7b')).toBeUndefined();
    expect(unknownDeployment(fleet, undefined)).toBeUndefined();
    expect(unknownDeployment({ deployments: EMPTY_REGISTRY }, 'gemma-2-9b')).toBeUndefined();
  });
});

describe('a metric the assistant does not have is said, with the ones it has', () => {
  it.each([
    ['gpu utilization of llama-3-8b tomorrow', 'gpu utilization'],
    ['power draw of mistral-7b', 'power draw'],
    ['disk usage', 'disk usage'],
    ['GPU temperature', 'gpu temperature'],
    ['cpu load on qwen2-7b in the last hour', 'cpu load'],
    ['any anomalies in network bandwidth of llama-3-8b?', 'network bandwidth'],
    ['the cache hit rate of mistral-7b', 'cache hit rate'],
    ['mistral-7b 的 GPU 利用率', 'gpu 利用率'],
  ])('%s', (request, phrase) => {
    const plan = planRequest(request, FLEET);
    expect(plan.kind).toBe('clarify');
    const answer = question(plan);
    expect(answer).toContain(phrase);
    expect(answer).toMatch(/ttft|首 token 时间/);
    expect(answer).toMatch(/kv_cache_usage/);
  });

  it('mentions raw PromQL only where Prometheus is configured, or conditionally when that is not known', () => {
    const ask = 'gpu utilization of llama-3-8b';
    expect(question(planRequest(ask, FLEET, undefined, { rawPromql: true }))).toContain(
      'Raw PromQL works too, e.g. "avg(DCGM_FI_DEV_GPU_UTIL)"',
    );
    expect(question(planRequest(ask, FLEET, undefined, { rawPromql: false }))).not.toContain('PromQL');
    expect(question(planRequest(ask, FLEET))).toContain('With a Prometheus server configured (PROMETHEUS_URL)');
    // The example it gives is itself a request the planner runs as PromQL.
    expect(callsOf(planRequest('avg(DCGM_FI_DEV_GPU_UTIL)', FLEET))).toEqual([
      ['query_metrics', { promql: 'avg(DCGM_FI_DEV_GPU_UTIL)' }],
    ]);
  });

  it.each([
    ['kv cache usage of qwen2-7b', 'kv_cache_usage'],
    ['5xx rate on llama-3-8b, last 15 min', 'error_rate'],
    ["what's the request count of mistral-7b", 'request_rate'],
    ['gpu throughput of mistral-7b', 'throughput'],
  ])('still reads the curated metrics: %s', (request, metric) => {
    const plan = planRequest(request, FLEET);
    expect(plan.kind === 'calls' && plan.calls[0]?.args.metric).toBe(metric);
  });

  it('still sizes a model when GPU memory is asked about, and answers off-topic temperatures with the help', () => {
    expect(callsOf(planRequest('how much gpu memory does llama-3-70b need', FLEET))).toEqual([
      ['estimate_resources', { model: 'llama-3-70b' }],
    ]);
    expect(question(planRequest("what's the temperature in Paris?", FLEET))).toMatch(/could not tell what you want/);
  });
});

describe('through the chat, on the demo fleet', () => {
  let assistant: Awaited<ReturnType<typeof testAssistant>>;
  beforeAll(async () => {
    assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '1' }, { demoTraffic: false });
  }, 60_000);
  afterAll(async () => {
    await assistant?.dispose();
  });
  let thread = 0;
  const ask = (text: string) => assistant.conversation.handle({ surface: 'test', threadId: `t:${++thread}`, userId: 'U1', text });

  it('answers a comparison with the numbers of each deployment', async () => {
    for (const text of ['compare p95 ttft of mistral-7b and llama-3-8b', 'mistral-7b vs qwen2-7b throughput today']) {
      const reply = await ask(text);
      expect(reply.toolRuns).toHaveLength(2);
      expect(reply.toolRuns.every((run) => run.result.status === 'ok')).toBe(true);
      const names = reply.toolRuns.map((run) => (run.args as { deployment: string }).deployment);
      for (const name of names) expect(reply.text).toMatch(new RegExp(`${name}: [\\d.]+ [\\w/%]+ now \\(min `));
    }
  });

  it('says a deployment is unknown, with the nearest names, instead of answering for the fleet', async () => {
    const unknown = await ask('p95 ttft of gemma-2-9b');
    expect(unknown.toolRuns.map((run) => run.result.status)).toEqual(['error']);
    expect(unknown.text).toBe('⚠️ I know no deployment named gemma-2-9b; deployments: qwen2-7b, llama-3-8b, mistral-7b.');
    const slip = await ask('status of mistral-8b');
    expect(slip.text).toContain('I know no deployment named mistral-8b: did you mean mistral-7b?');
    const family = await ask('anomalies in gemma today');
    expect(family.text).toContain('I know no deployment named gemma');
  });

  it('says a metric is unknown instead of forecasting requests per second', async () => {
    const reply = await ask('gpu utilization of llama-3-8b tomorrow');
    expect(reply.toolRuns).toEqual([]);
    expect(reply.text).toMatch(
      /^I have no metric for gpu utilization\. The serving metrics I can read: time to first token \(ttft\)/,
    );
    expect(reply.text).not.toMatch(/request_rate history|Forecast of/);
  });
});
