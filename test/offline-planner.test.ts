import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { OfflinePlannerChatModel } from '../src/agent/offline-planner/offline-chat-model.ts';
import { type Plan, planRequest } from '../src/agent/offline-planner/plan-request.ts';
import { readPlannerCases, scorePlan } from '../src/agent/offline-planner/planner-corpus.ts';
import { HELP_TEXT, HELP_TEXT_ZH } from '../src/conversation/examples.ts';

// The corpus's dev half (in the repo; the planner was built on it). The held-out half is only
// scored by `npm run bench`, and the shared planner_cases.jsonl beside the checkout too.
const devCases = readPlannerCases(new URL('./fixtures/planner/dev.jsonl', import.meta.url));

/** The single call a plan makes, failing the test with the plan itself when it asked a question instead. */
function onlyCall(plan: Plan): { tool: string; args: Record<string, unknown> } {
  if (plan.kind !== 'calls') throw new Error(`expected tool calls, got a clarification: ${plan.question}`);
  expect(plan.calls).toHaveLength(1);
  return plan.calls[0] as { tool: string; args: Record<string, unknown> };
}

function question(plan: Plan): string {
  if (plan.kind !== 'clarify') throw new Error(`expected a clarification, got calls: ${JSON.stringify(plan.calls)}`);
  return plan.question;
}

describe('planRequest on the dev half of the planner corpus', () => {
  it('reaches the right tool with the right values for (nearly) every request it was built on', () => {
    expect(devCases.length).toBeGreaterThan(200);
    const misses = devCases.filter((c) => !scorePlan(planRequest(c.u), c).args).map((c) => c.u);
    // In-sample, so nearly all; the odd miss is a request whose label the pinned cases below contradict.
    expect(misses.length, misses.join('\n')).toBeLessThanOrEqual(2);
  });
});

type Case = [request: string, tool: string, args: Record<string, unknown>];

