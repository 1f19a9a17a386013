import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Plan, planRequest } from '../src/agent/offline-planner/plan-request.ts';
import { trainingCases, weightsFileText } from '../src/agent/offline-planner/train-intents.ts';

/** The single call a plan makes, failing with the plan itself when it asked a question instead. */
function firstCall(plan: Plan): { tool: string; args: Record<string, unknown> } {
  if (plan.kind !== 'calls') throw new Error(`expected tool calls, got a clarification: ${plan.question}`);
  return plan.calls[0] as { tool: string; args: Record<string, unknown> };
}

function question(plan: Plan): string {
  if (plan.kind !== 'clarify') throw new Error(`expected a clarification, got calls: ${JSON.stringify(plan.calls)}`);
  return plan.question;
}

const WRITES = ['deploy_model', 'rollback_deployment', 'scale_deployment', 'start_optimization', 'cancel_job'];

describe('the shipped intent weights', () => {
  it('are what train-intents.ts makes from the dev cases (regenerate: npx tsx src/agent/offline-planner/train-intents.ts)', () => {
    const committed = readFileSync(new URL('../src/agent/offline-planner/intent-weights.tsv', import.meta.url), 'utf8');
    expect(trainingCases().length).toBeGreaterThan(200);
    expect(
      committed === weightsFileText(),
      'intent-weights.tsv is stale: run npx tsx src/agent/offline-planner/train-intents.ts',
    ).toBe(true);
  }, 60_000);
});

describe('request families the planner once missed', () => {
  it.each([
    'how is the awq job coming along?',
    'is the tuning done yet',
    'any news on my distillation run?',
    'how far along is the gptq quantisation',
    '蒸馏任务跑得怎么样了',
  ])('asks for the latest job when a job is asked about without a number: %s', (request) => {
    expect(firstCall(planRequest(request))).toEqual({ tool: 'get_job_status', args: {} });
  });

  it.each([
    ['kill job 14', 14],
    ['please abort job #8', 8],
    ['halt job 31 now', 31],
    ['terminate job 2, it is stuck', 2],
    ['stop job 19', 19],
    ['把任务 6 停掉', 6],
  ])('stops a job in other words: %s', (request, id) => {
    expect(firstCall(planRequest(request))).toEqual({ tool: 'cancel_job', args: { job_id: id } });
  });

  it('stops the running job when the request names it by what it does', () => {
    expect(firstCall(planRequest('abort the quantization run on qwen2-7b'))).toEqual({
      tool: 'cancel_job',
      args: { deployment: 'qwen2-7b' },
    });
    expect(firstCall(planRequest('kill the tuning sweep'))).toEqual({ tool: 'cancel_job', args: {} });
  });

  it.each([
    ['ping llama-3-70b', { deployment: 'llama-3-70b' }],
    ['hit qwen2-7b with 40 requests', { deployment: 'qwen2-7b', requests: 40 }],
    ['call mistral-7b a couple of times and see if it answers', { deployment: 'mistral-7b' }],
    ['send 12 test prompts to gemma-2-9b, 3 at a time', { deployment: 'gemma-2-9b', requests: 12, concurrency: 3 }],
    ['load-test phi-3-mini at 4 rps for 20 seconds', { deployment: 'phi-3-mini', rate_per_second: 4, duration_s: 20 }],
    ['给 qwen2-7b 发 30 个请求试试', { deployment: 'qwen2-7b', requests: 30 }],
  ])('probes an endpoint phrased as calling, hitting or pinging it: %s', (request, args) => {
    expect(firstCall(planRequest(request))).toEqual({ tool: 'probe_endpoint', args });
  });

  it('probes a bare URL with the model name as written', () => {
    expect(firstCall(planRequest('hit http://10.2.0.7:8000/v1 using model Qwen/Qwen2-7B-Instruct 5 times'))).toEqual({
      tool: 'probe_endpoint',
      args: { url: 'http://10.2.0.7:8000/v1', model: 'Qwen/Qwen2-7B-Instruct', requests: 5 },
    });
  });

  it.each([
    ['gptq-quantize llama-3-8b', 'llama-3-8b', ['gptq']],
    ['make an 8-bit copy of qwen2-7b', 'qwen2-7b', ['int8']],
    ['quantize mistral-7b to 4 bit', 'mistral-7b', ['awq']],
    ['run int4 gptq on gemma-2-9b', 'gemma-2-9b', ['gptq']],
    ['fp8 quantization for llama-3-70b please', 'llama-3-70b', ['fp8']],
    ['把 qwen2-7b 量化到 int8', 'qwen2-7b', ['int8']],
    ['compare awq vs gptq on phi-3-mini', 'phi-3-mini', ['awq', 'gptq']],
    ['int8 or fp8 for mistral-7b? try both', 'mistral-7b', ['int8', 'fp8']],
  ])('quantises by method or precision, one job per method compared: %s', (request, deployment, methods) => {
    const plan = planRequest(request);
    if (plan.kind !== 'calls') throw new Error(plan.question);
    expect(plan.calls.map((c) => [c.tool, c.args.kind, c.args.deployment, c.args.method])).toEqual(
      methods.map((method) => ['start_optimization', 'quantize', deployment, method]),
    );
  });

  it('reads a latency bound in seconds as milliseconds', () => {
    expect(firstCall(planRequest('tune qwen2-7b for throughput keeping p95 ttft under 0.5 s')).args).toMatchObject({
      kind: 'tune',
      slo_p95_ttft_ms: 500,
    });
  });

  it('sizes a model when the precision comes with a sizing question, not a job', () => {
    expect(firstCall(planRequest('how much vram does llama-3-70b need in 4-bit?'))).toEqual({
      tool: 'estimate_resources',
      args: { model: 'llama-3-70b', dtype: 'int4' },
    });
  });
});

