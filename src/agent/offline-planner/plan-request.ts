import { HELP_TEXT, HELP_TEXT_ZH } from '../../conversation/examples.ts';
import { type Entities, extractEntities } from './entities.ts';
import { followUpOf } from './follow-up.ts';
import { classify, type IntentModel, type IntentScore, NO_TOOL, shippedIntentModel } from './intent-classifier.ts';
import { CUES, hasDomainCue } from './intent-cues.ts';
import { featuresOf } from './intent-features.ts';
import { isAdvisoryQuestion, unsupportedAction } from './request-form.ts';
import { correctSpelling } from './spelling.ts';
import { structuralIntent } from './structural-intent.ts';
import { buildPlan, clarify, type Plan, WRITE_TOOLS } from './tool-arguments.ts';
import { type RawPromql, unknownMetricPhrase, unknownMetricReply } from './unknown-metric.ts';
import { isChinese } from './zh-words.ts';

export type { Plan, PlannedCall } from './tool-arguments.ts';

/** Below this probability the planner asks which of the two likeliest intents was meant. */
export const CONFIDENCE_FLOOR = 0.2;

/** What a person asks each tool for, in the words of a clarifying question. */
const INTENT_WORDS: Record<string, string> = {
  query_metrics: 'show a metric (e.g. "p95 ttft of mistral-7b in the last hour")',
  detect_anomalies: 'look for anomalies (e.g. "anything unusual in qwen2-7b today?")',
  forecast_metrics: 'forecast load or capacity (e.g. "forecast requests for qwen2-7b next week")',
  explain_incident: 'find the cause of a problem (e.g. "why is mistral-7b slow?")',
  search_logs: 'search the logs (e.g. "search mistral-7b logs for timeout")',
  analyze_logs: 'summarise the logs (e.g. "top log patterns for qwen2-7b")',
  deploy_model: 'deploy a version (e.g. "deploy qwen2-7b v3 to staging")',
  rollback_deployment: 'roll back (e.g. "roll back mistral-7b in prod")',
  scale_deployment: 'scale (e.g. "scale llama-3-70b to 6 replicas")',
  estimate_resources: 'estimate GPU memory (e.g. "how much memory does llama-3-70b need in fp8?")',
  probe_endpoint: 'probe an endpoint (e.g. "probe qwen2-7b with 20 requests")',
  start_optimization: 'start a tuning or quantisation job (e.g. "quantize mistral-7b with awq")',
  get_job_status: 'show a job (e.g. "status of job 4")',
  cancel_job: 'cancel a job (e.g. "cancel job 4")',
  list_audit: 'show the audit trail (e.g. "who deployed what yesterday?")',
  get_deployment_status: 'show deployments (e.g. "status of mistral-7b")',
};

/** The same, for a person who writes in Chinese. */
const INTENT_WORDS_ZH: Record<string, string> = {
  query_metrics: '查看指标（例如“mistral-7b 最近一小时的 p95 TTFT”）',
  detect_anomalies: '检测异常（例如“qwen2-7b 今天有异常吗？”）',
  forecast_metrics: '预测负载或容量（例如“预测 qwen2-7b 下周的请求量”）',
  explain_incident: '排查问题原因（例如“mistral-7b 为什么变慢？”）',
  search_logs: '搜索日志（例如“搜索 mistral-7b 日志里的 timeout”）',
  analyze_logs: '汇总日志（例如“qwen2-7b 最常见的日志模式”）',
  deploy_model: '部署一个版本（例如“把 qwen2-7b v3 部署到 staging”）',
  rollback_deployment: '回滚（例如“回滚生产环境的 mistral-7b”）',
  scale_deployment: '扩缩容（例如“把 llama-3-70b 扩到 6 个副本”）',
  estimate_resources: '估算显存（例如“llama-3-70b 用 fp8 需要多少显存？”）',
  probe_endpoint: '探测接口（例如“用 20 个请求探测 qwen2-7b”）',
  start_optimization: '启动调优或量化任务（例如“用 awq 量化 mistral-7b”）',
  get_job_status: '查看任务（例如“任务 4 的状态”）',
  cancel_job: '取消任务（例如“取消任务 4”）',
  list_audit: '查看审计记录（例如“昨天谁部署了什么？”）',
  get_deployment_status: '查看部署（例如“mistral-7b 的状态”）',
};

/** Unsupported actions in Chinese, by the English words `unsupportedAction` names them with. */
const ACTION_ZH: Record<string, string> = {
  restart: '重启',
  delete: '删除',
  'open a shell on': '登录',
  'drain or cordon the nodes of': '驱逐或封锁节点：',
  'upgrade software on': '升级软件：',
  'shut down': '关闭',
};