const ENGLISH: Case[] = [
  // query_metrics
  [
    'p99 ttft for llama-3-8b in the last 2h',
    'query_metrics',
    { deployment: 'llama-3-8b', metric: 'ttft', quantile: 0.99, range: 'last 2h' },
  ],
  [
    'median tpot of mistral-7b since 14:00',
    'query_metrics',
    { deployment: 'mistral-7b', metric: 'tpot', quantile: 0.5, range: 'since 14:00' },
  ],
  ['error rate for qwen2-7b yesterday', 'query_metrics', { deployment: 'qwen2-7b', metric: 'error_rate', range: 'yesterday' }],
  ['request rate on llama-3-70b today', 'query_metrics', { deployment: 'llama-3-70b', metric: 'request_rate', range: 'today' }],
  [
    'queue time for mixtral-8x7b in the last 30m',
    'query_metrics',
    { deployment: 'mixtral-8x7b', metric: 'queue_time', quantile: 0.95, range: 'last 30m' },
  ],
  [
    'ttft of llama-3-8b since 2pm',
    'query_metrics',
    { deployment: 'llama-3-8b', metric: 'ttft', quantile: 0.95, range: 'since 14:00' },
  ],
  [
    "show me mistral-7b's queue depth since 9:30",
    'query_metrics',
    { deployment: 'mistral-7b', metric: 'queue_depth', range: 'since 09:30' },
  ],
  [
    'how many preemptions did llama-3-8b have in the past hour',
    'query_metrics',
    { deployment: 'llama-3-8b', metric: 'preemptions', range: 'last 1h' },
  ],
  [
    'mistral-7b errors in the past 30 minutes',
    'query_metrics',
    { deployment: 'mistral-7b', metric: 'error_rate', range: 'last 30m' },
  ],
  // detect_anomalies
  [
    'any anomalies in qwen2-7b ttft over the last 2h?',
    'detect_anomalies',
    { deployment: 'qwen2-7b', metric: 'ttft', range: 'last 2h' },
  ],
  ['detect anomalies on mistral-7b since 14:00', 'detect_anomalies', { deployment: 'mistral-7b', range: 'since 14:00' }],
  [
    'is anything weird with llama-3-70b kv cache usage yesterday',
    'detect_anomalies',
    { deployment: 'llama-3-70b', metric: 'kv_cache_usage', range: 'yesterday' },
  ],
  // forecast_metrics
  [
    'predict throughput for mistral-7b over the next 2 weeks',
    'forecast_metrics',
    { deployment: 'mistral-7b', metric: 'throughput', horizon: '2w' },
  ],
  [
    'forecast request rate for llama-3-8b tomorrow',
    'forecast_metrics',
    { deployment: 'llama-3-8b', metric: 'request_rate', horizon: '1d' },
  ],
  [
    'what gpu capacity will qwen2-72b need over the next month',
    'forecast_metrics',
    { deployment: 'qwen2-72b', horizon: '30d', capacity: true },
  ],
  // explain_incident
  [
    'why is mistral-7b slow since 14:00?',
    'explain_incident',
    { deployment: 'mistral-7b', range: 'since 14:00', symptom: 'high latency' },
  ],
  ['explain what happened to llama-3-8b yesterday', 'explain_incident', { deployment: 'llama-3-8b', range: 'yesterday' }],
  [
    'investigate qwen2-7b OOM in the last 30m',
    'explain_incident',
    { deployment: 'qwen2-7b', range: 'last 30m', symptom: 'out of memory' },
  ],
  // search_logs / analyze_logs
  ['search mistral-7b logs for "CUDA out of memory"', 'search_logs', { deployment: 'mistral-7b', query: 'CUDA out of memory' }],
  [
    'show warnings in llama-3-70b logs from the last 2h',
    'search_logs',
    { deployment: 'llama-3-70b', level: 'warn', range: 'last 2h' },
  ],
  ['grep qwen2-7b logs for timeout', 'search_logs', { deployment: 'qwen2-7b', query: 'timeout' }],
  ['summarise the llama-3-8b logs since 14:00', 'analyze_logs', { deployment: 'llama-3-8b', range: 'since 14:00' }],
  ['top log patterns for qwen2-7b yesterday', 'analyze_logs', { deployment: 'qwen2-7b', range: 'yesterday' }],
  // deploy_model
  [
    'deploy qwen2-7b v3 to staging on 1 A100',
    'deploy_model',
    { model: 'qwen2-7b', version: 'v3', environment: 'staging', gpu_type: 'A100-80GB', gpu_count: 1 },
  ],
  [
    'deploy llama-3-70b v1.2 to prod with 4 replicas on 8 H100s in fp8',
    'deploy_model',
    {
      model: 'llama-3-70b',
      version: 'v1.2',
      environment: 'prod',
      replicas: 4,
      gpu_type: 'H100',
      gpu_count: 8,
      quantization: 'fp8',
    },
  ],
  [
    'release gemma-2-9b version 2024-06-01 to dev',
    'deploy_model',
    { model: 'gemma-2-9b', version: '2024-06-01', environment: 'dev' },
  ],
  // rollback_deployment
  [
    'roll back llama-3-8b in staging to v1',
    'rollback_deployment',
    { deployment: 'llama-3-8b', environment: 'staging', to_version: 'v1' },
  ],
  ['revert mistral-7b prod', 'rollback_deployment', { deployment: 'mistral-7b', environment: 'prod' }],
  // scale_deployment
  ['scale qwen2-7b in prod to 3 replicas', 'scale_deployment', { deployment: 'qwen2-7b', environment: 'prod', replicas: 3 }],
  ['scale down llama-3-8b to zero in dev', 'scale_deployment', { deployment: 'llama-3-8b', environment: 'dev', replicas: 0 }],
  // estimate_resources
  [
    'how many gpus do I need for llama-3-70b in fp16 with 8k context',
    'estimate_resources',
    { model: 'llama-3-70b', dtype: 'fp16', context_length: 8192 },
  ],
  [
    'can mixtral-8x7b fit on 2 H100 with 32 concurrent users?',
    'estimate_resources',
    { model: 'mixtral-8x7b', concurrency: 32, gpu_type: 'H100', gpu_count: 2 },
  ],
  // probe_endpoint
  [
    'probe llama-3-8b with 50 requests and concurrency 5',
    'probe_endpoint',
    { deployment: 'llama-3-8b', requests: 50, concurrency: 5 },
  ],
  [
    'benchmark qwen2-7b with 200 requests at 8 concurrent',
    'probe_endpoint',
    { deployment: 'qwen2-7b', requests: 200, concurrency: 8 },
  ],
  // start_optimization
  ['quantize llama-3-70b to int4', 'start_optimization', { kind: 'quantize', deployment: 'llama-3-70b', method: 'awq' }],
  ['quantise qwen2-7b with gptq', 'start_optimization', { kind: 'quantize', deployment: 'qwen2-7b', method: 'gptq' }],
  [
    'distill llama-3-70b into llama-3-8b',
    'start_optimization',
    { kind: 'distill', deployment: 'llama-3-70b', student: 'llama-3-8b' },
  ],
  ['tune mistral-7b for lower cost', 'start_optimization', { kind: 'tune', deployment: 'mistral-7b', objective: 'cost' }],
  [
    'tune llama-3-8b for throughput keeping ttft below 300ms and tpot under 50ms',
    'start_optimization',
    { kind: 'tune', deployment: 'llama-3-8b', objective: 'throughput', slo_p95_ttft_ms: 300, slo_p95_tpot_ms: 50 },
  ],
  // get_job_status / cancel_job
  ["what's the status of job 7", 'get_job_status', { job_id: 7 }],
  ['job #15?', 'get_job_status', { job_id: 15 }],
  ['abort job 21', 'cancel_job', { job_id: 21 }],
  // list_audit
  ['who rolled back mistral-7b today', 'list_audit', { range: 'today', deployment: 'mistral-7b', action: 'rollback_deployment' }],
  ['audit trail for qwen2-7b in the last 3d', 'list_audit', { range: 'last 3d', deployment: 'qwen2-7b' }],
  ['who scaled llama-3-70b', 'list_audit', { deployment: 'llama-3-70b', action: 'scale_deployment' }],
  // get_deployment_status
  ['status of prod', 'get_deployment_status', { environment: 'prod' }],
  ['is llama-3-8b healthy in staging?', 'get_deployment_status', { deployment: 'llama-3-8b', environment: 'staging' }],
];

