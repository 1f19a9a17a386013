import { HELP_TEXT } from '../../conversation/examples.ts';
import { type Entities, extractEntities } from './entities.ts';

export interface PlannedCall {
  tool: string;
  args: Record<string, unknown>;
}

/** Either the calls to make, or a question back when a required detail is missing. */
export type Plan = { kind: 'calls'; calls: PlannedCall[] } | { kind: 'clarify'; question: string };

interface Rule {
  tool: string;
  matches: (text: string, e: Entities) => boolean;
  build: (e: Entities, text: string) => Plan;
}

const calls = (tool: string, args: Record<string, unknown>): Plan => ({ kind: 'calls', calls: [{ tool, args: compact(args) }] });
const clarify = (question: string): Plan => ({ kind: 'clarify', question });

function compact(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
}

const first = (e: Entities) => e.deployments[0];
const needDeployment = (e: Entities, ask: string, build: (name: string) => Plan): Plan => {
  const name = first(e);
  return name ? build(name) : clarify(ask);
};

const FUTURE =
  /\bforecast|\bpredict|\bprojection|\bnext (week|month|\d+|few|couple)|\bcoming (week|days)|\btomorrow\b|capacity plan|预测|下周|下个月|未来|明天|接下来/;
const DEPLOY_VERB =
  /\b(deploy|redeploy|roll\s?out|ship|release|promote)\b(?!ed|ment)|部署(?!的|状态|情况|了(什么|哪些))|发布|上线/;
const LOGS = /\blogs?\b|\blog lines\b|\bgrep\b|日志/;

/**
 * Ordered rules: the first that matches decides the tool. Order encodes precedence:
 * "who deployed" is audit, not a deploy; "replicas next week" is a forecast, not a scale;
 * "why … errors" is an explanation, not a metric query.
 */