/** Tools that read a curated metric: a metric they do not have is said, not replaced by another. */
const METRIC_TOOLS = new Set(['query_metrics', 'forecast_metrics', 'detect_anomalies']);
/** Reads the classifier may lean to for a metric it has no word for ("success rate for qwen2-7b"). */
const LEANED_READS = new Set([
  'probe_endpoint',
  'get_deployment_status',
  'estimate_resources',
  'explain_incident',
  'search_logs',
  'analyze_logs',
]);

/** What the planner is told about where it runs. */
export interface PlanOptions {
  /** Whether raw PromQL can run (a Prometheus server is configured); unknown when not given. */
  rawPromql?: RawPromql;
}

interface Decision {
  tool?: string | undefined;
  ranked: IntentScore[];
  /** Whether structure decided the tool (not the classifier's lean). */
  structural?: boolean;
}

/** Whether the request mentions anything of the serving domain: a name, a metric, a job, an environment, a domain word. */
function hasDomainSignal(text: string, e: Entities): boolean {
  return (
    e.deployments.length > 0 ||
    [e.user, e.metric, e.jobId, e.version, e.environment, e.gpuType, e.dtype, e.url].some((value) => value !== undefined) ||
    hasDomainCue(text)
  );
}

/** The intent of one request on its own: structure that cannot be misread first, then the classifier. */
function decide(model: IntentModel, text: string, e: Entities, floor = CONFIDENCE_FLOOR): Decision {
  const ranked = classify(model, featuresOf(text, e));
  const structural = structuralIntent(text, e);
  if (structural) return { tool: structural, ranked, structural: true };
  // Nothing of the serving domain ("what's the weather in Paris?"): no tool, whatever the classifier leans to.
  if (!hasDomainSignal(text, e)) return { ranked: [] };
  const top = ranked[0];
  if (!top || top.intent === NO_TOOL || top.probability < floor) return { ranked };
  return { tool: top.intent, ranked };
}

/** Entities of a follow-up: what it names, and the previous request's for what it does not. */
function mergeEntities(previous: Entities, current: Entities): Entities {
  const defined = Object.fromEntries(Object.entries(current).filter(([, value]) => value !== undefined));
  return { ...previous, ...defined, deployments: current.deployments.length > 0 ? current.deployments : previous.deployments };
}

/** Whether a follow-up says what to do itself ("and the logs?") rather than only what changed ("and for staging?"). */
function namesItsOwnIntent(text: string): boolean {
  return (
    [
      'logs',
      'anomaly',
      'future',
      'explain',
      'probe',
      'quantise',
      'tune',
      'distil',
      'estimate',
      'audit',
      'rollback',
      'deploy',
      'scale',
      'stopVerb',
      'status',
    ] as const
  ).some((cue) => CUES[cue].test(text));
}

function cannotDo(action: string, e: Entities): Plan {
  const target = e.deployments[0];
  return clarify(
    `I can't ${action} ${target ?? 'deployments'}: no tool of mine does that. What I can do:\n${HELP_TEXT}`,
    `我不能${ACTION_ZH[action] ?? action}${target ? ` ${target}` : '部署'}：我没有能做这件事的工具。我能做的：\n${HELP_TEXT_ZH}`,
  );
}

/** A clarifying question naming the two likeliest intents, or what the planner can do when nothing is likely. */
function askWhich(ranked: IntentScore[]): Plan {
  const likely = ranked.filter((s) => s.intent !== NO_TOOL && s.probability >= 0.1).slice(0, 2);
  if (likely.length === 0)
    return clarify(`I could not tell what you want me to do.\n${HELP_TEXT}`, `我没看懂你想让我做什么。\n${HELP_TEXT_ZH}`);
  const options = likely.map((s) => INTENT_WORDS[s.intent] ?? s.intent);
  const optionsZh = likely.map((s) => INTENT_WORDS_ZH[s.intent] ?? s.intent);
  return clarify(
    `I am not sure what you want: should I ${options.join(', or ')}?`,
    `我不确定你想要什么：是要${optionsZh.join('，还是')}？`,
  );
}

/**
 * An advisory question about a change ("should we roll back mistral-7b?") gets the read that
 * answers it, never the change itself.
 */
function advise(tool: string, e: Entities, text: string): Plan {
  const deployment = e.deployments[0];
  // Whether to roll back is what a diagnosis decides; whether to ship a new version is the team's call.
  if (tool === 'rollback_deployment' && deployment) return buildPlan('explain_incident', e, text);
  if (tool === 'scale_deployment' && deployment) return buildPlan('forecast_metrics', e, `${text} capacity`);
  if (tool === 'cancel_job') return buildPlan('get_job_status', e, text);
  if (tool === 'start_optimization' && deployment && e.dtype) return buildPlan('estimate_resources', e, text);
  const name = deployment ?? 'mistral-7b';
  return clarify(
    'That is a judgement call I leave to you; I change nothing on a question. I can show the evidence first: ' +
      `"why is ${name} slow?", "status of ${name}", or "forecast capacity for ${name}". ` +
      'When you decide, ask for the change itself, e.g. "roll back mistral-7b in prod".',
    `这需要你来判断；对一个问题我不会做任何变更。我可以先给出依据：“${name} 为什么变慢？”、“${name} 的状态”或“预测 ${name} 的容量”。` +
      '决定之后，请直接提出变更，例如“回滚生产环境的 mistral-7b”。',
  );
}

