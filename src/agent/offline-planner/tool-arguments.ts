import type { Entities } from './entities.ts';
import { CUES } from './intent-cues.ts';

export interface PlannedCall {
  tool: string;
  args: Record<string, unknown>;
}

/** Either the calls to make, or a question back when a required detail is missing (`zh`: the question in Chinese). */
export type Plan = { kind: 'calls'; calls: PlannedCall[] } | { kind: 'clarify'; question: string; zh?: string };

export const calls = (tool: string, args: Record<string, unknown>): Plan => ({
  kind: 'calls',
  calls: [{ tool, args: compact(args) }],
});
export const clarify = (question: string, zh?: string): Plan =>
  zh === undefined ? { kind: 'clarify', question } : { kind: 'clarify', question, zh };

function compact(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
}

const first = (e: Entities) => e.deployments[0];
const needDeployment = (e: Entities, ask: string, askZh: string, build: (name: string) => Plan): Plan => {
  const name = first(e);
  return name ? build(name) : clarify(ask, askZh);
};

const LATENCY_METRICS = ['ttft', 'tpot', 'e2e_latency', 'queue_time'];
const QUANTISATION_METHODS = ['awq', 'gptq', 'fp8', 'int8'] as const;

/** The quantisation job method a precision or method name asks for: 4-bit weights are AWQ's. */
function methodOf(dtype: Entities['dtype']): (typeof QUANTISATION_METHODS)[number] | undefined {
  if (dtype === 'int4') return 'awq';
  return QUANTISATION_METHODS.find((method) => method === dtype);
}

/**
 * The quantisation jobs a request asks for: one per method named ("compare awq vs gptq"),
 * a precision standing for its method (int4 → awq) unless a 4-bit method is named with it.
 */
function quantisationMethods(e: Entities): Array<(typeof QUANTISATION_METHODS)[number]> {
  const named = e.dtypes ?? (e.dtype ? [e.dtype] : []);
  const explicitFourBit = named.some((d) => d === 'awq' || d === 'gptq');
  const methods = named.filter((d) => !(d === 'int4' && explicitFourBit)).map(methodOf);
  const chosen = [...new Set(methods.filter((m) => m !== undefined))];
  return chosen.length > 0 ? chosen : ['awq'];
}

/** The audited action a question is about: a change by its tool, or a step of the approval flow. */
function auditActionOf(text: string): string | undefined {
  if (/\bdeploy(ed|s)?\b|\bshipped\b|\breleased\b|部署|发布|上线/.test(text)) return 'deploy_model';
  if (/\brolled\s*back\b|\brollbacks?\b|\breverted\b|回滚|回退/.test(text)) return 'rollback_deployment';
  if (/\bscaled\b|\bscal(e|ing)s?\b|扩容|缩容/.test(text)) return 'scale_deployment';
  if (/\breject(ed|ions?)?\b|拒绝|驳回/.test(text)) return 'rejected';
  if (/\bcancell?ed\b|取消/.test(text)) return 'cancelled';
  if (/\bfail(ed|ures?)\b|失败/.test(text)) return 'failed';
  if (/\bpropos(ed|als?)\b|提议|申请/.test(text) && !/\bapprov/.test(text)) return 'proposed';
  if (/\bapprov(ed|als?)\b|批准|审批/.test(text) && !/\bwho\b|谁/.test(text)) return 'approved';
  return undefined;
}

/** Teacher and student of a distillation: a name called the student is one, whatever the order. */
function distillRoles(e: Entities, text: string): { teacher?: string | undefined; student?: string | undefined } {
  const [a, b] = e.deployments;
  if (!a || !b) return { teacher: a };
  const quote = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const isStudent = (name: string) =>
    new RegExp(
      `${quote(name)}\\s*(?:as\\s+(?:the\\s+|a\\s+)?)?student|student\\s*(?:model\\s*)?(?:=|:|is|,)?\\s*${quote(name)}|(?:学生模型?|学生)\\s*(?:是|为|用)?\\s*${quote(name)}|${quote(name)}\\s*(?:作为|当|做)\\s*学生`,
    ).test(text);
  const isTeacher = (name: string) =>
    new RegExp(
      `${quote(name)}\\s*(?:as\\s+(?:the\\s+|a\\s+)?)?teacher|teacher\\s*(?:model\\s*)?(?:=|:|is|,)?\\s*${quote(name)}|(?:教师模型?|老师)\\s*(?:是|为|用)?\\s*${quote(name)}`,
    ).test(text);
  if (isStudent(a) || isTeacher(b)) return { teacher: b, student: a };
  return { teacher: a, student: b };
}