describe('Chinese requests reach every tool', () => {
  it.each([
    ['gemma-2-9b 现在是什么状态', 'get_deployment_status'],
    ['qwen2-72b 用 fp8 要多少显存', 'estimate_resources'],
    ['把 phi-3-mini v4 发布到 staging', 'deploy_model'],
    ['mistral-7b 回滚到 v2', 'rollback_deployment'],
    ['把 gemma-2-9b 扩容到 5 个副本', 'scale_deployment'],
    ['qwen2-7b 最近三小时的 p99 首 token 延迟', 'query_metrics'],
    ['llama-3-70b 今天的吞吐有没有异常', 'detect_anomalies'],
    ['预测 mistral-7b 下周的流量', 'forecast_metrics'],
    ['压测 phi-3-mini，50 个请求', 'probe_endpoint'],
    ['搜索 gemma-2-9b 日志里的 NCCL 报错', 'search_logs'],
    ['分析一下 qwen2-7b 今天日志里最常见的模式', 'analyze_logs'],
    ['llama-3-8b 为什么突然变慢了', 'explain_incident'],
    ['用 awq 量化 mistral-7b', 'start_optimization'],
    ['调优任务现在进度如何', 'get_job_status'],
    ['取消 9 号任务', 'cancel_job'],
    ['谁昨天回滚了 qwen2-7b', 'list_audit'],
  ])('%s → %s', (request, tool) => {
    expect(firstCall(planRequest(request)).tool).toBe(tool);
  });
});

