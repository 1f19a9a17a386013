import { HELP_TEXT } from '../../conversation/examples.ts';
import { type Entities, extractEntities } from './entities.ts';
import { followUpOf } from './follow-up.ts';
import { classify, type IntentModel, type IntentScore, NO_TOOL, shippedIntentModel } from './intent-classifier.ts';
import { CUES, hasDomainCue } from './intent-cues.ts';
import { featuresOf } from './intent-features.ts';
import { isAdvisoryQuestion, unsupportedAction } from './request-form.ts';
import { correctSpelling } from './spelling.ts';
import { structuralIntent } from './structural-intent.ts';
import { buildPlan, clarify, type Plan, WRITE_TOOLS } from './tool-arguments.ts';

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

interface Decision {
  tool?: string | undefined;
  ranked: IntentScore[];
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
  if (structural) return { tool: structural, ranked };
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

function cannotDo(action: string, e: Entities): string {
  const target = e.deployments[0] ?? 'deployments';
  return `I can't ${action} ${target}: no tool of mine does that. What I can do:\n${HELP_TEXT}`;
}

/** A clarifying question naming the two likeliest intents, or what the planner can do when nothing is likely. */
function askWhich(ranked: IntentScore[]): string {
  const likely = ranked.filter((s) => s.intent !== NO_TOOL && s.probability >= 0.1).slice(0, 2);
  if (likely.length === 0) return `I could not tell what you want me to do.\n${HELP_TEXT}`;
  const options = likely.map((s) => INTENT_WORDS[s.intent] ?? s.intent);
  return `I am not sure what you want: should I ${options.join(', or ')}?`;
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
  return clarify(
    'That is a judgement call I leave to you; I change nothing on a question. I can show the evidence first: ' +
      `"why is ${deployment ?? 'mistral-7b'} slow?", "status of ${deployment ?? 'mistral-7b'}", or "forecast capacity for ${deployment ?? 'mistral-7b'}". ` +
      'When you decide, ask for the change itself, e.g. "roll back mistral-7b in prod".',
  );
}

/** Maps one request to tool calls with arguments, deterministically. */
export function planRequest(request: string, knownDeployments: readonly string[] = [], previousRequest?: string): Plan {
  return planWith(shippedIntentModel(), request, knownDeployments, previousRequest);
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
): Plan {
  request = correctSpelling(request);
  previousRequest = previousRequest === undefined ? undefined : correctSpelling(previousRequest);
  const text = request.normalize('NFKC').toLowerCase().trim();
  if (/^\s*(help|\?|what can you do\??|帮助|你能做什么\??)\s*$/.test(text)) return clarify(HELP_TEXT);
  let entities = extractEntities(request, knownDeployments);
  const unsupported = unsupportedAction(text);
  if (unsupported) return clarify(cannotDo(unsupported, entities));

  let { tool, ranked } = decide(model, text, entities, floor);
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
        );
      }
    }
  }
  if (!tool) return onlyNames(text, entities) ? buildPlan('get_deployment_status', entities, text) : clarify(askWhich(ranked));
  if (WRITE_TOOLS.has(tool) && isAdvisoryQuestion(text)) return advise(tool, entities, text);
  return buildPlan(tool, entities, planText);
}