/** Maps one request to tool calls with arguments, deterministically; questions back are in the request's language. */
export function planRequest(
  request: string,
  knownDeployments: readonly string[] = [],
  previousRequest?: string,
  options: PlanOptions = {},
): Plan {
  return planWith(shippedIntentModel(), request, knownDeployments, previousRequest, CONFIDENCE_FLOOR, options);
}

/** Whether the request says nothing beyond naming deployments ("mistral-7b?"). */
function onlyNames(text: string, e: Entities): boolean {
  const rest = e.deployments.reduce((t, name) => t.split(name).join(' '), text);
  return e.deployments.length > 0 && !/[a-z]{3,}|[\u4e00-\u9fff]{2,}/.test(rest);
}

/** planRequest with a given intent model (training uses it to score candidate models on held-out folds). */
export function planWith(
  model: IntentModel,
  request: string,
  knownDeployments: readonly string[] = [],
  previousRequest?: string,
  floor = CONFIDENCE_FLOOR,
  options: PlanOptions = {},
): Plan {
  const plan = planIn(model, request, knownDeployments, previousRequest, floor, options);
  if (plan.kind === 'calls') return plan;
  // A question back is asked in the language of the request.
  return { kind: 'clarify', question: isChinese(request) && plan.zh ? plan.zh : plan.question };
}

function planIn(
  model: IntentModel,
  request: string,
  knownDeployments: readonly string[],
  previousRequest: string | undefined,
  floor: number,
  options: PlanOptions,
): Plan {
  request = correctSpelling(request);
  previousRequest = previousRequest === undefined ? undefined : correctSpelling(previousRequest);
  const text = request.normalize('NFKC').toLowerCase().trim();
  if (/^\s*(help|\?|what can you do\??|帮助|你能做什么\??)\s*$/.test(text)) return clarify(HELP_TEXT, HELP_TEXT_ZH);
  let entities = extractEntities(request, knownDeployments);
  const unsupported = unsupportedAction(text);
  if (unsupported) return cannotDo(unsupported, entities);

  let { tool, ranked, structural } = decide(model, text, entities, floor);
  let planText = text;
  const followUp = previousRequest ? followUpOf(text) : undefined;
  if (followUp && previousRequest) {
    const previousText = previousRequest.normalize('NFKC').toLowerCase().trim();
    const previousEntities = extractEntities(previousRequest, knownDeployments);
    const previous = decide(model, previousText, previousEntities, floor);
    if (previous.tool) {
      // "what about the logs?" says what to do; "and for staging?" only what changed.
      const own = namesItsOwnIntent(text) ? (tool ?? ranked.find((s) => s.intent !== NO_TOOL)?.intent) : undefined;
      if (own) tool = own;
      else {
        tool = previous.tool;
        planText = `${previousText} ${text}`;
      }
      entities = mergeEntities(previousEntities, entities);
      // "and for mistral-7b?" after a change asks; it does not order the same change again.
      if (WRITE_TOOLS.has(tool) && followUp === 'question') {
        return clarify(
          `Do you want me to do the same for ${entities.deployments[0] ?? 'that'}? I change nothing on a question: say it as a request, e.g. "${previousRequest.trim()}" with the new details.`,
          `要对 ${entities.deployments[0] ?? '它'} 做同样的操作吗？对一个问题我不会做任何变更：请直接提出请求，例如“${previousRequest.trim()}”，并写上新的细节。`,
        );
      }
    }
  }
  // "gpu utilization of llama-3-8b tomorrow": a metric the servers do not report is said, not swapped for another.
  if ((tool === undefined || METRIC_TOOLS.has(tool) || (!structural && LEANED_READS.has(tool))) && !entities.promql) {
    const phrase = unknownMetricPhrase(text);
    if (phrase && (tool !== undefined || hasDomainSignal(text, entities) || /gpu|cpu|disk|显卡|磁盘/.test(phrase))) {
      const reply = unknownMetricReply(phrase, entities.deployments[0], options.rawPromql);
      return clarify(reply.en, reply.zh);
    }
  }
  if (!tool) return onlyNames(text, entities) ? buildPlan('get_deployment_status', entities, text) : askWhich(ranked);
  if (WRITE_TOOLS.has(tool) && isAdvisoryQuestion(text)) return advise(tool, entities, text);
  return buildPlan(tool, entities, planText);
}