const RULES: Rule[] = [
  {
    tool: 'cancel_job',
    matches: (t) => /\b(cancel|abort|kill|stop)\b.*\bjob\b|取消.*任务|停止.*任务/.test(t),
    build: (e) =>
      e.jobId !== undefined
        ? calls('cancel_job', { job_id: e.jobId })
        : clarify('Which job should I cancel? Give its number, e.g. "cancel job 12".'),
  },
  {
    tool: 'list_audit',
    matches: (t) =>
      /\baudit\b|\bwho (deployed|approved|rolled|scaled|changed|did|ran|started|cancel)|\bwhat changed\b|审计|谁(部署|批准|回滚|扩容|改|操作)|操作记录|变更记录/.test(
        t,
      ),
    build: (e, t) =>
      calls('list_audit', {
        range: e.range ?? (/\byesterday\b|昨天/.test(t) ? 'yesterday' : undefined),
        deployment: first(e),
        action: /deployed|部署/.test(t)
          ? 'deploy_model'
          : /rolled|回滚/.test(t)
            ? 'rollback_deployment'
            : /scaled|扩容|缩容/.test(t)
              ? 'scale_deployment'
              : undefined,
      }),
  },
  {
    tool: 'get_job_status',
    matches: (t, e) => e.jobId !== undefined && /\bjobs?\b|任务/.test(t),
    build: (e) => calls('get_job_status', { job_id: e.jobId }),
  },
  {
    tool: 'rollback_deployment',
    matches: (t) => /\broll\s?back\b|\brollback\b|\brevert\b|\bundo the deploy|回滚|回退/.test(t),
    build: (e) =>
      needDeployment(e, 'Which deployment should I roll back, e.g. "rollback qwen2-7b in prod"?', (deployment) =>
        calls('rollback_deployment', { deployment, environment: e.environment, to_version: e.version }),
      ),
  },
  {
    tool: 'forecast_metrics',
    matches: (t) => FUTURE.test(t),
    build: (e, t) =>
      needDeployment(
        e,
        'Which deployment should I forecast, e.g. "forecast requests per second for qwen2-7b for the next 3 days"?',
        (deployment) =>
          calls('forecast_metrics', {
            deployment,
            metric: e.metric && !['e2e_latency'].includes(e.metric) ? e.metric : undefined,
            horizon: e.horizon,
            capacity: /replica|gpu|capacity|how many|need|副本|显卡|容量|扩容|多少/.test(t) ? true : undefined,
          }),
      ),
  },
  {
    tool: 'scale_deployment',
    // "deploy … with 3 replicas" is a deploy; replicas alone only mean scaling without a deploy verb.
    matches: (t) =>
      (/\bscale\b|\bscaling\b|扩容|缩容/.test(t) || (/\breplicas?\b|副本/.test(t) && !DEPLOY_VERB.test(t))) &&
      !/\bhow many\b|多少/.test(t),
    build: (e) => {
      const deployment = first(e);
      if (!deployment)
        return clarify('Which deployment should I scale, and to how many replicas? e.g. "scale llama-3-70b to 6 replicas".');
      if (e.replicas === undefined) return clarify(`To how many replicas should I scale ${deployment}?`);
      return calls('scale_deployment', { deployment, environment: e.environment, replicas: e.replicas });
    },
  },
  {
    tool: 'deploy_model',
    matches: (t) => DEPLOY_VERB.test(t) && !/\bwhat('s| is)\b.*\bdeploy/.test(t),
    build: (e) => {
      const model = first(e);
      const missing = [
        model ? undefined : 'which model',
        e.version ? undefined : 'which version',
        e.environment ? undefined : 'which environment (prod, staging or dev)',
      ].filter(Boolean);
      if (missing.length > 0)
        return clarify(`To deploy I need ${missing.join(', ')}: e.g. "deploy llama-3-8b v2 to staging on 1 A100".`);
      return calls('deploy_model', {
        model,
        version: e.version,
        environment: e.environment,
        replicas: e.replicas,
        gpu_type: e.gpuType,
        gpu_count: e.gpuCount,
        quantization: e.dtype,
      });
    },
  },
  {
    tool: 'start_optimization',
    matches: (t) =>
      /\bquanti[sz]/.test(t) || /\bdistil/.test(t) || /\btun(e|ing)\b|\boptimi[sz]e\b|量化|蒸馏|调优|调参|优化/.test(t),
    build: (e, t) => {
      const kind = /\bquanti[sz]|量化/.test(t) ? 'quantize' : /\bdistil|蒸馏/.test(t) ? 'distill' : 'tune';
      const deployment = first(e);
      if (!deployment) return clarify(`Which deployment should I ${kind}?`);
      const method =
        e.dtype === 'int4' ? 'awq' : e.dtype && ['awq', 'gptq', 'fp8', 'int8'].includes(e.dtype) ? e.dtype : undefined;
      return calls('start_optimization', {
        kind,
        deployment,
        method: kind === 'quantize' ? (method ?? 'awq') : undefined,
        student: kind === 'distill' ? e.deployments[1] : undefined,
        objective:
          kind === 'tune'
            ? /\bcost|cheap|\$|成本|便宜/.test(t)
              ? 'cost'
              : /\blatency|faster|延迟/.test(t) && !/throughput|吞吐/.test(t)
                ? 'latency'
                : 'throughput'
            : undefined,
        slo_p95_ttft_ms: e.sloTtftMs,
        slo_p95_tpot_ms: e.sloTpotMs,
        environment: e.environment,
        trials: kind === 'tune' ? e.trials : undefined,
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
      });
    },
  },
  {
    tool: 'estimate_resources',
    matches: (t) =>
      /\bhow much (gpu |gpu-)?(memory|vram|ram)|\bvram\b|\bgpu memory\b|\bhow many gpus\b|\b(fit|fits|run|serve|host)\b.*\bon\b|\bsize\b.*\b(gpu|memory)|\bsizing\b|\bestimate\b|显存|需要多少|几张卡|多少卡|能不能跑|放得下/.test(
        t,
      ),
    build: (e, t) => {
      const model = first(e);
      if (!model) return clarify('Which model should I size? Give a name such as "llama-3-70b" or a size such as "13b".');
      const gpuCount = e.gpuCount ?? (/\bsingle\b|\bone\b|单卡|一张/.test(t) && e.gpuType ? 1 : undefined);
      return calls('estimate_resources', {
        model,
        dtype: e.dtype,
        context_length: e.contextLength,
        concurrency: e.concurrency,
        gpu_type: e.gpuType,
        gpu_count: gpuCount,
      });
    },
  },
  {
    tool: 'explain_incident',
    matches: (t) =>
      /\bwhy\b|root[\s-]?cause|\brca\b|what happened|\bexplain\b|\bdiagnos|\binvestigat|\bwhat'?s wrong|为什么|原因|根因|怎么回事|排查/.test(
        t,
      ),
    build: (e, t) =>
      needDeployment(e, 'Which deployment should I investigate, e.g. "why is mistral-7b slow since 14:00?"', (deployment) =>
        calls('explain_incident', { deployment, range: e.range, symptom: symptomOf(t, e) }),
      ),
  },
  {
    tool: 'detect_anomalies',
    matches: (t) => /anomal|unusual|abnormal|outlier|\bodd\b|\bweird\b|strange|异常|不正常/.test(t) && !LOGS.test(t),
    build: (e) => calls('detect_anomalies', { deployment: first(e), metric: e.metric, range: e.range }),
  },
  {
    tool: 'probe_endpoint',
    matches: (t) => /\bprobe\b|\bbenchmark\b|load[\s-]?test|smoke[\s-]?test|\bping\b|压测|探测|测速|拨测/.test(t),
    build: (e) =>
      needDeployment(e, 'Which deployment should I probe, e.g. "probe qwen2-7b with 10 requests"?', (deployment) =>
        calls('probe_endpoint', { deployment, requests: e.requests, concurrency: e.concurrency }),
      ),
  },
  {
    tool: 'analyze_logs',
    matches: (t) =>
      LOGS.test(t) &&
      /\b(common|top|frequent|most|patterns?|templates?|summar|analy[sz]|new|spik)|分析|模式|最多|常见|汇总/.test(t),
    build: (e) =>
      needDeployment(
        e,
        'Whose logs should I analyse, e.g. "most common log messages for mistral-7b in the last hour"?',
        (deployment) => calls('analyze_logs', { deployment, range: e.range }),
      ),
  },
  {
    tool: 'search_logs',
    matches: (t) => LOGS.test(t) || /\bsearch\b|\bgrep\b|搜索|查找/.test(t),
    build: (e) =>
      calls('search_logs', {
        deployment: first(e),
        query: e.quoted,
        level: e.quoted ? undefined : e.logLevel,
        range: e.range,
      }),
  },
  {
    tool: 'get_deployment_status',
    matches: (t) =>
      /\bstatus\b|\bhealth(y)?\b|\bwhat('s| is| are)? (running|deployed|serving)\b|\bdeployments\b|\bversions?\b|\bup\b\??$|\bis .* (up|down)\b|\blist\b|\bfleet\b|状态|健康|运行|版本|部署了/.test(
        t,
      ) && !/\brunning requests\b/.test(t),
    build: (e) => calls('get_deployment_status', { deployment: first(e), environment: e.environment }),
  },
  {
    tool: 'query_metrics',
    matches: (t, e) => e.metric !== undefined || /\bmetrics?\b|\bchart\b|\bgraph\b|\bplot\b|\bshow\b|指标|图表/.test(t),
    build: (e) =>
      calls('query_metrics', {
        deployment: first(e),
        metric: e.metric,
        quantile: e.quantile ?? (e.metric && ['ttft', 'tpot', 'e2e_latency', 'queue_time'].includes(e.metric) ? 0.95 : undefined),
        range: e.range,
      }),
  },
];

