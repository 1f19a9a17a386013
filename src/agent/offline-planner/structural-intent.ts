import type { Entities } from './entities.ts';
import { CUES } from './intent-cues.ts';
import { leadWord, maskedText } from './intent-features.ts';
import { isAdvisoryQuestion, isQuestion } from './request-form.ts';

// A question about a change that already happened ("who rolled back …", "did we revert …?").
const ABOUT_THE_PAST = /\b(did|was|were|has|have|had|when|who|why)\b|谁|为什么|什么时候|了吗|了没/;
const PAST_ROLLBACK =
  /\b(did|was|were|has|have|had)\s+(\S+\s+){0,3}(roll(ed)?[\s-]?back|rollback|revert(ed)?|undone|downgraded)\b|\b(who|when|why)\b.{0,40}\b(rolled back|reverted|rollback|roll back)\b|谁.{0,20}(回滚|回退)|为什么.{0,10}(回滚|回退)|(回滚|回退)了(吗|没)/;
const AUDIT =
  /\baudit|\b(proposals|approvals)\b|\bwho\b.{0,40}\b(deployed|rolled|scaled|scaling|approved|rejected|shipped|changed|touched|ran|started|cancell?ed|released|pushed|proposed|reverted)\b|\bwhat did @?[a-z][\w.-]* (do|change|approve|deploy|touch)\b|\bactions (by|of|taken)\b|\b(failed|rejected|approved|proposed) (actions|changes|proposals)\b|\b(rejected|approved|proposed) requests\b|\bchange (history|log)\b|谁.{0,20}(部署|发布|回滚|回退|扩容|缩容|批准|审批|改|操作|上线|动)|审计|操作记录|变更记录|审批记录|变更历史|做了(哪些|什么)操作/;
// "list the jobs", "what jobs are running", "哪些任务在跑": the job list.
const JOB_LIST = /\b(jobs|optimi[sz]ation runs|tuning runs)\b|哪些任务|任务列表|所有任务/;
// Who did what: a named person with an action ("what has dave been doing", "bob 今天批准了什么").
const ACTS =
  /\b(approved?|deployed|rolled|scaled|did|do|doing|done|changed|changes|actions|activity|touched|ran|rejected|cancell?ed)\b|批准|审批|操作|做了|干了|干啥|部署了|发布了|改了/;
// Changing the replica count, as opposed to asking it ("how many replicas does … have").
const SCALE_VERB =
  /\bscal(e|ed|ing)\b|\bresize\b|\b(bump|increase|decrease|reduce|raise|lower|cut|set|change|make|go to)\b|扩容|缩容|扩到|缩到|扩成|缩成|加到|减到|降到|改成|改为|设置|调到/;
// Asking where a deployment answers (its URL or port), not probing it.
const WHERE_IT_SERVES =
  /\b(what|where|which)\b.*\b(url|endpoint|address|port)\b|\bhow (do|can|should) (i|we) (reach|access|connect to)\b|\bwhere (can|do|should) (i|we) send\b|(地址|端口|endpoint|url).{0,6}(是什么|在哪|多少)|在哪.{0,4}(地址|端口)/;