const CHINESE: Case[] = [
  ['部署 qwen2-7b v3 到预发环境', 'deploy_model', { model: 'qwen2-7b', version: 'v3', environment: 'staging' }],
  [
    '把 llama-3-8b 版本 v2.1 发布到生产,用 2 张 H100',
    'deploy_model',
    { model: 'llama-3-8b', version: 'v2.1', environment: 'prod', gpu_type: 'H100', gpu_count: 2 },
  ],
  [
    '部署 llama-3-8b v2 到生产 3 个副本',
    'deploy_model',
    { model: 'llama-3-8b', version: 'v2', environment: 'prod', replicas: 3 },
  ],
  ['回滚生产环境的 mistral-7b', 'rollback_deployment', { deployment: 'mistral-7b', environment: 'prod' }],
  ['把 llama-3-70b 回退到 v5', 'rollback_deployment', { deployment: 'llama-3-70b', to_version: 'v5' }],
  ['扩容 qwen2-7b 到 6 个副本', 'scale_deployment', { deployment: 'qwen2-7b', replicas: 6 }],
  ['生产环境的 llama-3-8b 缩容到 2 个实例', 'scale_deployment', { deployment: 'llama-3-8b', environment: 'prod', replicas: 2 }],
  [
    'llama-3-8b 最近两小时的首 token 延迟',
    'query_metrics',
    { deployment: 'llama-3-8b', metric: 'ttft', quantile: 0.95, range: 'last 2h' },
  ],
  ['mistral-7b 昨天的错误率', 'query_metrics', { deployment: 'mistral-7b', metric: 'error_rate', range: 'yesterday' }],
  ['qwen2-7b 今天的请求量', 'query_metrics', { deployment: 'qwen2-7b', metric: 'request_rate', range: 'today' }],
  ['qwen2-7b 最近半小时的错误率', 'query_metrics', { deployment: 'qwen2-7b', metric: 'error_rate', range: 'last 30m' }],
  [
    'mixtral-8x7b 从 14:00 开始的排队时间',
    'query_metrics',
    { deployment: 'mixtral-8x7b', metric: 'queue_time', quantile: 0.95, range: 'since 14:00' },
  ],
  ['qwen2-7b 最近两小时有没有异常', 'detect_anomalies', { deployment: 'qwen2-7b', range: 'last 2h' }],
  ['mistral-7b 今天的吞吐有什么异常吗', 'detect_anomalies', { deployment: 'mistral-7b', metric: 'throughput', range: 'today' }],
  ['预测下周 llama-3-8b 的请求量', 'forecast_metrics', { deployment: 'llama-3-8b', metric: 'request_rate', horizon: '7d' }],
  ['下个月 llama-3-70b 需要多少副本', 'forecast_metrics', { deployment: 'llama-3-70b', horizon: '30d', capacity: true }],
  [
    'llama-3-8b 为什么从 14:00 开始变慢了',
    'explain_incident',
    { deployment: 'llama-3-8b', range: 'since 14:00', symptom: 'high latency' },
  ],
  ['排查 qwen2-7b 最近30分钟的报错', 'explain_incident', { deployment: 'qwen2-7b', range: 'last 30m', symptom: 'errors' }],
  ['搜索 llama-3-8b 日志 包含 timeout', 'search_logs', { deployment: 'llama-3-8b', query: 'timeout' }],
  ['mistral-7b 最近两小时的错误日志', 'search_logs', { deployment: 'mistral-7b', level: 'error', range: 'last 2h' }],
  ['分析 qwen2-7b 昨天的日志', 'analyze_logs', { deployment: 'qwen2-7b', range: 'yesterday' }],
  ['llama-3-70b 在 fp16 下需要多少显存', 'estimate_resources', { model: 'llama-3-70b', dtype: 'fp16' }],
  [
    'llama-3-8b 能不能跑在单张 A10G 上 int4',
    'estimate_resources',
    { model: 'llama-3-8b', dtype: 'int4', gpu_type: 'A10G', gpu_count: 1 },
  ],
  ['压测 qwen2-7b 100 个请求 并发 10', 'probe_endpoint', { deployment: 'qwen2-7b', requests: 100, concurrency: 10 }],
  ['用 gptq 量化 qwen2-7b', 'start_optimization', { kind: 'quantize', deployment: 'qwen2-7b', method: 'gptq' }],
  [
    '把 llama-3-70b 蒸馏到 llama-3-8b',
    'start_optimization',
    { kind: 'distill', deployment: 'llama-3-70b', student: 'llama-3-8b' },
  ],
  ['任务 5 的状态', 'get_job_status', { job_id: 5 }],
  ['取消任务 12', 'cancel_job', { job_id: 12 }],
  ['谁部署了 llama-3-8b', 'list_audit', { deployment: 'llama-3-8b', action: 'deploy_model' }],
  ['最近三天的操作记录', 'list_audit', { range: 'last 3d' }],
  ['llama-3-8b 的部署状态', 'get_deployment_status', { deployment: 'llama-3-8b' }],
  ['生产环境部署了哪些模型', 'get_deployment_status', { environment: 'prod' }],
];