function symptomOf(text: string, e: Entities): string | undefined {
  if (/\b5xx\b|\b50\d\b|\berrors?\b|报错|错误|失败/.test(text)) return /\b5xx\b/.test(text) ? '5xx errors' : 'errors';
  if (/\boom\b|out of memory|内存不足/.test(text)) return 'out of memory';
  if (/\bslow|latency|延迟|慢/.test(text)) return 'high latency';
  if (/\bdown\b|crash|unavailable|宕机|挂了/.test(text)) return 'unavailable';
  return e.metric;
}

/** Maps one request to tool calls with arguments, deterministically. */
export function planRequest(request: string, knownDeployments: readonly string[] = [], previousRequest?: string): Plan {
  const entities = extractEntities(request, knownDeployments);
  const text = request.normalize('NFKC').toLowerCase();
  if (/^\s*(help|\?|what can you do\??|帮助|你能做什么\??)\s*$/.test(text)) return clarify(HELP_TEXT);
  const rule = RULES.find((candidate) => candidate.matches(text, entities));
  if (rule) return rule.build(entities, text);
  // A follow-up such as "and for qwen2-72b?" repeats the thread's previous request with what changed.
  if (previousRequest) {
    const previousText = previousRequest.normalize('NFKC').toLowerCase();
    const previous = extractEntities(previousRequest, knownDeployments);
    const previousRule = RULES.find((candidate) => candidate.matches(previousText, previous));
    if (previousRule) return previousRule.build(mergeEntities(previous, entities), previousText);
  }
  if (entities.deployments.length > 0) return calls('get_deployment_status', { deployment: first(entities) });
  return clarify(`I could not tell what you want me to do.\n${HELP_TEXT}`);
}

function mergeEntities(previous: Entities, current: Entities): Entities {
  const defined = Object.fromEntries(Object.entries(current).filter(([, value]) => value !== undefined));
  return { ...previous, ...defined, deployments: current.deployments.length > 0 ? current.deployments : previous.deployments };
}