describe('requests no tool serves get a short answer, not a wrong tool', () => {
  it.each(['what is the weather in Berlin tomorrow?', 'tell me something funny', 'who won the chess match?'])(
    'off-topic: %s',
    (request) => {
      expect(question(planRequest(request))).toMatch(/could not tell what you want/);
    },
  );

  it('off-topic in Chinese: says so in Chinese, with the Chinese examples', () => {
    const answer = question(planRequest('今天吃什么好'));
    expect(answer).toMatch(/^我没看懂你想让我做什么/);
    expect(answer).toContain('mistral-7b 的状态');
  });

  it.each([
    ['restart qwen2-7b', /can't restart qwen2-7b/],
    ['please reboot the node behind mistral-7b', /can't restart mistral-7b/],
    ['delete llama-3-8b from staging', /can't delete llama-3-8b/],
    ['ssh into the gemma-2-9b pod', /can't open a shell on gemma-2-9b/],
  ])('an unsupported action says so and what can be done: %s', (request, says) => {
    const answer = question(planRequest(request));
    expect(answer).toMatch(says);
    expect(answer).toContain('status of mistral-7b');
  });

  it('an unsupported action asked in Chinese is refused in Chinese', () => {
    const answer = question(planRequest('重启一下 phi-3-mini'));
    expect(answer).toMatch(/^我不能重启 phi-3-mini/);
    expect(answer).toContain('mistral-7b 的状态');
  });

  it('a restart asked about in the past is a diagnosis, not an unsupported action', () => {
    expect(firstCall(planRequest('why did mistral-7b restart three times today?')).tool).toBe('explain_incident');
  });
});

describe('a question never starts a write', () => {
  it.each([
    'should we roll back mistral-7b?',
    'would it help to scale qwen2-7b to 8 replicas?',
    'is it worth quantizing llama-3-70b to int4?',
    'should I cancel job 7?',
    'should we deploy gemma-2-9b v3 to prod?',
    '要不要回滚 qwen2-7b',
  ])('%s', (request) => {
    const plan = planRequest(request);
    if (plan.kind === 'calls') for (const call of plan.calls) expect(WRITES).not.toContain(call.tool);
  });

  it('answers "should we roll back X?" with the diagnosis that decides it', () => {
    expect(firstCall(planRequest('should we roll back mistral-7b?'))).toEqual({
      tool: 'explain_incident',
      args: { deployment: 'mistral-7b' },
    });
  });

  it('takes a polite imperative as the request it is', () => {
    expect(firstCall(planRequest('can you deploy qwen2-7b v2 to staging?'))).toEqual({
      tool: 'deploy_model',
      args: { model: 'qwen2-7b', version: 'v2', environment: 'staging' },
    });
    expect(firstCall(planRequest('could you roll back mistral-7b in prod please')).tool).toBe('rollback_deployment');
  });
});

describe('a follow-up reuses the thread only when plainly one', () => {
  const following = (previous: string, request: string) => planRequest(request, [], previous);

  it.each([
    ['tune llama-3-8b for throughput in dev', 'is anything broken right now?'],
    ['quantize qwen2-7b to int4 in dev', 'is anything down?'],
  ])('"%s" then "%s" checks the fleet instead of starting another job', (previous, request) => {
    expect(firstCall(following(previous, request))).toEqual({ tool: 'get_deployment_status', args: {} });
  });

  it('does not answer an off-topic message with the previous request', () => {
    expect(question(following('who deployed what yesterday?', "what's the weather in Paris?"))).toMatch(/could not tell/);
    expect(question(following('summarise the llama-3-8b logs since 14:00', 'restart mistral-7b'))).toMatch(/can't restart/);
  });

  it.each([
    [
      'p95 ttft for llama-3-8b in the last hour',
      'and for mistral-7b?',
      'query_metrics',
      { deployment: 'mistral-7b', metric: 'ttft' },
    ],
    [
      'p95 ttft for llama-3-8b in the last hour',
      'what about qwen2-7b?',
      'query_metrics',
      { deployment: 'qwen2-7b', range: 'last 1h' },
    ],
    [
      'status of qwen2-7b in prod',
      'same for staging',
      'get_deployment_status',
      { deployment: 'qwen2-7b', environment: 'staging' },
    ],
    ['llama-3-8b 最近一小时的吞吐量', '和 qwen2-7b 呢?', 'query_metrics', { deployment: 'qwen2-7b', metric: 'throughput' }],
    ['how much memory for mistral-7b', 'and for qwen2-72b?', 'estimate_resources', { model: 'qwen2-72b' }],
    ['p95 ttft for llama-3-8b in the last hour', 'what about the logs?', 'search_logs', { deployment: 'llama-3-8b' }],
  ])('"%s" then "%s"', (previous, request, tool, args) => {
    const call = firstCall(following(previous, request));
    expect(call.tool).toBe(tool);
    expect(call.args).toMatchObject(args);
  });

  it('repeats a change for an imperative follow-up, and asks on a question-shaped one', () => {
    expect(firstCall(following('rollback qwen2-7b in prod', 'same for mistral-7b'))).toEqual({
      tool: 'rollback_deployment',
      args: { deployment: 'mistral-7b', environment: 'prod' },
    });
    expect(question(following('rollback qwen2-7b in prod', 'and for mistral-7b?'))).toMatch(/change nothing on a question/);
  });

  it('does not borrow from the previous request when the new one is not a follow-up', () => {
    expect(firstCall(following('p95 ttft for llama-3-8b in the last hour', 'status of staging'))).toEqual({
      tool: 'get_deployment_status',
      args: { environment: 'staging' },
    });
  });
});

describe('reads close neighbours apart', () => {
  it.each([
    ["where is gemma-2-9b's endpoint?", 'get_deployment_status'],
    ['benchmark the gemma-2-9b endpoint', 'probe_endpoint'],
    ['which log templates showed up for the first time on qwen2-7b?', 'analyze_logs'],
    ['qwen2-7b logs containing "shard 3"', 'search_logs'],
    ['who rolled back llama-3-8b last night?', 'list_audit'],
    ['roll llama-3-8b back to v2', 'rollback_deployment'],
    ['how many replicas is mistral-7b running?', 'get_deployment_status'],
    ['mistral-7b should run 5 replicas', 'scale_deployment'],
    ['how much memory does qwen2-7b need in awq?', 'estimate_resources'],
    ['quantize qwen2-7b with awq', 'start_optimization'],
  ])('%s → %s', (request, tool) => {
    expect(firstCall(planRequest(request)).tool).toBe(tool);
  });
});

describe('entities', () => {
  it('joins a model name written with spaces', () => {
    expect(firstCall(planRequest('why is mistral 7b slow?')).args).toMatchObject({ deployment: 'mistral-7b' });
  });

  it('takes raw PromQL whole, without reading "[5m]" as a deployment or a range', () => {
    expect(firstCall(planRequest('promql sum(rate(vllm:request_success_total[5m])) by (finished_reason)'))).toEqual({
      tool: 'query_metrics',
      args: { promql: 'sum(rate(vllm:request_success_total[5m])) by (finished_reason)' },
    });
  });

  it('repairs typos of the words it keys on', () => {
    expect(firstCall(planRequest('anomolies on qwen2-7b lantency today?')).tool).toBe('detect_anomalies');
    expect(firstCall(planRequest('rollbakc gemma-2-9b')).tool).toBe('rollback_deployment');
  });
});