describe('planRequest picks the exact tool and arguments', () => {
  it.each(ENGLISH)('%s', (request, tool, args) => {
    expect(onlyCall(planRequest(request))).toEqual({ tool, args });
  });

  it.each(CHINESE)('%s', (request, tool, args) => {
    expect(onlyCall(planRequest(request))).toEqual({ tool, args });
  });
});

describe('planRequest asks when a required detail is missing', () => {
  it('asks for the version and environment of a bare deploy', () => {
    const q = question(planRequest('deploy llama-3-8b'));
    expect(q).toMatch(/version/);
    expect(q).toMatch(/environment/);
    expect(q).not.toMatch(/which model/);
  });

  it('asks for the model, version and environment of 部署 with nothing else, in Chinese', () => {
    const q = question(planRequest('部署'));
    expect(q).toMatch(/哪个模型/);
    expect(q).toMatch(/哪个版本/);
    expect(q).toMatch(/哪个环境/);
  });

  it('asks how many replicas when scaling without a count', () => {
    const q = question(planRequest('scale mistral-7b'));
    expect(q).toMatch(/how many replicas/i);
    expect(q).toContain('mistral-7b');
  });

  it('asks for the total instead of scaling to a relative count ("two more replicas")', () => {
    expect(question(planRequest('add two more replicas to mixtral-8x7b in staging'))).toMatch(/how many replicas/i);
    expect(question(planRequest('mistral-7b 再加 2 个副本'))).toBe('要把 mistral-7b 扩缩到几个副本？');
  });

  it('asks which job to cancel when nothing names one', () => {
    expect(question(planRequest('cancel'))).toMatch(/which job/i);
  });

  it('cancels without a number when the request names the job by what it does (the tool picks the running one)', () => {
    expect(onlyCall(planRequest('cancel the quantization job'))).toEqual({ tool: 'cancel_job', args: {} });
  });

  it('asks which deployment to roll back when none is named', () => {
    expect(question(planRequest('rollback in prod'))).toMatch(/which deployment/i);
  });

  it('answers a request it cannot map with examples of what it can do', () => {
    const q = question(planRequest('tell me a joke about cats'));
    expect(q).toMatch(/could not tell/i);
    expect(q).toContain(HELP_TEXT);
    expect(q).toContain('status of mistral-7b');
  });

  it.each(['help', 'Help', 'what can you do?'])('answers %j with the help text', (request) => {
    expect(question(planRequest(request))).toBe(HELP_TEXT);
  });

  it.each(['帮助', '你能做什么？'])('answers %j with the Chinese help text', (request) => {
    expect(question(planRequest(request))).toBe(HELP_TEXT_ZH);
  });
});