// The endpoint named as a thing to be given ("mistral-7b's endpoint", "访问地址"), when nothing asks to try it.
const ENDPOINT_NOUN = /'s (endpoint|url|address)\b|\b(base url|endpoint url|endpoint address)\b|访问地址|服务地址|接口地址/;
// Log requests that ask for a summary (patterns, templates, kinds, what is new) rather than lines.
const LOG_SUMMARY =
  /\b(patterns?|templates?|summar\w*|analy[sz]\w*|cluster\w*|kinds? of|types? of|most (common|frequent)|(more |most )?frequent|digest|overview|gist|unusual|compared (with|to)|than (before|usual)|unseen|never[\s-]seen|(haven't|have not|never|not) seen|didn't before|novel|unfamiliar|(are|is|anything|something|what's) new|new (in|for|since|compared)|spik\w*|noisy|recurring|top \d+|new (kinds?|types?|messages|errors|patterns)|first time)\b|模式|模板|归类|聚类|类型|种类|哪类|变多|突增|暴增|激增|概况|概览|主要|大概|整体|没见过|从未出现|之前没有|最多|常见|汇总|总结|新出现|新增|分析/;
/** Imperative verbs that name their tool when they lead the request ("scale it up", "量化一下"). */
const LEAD_VERBS: Array<[RegExp, string]> = [
  [/^(scale|rescale|resize|扩容|缩容|扩|缩)$/, 'scale_deployment'],
  [/^(deploy|redeploy|ship|release|promote|部署|发布|上线)$/, 'deploy_model'],
  [/^(quantize|quantise|distill|distil|tune|autotune|retune|optimize|optimise|量化|蒸馏|调优|调参)$/, 'start_optimization'],
  [/^(probe|ping|benchmark|curl|load-test|smoke-test|stress|stress-test|压测|探测|拨测)$/, 'probe_endpoint'],
  [/^(forecast|predict|预测)$/, 'forecast_metrics'],
  [/^(investigate|diagnose|troubleshoot|debug|排查|诊断)$/, 'explain_incident'],
  [/^(estimate|估算)$/, 'estimate_resources'],
  [/^(grep|tail)$/, 'search_logs'],
];

// A question whether something (a deploy, a change) caused a problem is a diagnosis.
const CAUSED = /\b(break|broke|broken|caus(e|ed|ing)|responsible|regress(ed|ion)?|to blame|made\b.*\bworse)\b|导致|引起|搞坏/;
// Words that ask for a size, a fit or GPU memory: a sizing question, whatever precision it names.
const SIZING =
  /\bhow (big|large) is\b|\bestimate\b|\bsizing\b|\bsize (a|an|the|for|of|up)\b|\bhow (much|many) (gpu|vram|memory|gpus|cards|[ahl]\d+s?)\b|\bvram\b|\bgpu memory\b|\bmemory (footprint|needed|required|usage of a)\b|\bfit(s)? (on|in|into)\b|\benough (for|to (run|serve|host))\b|\bgpu requirements?\b|显存|估算|几张卡|多少张卡|放得下|跑得动|装得下/;
const QUANTITY =
  /\bwhat (%|(percent|percentage|fraction|share|portion|proportion)\b)|\bhow (many|much)\b.*\b(per (second|minute)|a second|%|percent)|百分之|比例|占比/;
// Sending a number of requests is a probe ("measure ttft by sending 50 requests").
const SENDING = /\b(send|sending|sent|fire|firing|hit|issue|shoot|blast|run|do|query|try|make|ping|call|knock)\b|发|打/;

// Deployments set against each other ("mistral-7b vs qwen2-7b", "比较 A 和 B 的延迟").
const COMPARE =
  /\b(compar(e|es|ed|ing|ison)|vs\.?|versus|against|side[\s-]by[\s-]side|relative to|(better|worse|faster|slower|higher|lower|busier) than)\b|\bwhich\b.*\bor\b|比较|对比|相比|比一比|比一下|(跟|和|与|同).{1,30}比|(哪个|谁).{0,8}(更|最|快|慢|高|低|好|忙)/;
// Verbs that ask for a change: a comparison around them is about the change, not the metrics.
const CHANGE_VERB = /\b(re)?deploy\b|\bship\b|\brelease\b|\bpromote\b|(?<!所有|哪些|列出)部署(?!的|状态|情况)|发布|上线/;

const WHY =
  /\bwhy\b|为什么|为啥|为何|怎么这么|咋这么|怎么.{0,4}(慢|卡)|\broot[\s-]?cause|根因|\brca\b|\bwhat('s| is)? caus(ed|ing)\b/;
const ANOMALY = /anomal|\babnormal|\bunusual\b|\bout of the ordinary\b|\boutliers?\b|异常(?!日志)/;

/**
 * The tool a request names by its structure, checked before the classifier: who did what, a
 * job number, a URL, PromQL, an imperative to roll back or to stop a job, a job's progress,
 * "why", anomalies, logs, sizing words, a count of requests to send, a replica count, a
 * leading imperative verb. Order matters: the first rule that holds decides, and rules for
 * narrower structure come first ("why did job 3 fail" is about job 3, not an incident).
 */
export function structuralIntent(text: string, e: Entities): string | undefined {
  if (AUDIT.test(text) || (e.user !== undefined && ACTS.test(text))) return 'list_audit';
  // "Should we roll back …?" is about a change: the change its words name, which advise() answers with a read.
  if (isAdvisoryQuestion(text)) {
    if (CUES.rollback.test(text)) return 'rollback_deployment';
    if (CUES.scale.test(text)) return 'scale_deployment';
    if (CUES.deploy.test(text)) return 'deploy_model';
    if (CUES.stopVerb.test(text) && (CUES.jobNoun.test(text) || e.jobId !== undefined)) return 'cancel_job';
    if (CUES.quantise.test(text) || CUES.tune.test(text) || CUES.distil.test(text)) return 'start_optimization';
  }
  const aboutAJob = CUES.jobNoun.test(text) || CUES.optimisationNoun.test(text);
  const stops = CUES.stopVerb.test(text) && !ABOUT_THE_PAST.test(text) && !isAdvisoryQuestion(text);
  const future = CUES.future.test(text);
  if (e.jobId !== undefined) return stops ? 'cancel_job' : 'get_job_status';
  if (e.url && !e.promql) return 'probe_endpoint';
  if (e.promql) return 'query_metrics';
  if (CUES.rollback.test(text) && !PAST_ROLLBACK.test(text) && !isAdvisoryQuestion(text)) return 'rollback_deployment';
  if (aboutAJob && stops) return 'cancel_job';
  if (aboutAJob && (CUES.progress.test(text) || /\bwhat happened to (my|the|our)\b/.test(text))) return 'get_job_status';
  if (JOB_LIST.test(text) && !CUES.stopVerb.test(text)) return 'get_job_status';
  const asks = isQuestion(text) || /\b(is|was|did|does)\b/.test(text);
  if (WHY.test(text) || (asks && CAUSED.test(text) && e.deployments.length > 0)) return 'explain_incident';
  if (ANOMALY.test(text) && !CUES.logs.test(text)) return 'detect_anomalies';
  if (CUES.logs.test(text)) return LOG_SUMMARY.test(text) && !e.quoted ? 'analyze_logs' : 'search_logs';
  if (
    e.deployments.length > 0 &&
    e.requests === undefined &&
    (WHERE_IT_SERVES.test(text) || (ENDPOINT_NOUN.test(text) && !CUES.probe.test(text)))
  )
    return 'get_deployment_status';
  if (future) return undefined;
  if (/\bmetrics\b|\bdashboard\b|指标/.test(text) && e.deployments.length > 0) return 'query_metrics';
  // "What % of requests fail", "how many requests per second": a number to read off a metric.
  if (e.metric && QUANTITY.test(text)) return 'query_metrics';
  if (SIZING.test(text) && !CUES.logs.test(text) && !CUES.tune.test(text)) return 'estimate_resources';
  // Two deployments compared, with no change, precision or sizing asked: their metrics side by side.
  if (
    COMPARE.test(text) &&
    e.deployments.length > 1 &&
    (e.dtypes?.length ?? 0) < 2 &&
    e.requests === undefined &&
    ![CUES.tune, CUES.quantise, CUES.distil, CHANGE_VERB, CUES.scale, CUES.rollback, CUES.probe].some((cue) => cue.test(text))
  )
    return 'query_metrics';
  if ((e.dtypes?.length ?? 0) > 1 && !isAdvisoryQuestion(text)) return 'start_optimization';
  if ((e.sloTtftMs ?? e.sloTpotMs ?? e.trials) !== undefined && CUES.tune.test(text)) return 'start_optimization';
  if (e.requests !== undefined && SENDING.test(text) && !CUES.logs.test(text)) return 'probe_endpoint';
  if (CUES.replicaNoun.test(text) && /\bhow many\b|几个|多少/.test(text) && !SCALE_VERB.test(text))
    return 'get_deployment_status';
  // A replica count for a named deployment, without a version to deploy, is the size it should run at.
  if (e.replicas !== undefined && e.deployments.length > 0 && !e.version && !CUES.deploy.test(text)) return 'scale_deployment';
  const lead = leadWord(maskedText(text, e));
  const led = lead === undefined || isQuestion(text) ? undefined : LEAD_VERBS.find(([verb]) => verb.test(lead))?.[1];
  if (led) return led;
  // A context length with a model and no action around it asks what serving it takes.
  if (e.contextLength !== undefined && e.deployments.length > 0 && !CUES.probe.test(text) && !CUES.deploy.test(text))
    return 'estimate_resources';
  return undefined;
}