function symptomOf(text: string, e: Entities): string | undefined {
  if (/\b5xx\b|\b50\d\b|\berrors?\b|报错|错误|失败/.test(text)) return /\b5xx\b/.test(text) ? '5xx errors' : 'errors';
  if (/\boom\b|out of memory|内存不足/.test(text)) return 'out of memory';
  if (/\bslow|latency|延迟|慢/.test(text)) return 'high latency';
  if (/\bdown\b|crash|unavailable|宕机|挂了/.test(text)) return 'unavailable';
  return e.metric;
}

type Builder = (e: Entities, text: string) => Plan;

/** How each tool's arguments are read out of the entities, and what to ask when a required one is missing. */
const BUILDERS: Record<string, Builder> = {
  cancel_job: (e, t) => {
    // Without a number the tool stops the running job of this thread or deployment; "cancel" alone names none.
    if (e.jobId === undefined && !first(e) && !CUES.jobNoun.test(t) && !CUES.optimisationNoun.test(t))
      return clarify(
        'Which job should I cancel? Give its number, e.g. "cancel job 12", or say "stop the tuning job".',
        '要取消哪个任务？请给出编号，例如“取消任务 12”，或者说“停止调优任务”。',
      );
    return calls('cancel_job', { job_id: e.jobId, deployment: e.jobId === undefined ? first(e) : undefined });
  },
  get_job_status: (e) => calls('get_job_status', { job_id: e.jobId, deployment: e.jobId === undefined ? first(e) : undefined }),
  list_audit: (e, t) =>
    calls('list_audit', {
      range: e.range ?? (/\byesterday\b|昨天/.test(t) ? 'yesterday' : undefined),
      user: e.user,
      deployment: first(e),
      action: auditActionOf(t),
    }),
  rollback_deployment: (e) =>
    needDeployment(
      e,
      'Which deployment should I roll back, e.g. "rollback qwen2-7b in prod"?',
      '要回滚哪个部署？例如“回滚生产环境的 qwen2-7b”。',
      (deployment) => calls('rollback_deployment', { deployment, environment: e.environment, to_version: e.version }),
    ),
  forecast_metrics: (e, t) =>
    needDeployment(
      e,
      'Which deployment should I forecast, e.g. "forecast requests per second for qwen2-7b for the next 3 days"?',
      '要预测哪个部署？例如“预测 qwen2-7b 未来 3 天的每秒请求数”。',
      (deployment) =>
        calls('forecast_metrics', {
          deployment,
          metric: e.metric && e.metric !== 'e2e_latency' ? e.metric : undefined,
          horizon: e.horizon,
          capacity:
            /replica|gpu|capacity|headroom|how many|need|enough|provision|副本|显卡|容量|扩容|多少|加卡|够不够|几张卡/.test(t)
              ? true
              : undefined,
        }),
    ),
  scale_deployment: (e) => {
    const deployment = first(e);
    if (!deployment)
      return clarify(
        'Which deployment should I scale, and to how many replicas? e.g. "scale llama-3-70b to 6 replicas".',
        '要扩缩容哪个部署、扩到几个副本？例如“把 llama-3-70b 扩到 6 个副本”。',
      );
    if (e.replicas === undefined)
      return clarify(`To how many replicas should I scale ${deployment}?`, `要把 ${deployment} 扩缩到几个副本？`);
    return calls('scale_deployment', { deployment, environment: e.environment, replicas: e.replicas });
  },
  deploy_model: (e) => {
    const model = first(e);
    const missing = [
      model ? undefined : ['which model', '哪个模型'],
      e.version ? undefined : ['which version', '哪个版本'],
      e.environment ? undefined : ['which environment (prod, staging or dev)', '哪个环境（prod、staging 或 dev）'],
    ].filter((m) => m !== undefined);
    if (missing.length > 0)
      return clarify(
        `To deploy I need ${missing.map((m) => m[0]).join(', ')}: e.g. "deploy llama-3-8b v2 to staging on 1 A100".`,
        `部署还需要知道${missing.map((m) => m[1]).join('、')}：例如“把 llama-3-8b v2 部署到 staging，用 1 张 A100”。`,
      );
    return calls('deploy_model', {
      model,
      version: e.version,
      environment: e.environment,
      replicas: e.replicas,
      gpu_type: e.gpuType,
      gpu_count: e.gpuCount,
      quantization: e.dtype,
      max_num_seqs: e.maxNumSeqs,
      max_num_batched_tokens: e.maxNumBatchedTokens,
    });
  },
  start_optimization: (e, t) => {
    const kind =
      /\bdistil|蒸馏|\bstudent\b/.test(t) && !/\bquanti[sz]|量化/.test(t)
        ? 'distill'
        : /\bquanti[sz]|量化|\bcompress/.test(t) ||
            (e.dtype !== undefined && methodOf(e.dtype) !== undefined && !/\btun(e|ing)|调优|调参/.test(t))
          ? 'quantize'
          : 'tune';
    const roles = kind === 'distill' ? distillRoles(e, t) : { teacher: first(e), student: undefined };
    const deployment = roles.teacher;
    if (!deployment)
      return clarify(
        `Which deployment should I ${kind}?`,
        `要${{ tune: '调优', quantize: '量化', distill: '蒸馏' }[kind]}哪个部署？`,
      );
    const base = {
      kind,
      deployment,
      student: roles.student,
      slo_p95_ttft_ms: kind === 'tune' ? e.sloTtftMs : undefined,
      slo_p95_tpot_ms: kind === 'tune' ? e.sloTpotMs : undefined,
      // prod is passed on, so the tool says why trials never run there.
      environment: e.environment,
      trials: kind === 'tune' ? e.trials : undefined,
      objective:
        kind === 'tune'
          ? /\bcost|cheap|\$|成本|便宜|省钱/.test(t)
            ? 'cost'
            : /\blatency|faster|\bttft\b|延迟/.test(t) && !/throughput|吞吐/.test(t)
              ? 'latency'
              : 'throughput'
          : undefined,
      optimizer:
        kind === 'tune'
          ? /\bgenetic|\bga\b|遗传/.test(t)
            ? 'genetic'
            : /\brandom\b|随机/.test(t)
              ? 'random'
              : /\bbayes|贝叶斯/.test(t)
                ? 'bayesian'
                : undefined
          : undefined,
    };
    if (kind !== 'quantize') return calls('start_optimization', base);
    return {
      kind: 'calls',
      calls: quantisationMethods(e).map((method) => ({ tool: 'start_optimization', args: compact({ ...base, method }) })),
    };
  },
  estimate_resources: (e, t) => {
    const model = first(e);
    if (!model)
      return clarify(
        'Which model should I size? Give a name such as "llama-3-70b" or a size such as "13b".',
        '要估算哪个模型？请给出名字（如“llama-3-70b”）或参数规模（如“13b”）。',
      );
    const gpuCount = e.gpuCount ?? (/\bsingle\b|\bone\b|单卡|一张/.test(t) && e.gpuType ? 1 : undefined);
    const args = {
      model,
      context_length: e.contextLength,
      concurrency: e.concurrency,
      gpu_type: e.gpuType,
      gpu_count: gpuCount,
    };
    // "int8 vs int4 for llama-3-70b": one estimate per precision, side by side.
    const dtypes = e.dtypes ?? [];
    if (dtypes.length > 1)
      return { kind: 'calls', calls: dtypes.map((dtype) => ({ tool: 'estimate_resources', args: compact({ ...args, dtype }) })) };
    return calls('estimate_resources', { ...args, dtype: e.dtype });
  },
  explain_incident: (e, t) => {
    // "Is anything broken right now?" names no deployment: the fleet's health answers it.
    if (
      !first(e) &&
      /\b(anything|anywhere|any (deployments?|models?|services?)|everything|fleet|all deployments)\b|有没有什么|哪里|整体|所有/.test(
        t,
      )
    )
      return calls('get_deployment_status', { environment: e.environment });
    return needDeployment(
      e,
      'Which deployment should I investigate, e.g. "why is mistral-7b slow since 14:00?"',
      '要排查哪个部署？例如“mistral-7b 从 14:00 开始为什么变慢？”',
      (deployment) => calls('explain_incident', { deployment, range: e.range, symptom: symptomOf(t, e) }),
    );
  },
  detect_anomalies: (e) => calls('detect_anomalies', { deployment: first(e), metric: e.metric, range: e.range }),
  probe_endpoint: (e) => {
    if (!first(e) && !e.url)
      return clarify(
        'Which deployment should I probe, e.g. "probe qwen2-7b with 10 requests"?',
        '要探测哪个部署？例如“用 10 个请求探测 qwen2-7b”。',
      );
    return calls('probe_endpoint', {
      deployment: e.url ? undefined : first(e),
      url: e.url,
      model: e.url ? (e.servedModel ?? first(e)) : undefined,
      requests: e.requests,
      concurrency: e.concurrency,
      rate_per_second: e.ratePerSecond,
      duration_s: e.durationSeconds,
      prompt_tokens: e.promptTokens,
      max_tokens: e.maxTokens,
    });
  },
  analyze_logs: (e) =>
    needDeployment(
      e,
      'Whose logs should I analyse, e.g. "most common log messages for mistral-7b in the last hour"?',
      '要分析哪个部署的日志？例如“mistral-7b 最近一小时最常见的日志”。',
      (deployment) => calls('analyze_logs', { deployment, range: e.range }),
    ),
  search_logs: (e) =>
    calls('search_logs', {
      deployment: first(e),
      query: e.quoted,
      level: e.quoted ? undefined : e.logLevel,
      range: e.range,
      limit: e.limit,
    }),
  get_deployment_status: (e) => calls('get_deployment_status', { deployment: first(e), environment: e.environment }),
  query_metrics: (e) =>
    e.promql
      ? calls('query_metrics', { promql: e.promql, range: e.range })
      : calls('query_metrics', {
          deployment: first(e),
          metric: e.metric,
          quantile: e.quantile ?? (e.metric && LATENCY_METRICS.includes(e.metric) ? 0.95 : undefined),
          range: e.range,
        }),
};