describe('known deployments', () => {
  it('recognises a name without a size only when the fleet knows it', () => {
    expect(planRequest('status of chat-prod', ['chat-prod'])).toEqual({
      kind: 'calls',
      calls: [{ tool: 'get_deployment_status', args: { deployment: 'chat-prod' } }],
    });
    expect(onlyCall(planRequest('status of chat-prod')).args).not.toHaveProperty('deployment');
  });

  it('uses a known name in any tool, and the environment the person named rather than the one in the name', () => {
    expect(onlyCall(planRequest('p95 ttft of chat-prod in the last 2h', ['chat-prod']))).toEqual({
      tool: 'query_metrics',
      args: { deployment: 'chat-prod', metric: 'ttft', quantile: 0.95, range: 'last 2h' },
    });
    expect(onlyCall(planRequest('rollback chat-prod in staging', ['chat-prod']))).toEqual({
      tool: 'rollback_deployment',
      args: { deployment: 'chat-prod', environment: 'staging' },
    });
    expect(onlyCall(planRequest('support-bot 的状态', ['support-bot']))).toEqual({
      tool: 'get_deployment_status',
      args: { deployment: 'support-bot' },
    });
  });
});

describe('determinism', () => {
  it.each([
    'p99 ttft for llama-3-8b in the last 2h',
    'deploy llama-3-70b v1.2 to prod with 4 replicas on 8 H100s in fp8',
    '预测下周 llama-3-8b 的请求量',
    'tell me a joke about cats',
  ])('plans %j the same way every time', (request) => {
    const once = planRequest(request);
    expect(planRequest(request)).toEqual(once);
    expect(planRequest(request, [])).toEqual(once);
  });
});

describe('OfflinePlannerChatModel', () => {
  it('turns a request into the planned tool call', async () => {
    const model = new OfflinePlannerChatModel({ knownDeployments: () => ['chat-prod'] });
    const reply = await model.invoke([new HumanMessage('scale chat-prod to 5 replicas')]);
    expect(reply.tool_calls).toHaveLength(1);
    expect(reply.tool_calls?.[0]).toMatchObject({ name: 'scale_deployment', args: { deployment: 'chat-prod', replicas: 5 } });
  });

  it('replies with the clarifying question instead of calling a tool', async () => {
    const reply = await new OfflinePlannerChatModel().invoke([new HumanMessage('scale mistral-7b')]);
    expect(reply).toBeInstanceOf(AIMessage);
    expect(reply.tool_calls ?? []).toHaveLength(0);
    expect(reply.content).toMatch(/how many replicas/i);
  });
});