/** The tools the planner can call, in the catalogue's order of reads before writes. */
export const PLANNABLE_TOOLS = Object.keys(BUILDERS);

/** Tools that change the fleet or spend GPUs: a question never starts one. */
export const WRITE_TOOLS = new Set([
  'deploy_model',
  'rollback_deployment',
  'scale_deployment',
  'start_optimization',
  'cancel_job',
]);

/** Reads where naming several deployments (or models) asks for each of them, side by side. */
const PER_DEPLOYMENT = new Set([
  'query_metrics',
  'get_deployment_status',
  'probe_endpoint',
  'detect_anomalies',
  'forecast_metrics',
  'estimate_resources',
]);
/** More names than this in one request is a list to narrow, not a comparison to run. */
const MOST_COMPARED = 6;

/**
 * The plan for one tool: its call with the arguments read from the request, or what to ask
 * for. "p95 ttft of mistral-7b and llama-3-8b" is one call per deployment, so that the answer
 * has the numbers of each.
 */
export function buildPlan(tool: string, entities: Entities, text: string): Plan {
  const builder = BUILDERS[tool];
  if (!builder) throw new Error(`No argument builder for tool ${tool}`);
  const names = entities.deployments.slice(0, MOST_COMPARED);
  if (!PER_DEPLOYMENT.has(tool) || names.length < 2 || entities.promql || entities.url) return builder(entities, text);
  const plans = names.map((name) => builder({ ...entities, deployments: [name] }, text));
  const question = plans.find((plan) => plan.kind === 'clarify');
  if (question) return question;
  return { kind: 'calls', calls: plans.flatMap((plan) => (plan.kind === 'calls' ? plan.calls : [])) };
}
