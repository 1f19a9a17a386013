import { CURATED_METRICS, type MetricKind } from '../../metrics/curated-metrics.ts';
import { formatValue } from '../../metrics/format-value.ts';
import type { CauseKind } from './cause-kinds.ts';
import { alertHint, classifyEvent, concerns, isFleetWide, previousVersion, type RcaEvent } from './change-events.ts';
import { findLevelShift, type LevelShift, type ShiftThresholds } from './level-shift.ts';
import { findLogChanges, type LogFinding, type RcaLogLine } from './log-evidence.ts';

/**
 * The root-cause engine: from the metrics of the affected deployment and its neighbours, the log
 * templates that are new or spiking, and the change events around the onset, a ranked list of
 * hypotheses, each with a kind from a fixed vocabulary, a confidence, the change it blames, the
 * evidence and a next action. Deterministic: the same input gives the same ranking, and the LLM
 * only narrates it.
 *
 * Scores are additive weights of evidence per kind (documented where they are set), then
 * normalised into confidences that sum to at most 1 with an `unknown` remainder.
 */
export interface RcaSeries {
  deployment: string;
  /** A curated metric kind (ttft, tpot, error_rate, …) or any other name. */
  metric: string;
  /** Epoch seconds. */
  points: ReadonlyArray<{ t: number; v: number }>;
}

export interface RcaInput {
  /** The affected deployment. */
  deployment: string;
  /** Series of the deployment and its neighbours, starting well before the incident (the baseline). */
  series: readonly RcaSeries[];
  /** Log lines of the affected deployment over the same span. */
  logs: readonly RcaLogLine[];
  events: readonly RcaEvent[];
  /** Only shifts that overlap this window are symptoms; default all of the data. */
  focus?: { start: Date; end: Date } | undefined;
  /** Current replicas, to size a scale-out. */
  replicas?: number | undefined;
}

export type Evidence =
  | {
      type: 'metric';
      deployment: string;
      metric: string;
      direction: 'up' | 'down';
      from: number;
      to: number;
      ratio: number | null;
      start: string;
      end: string | null;
      text: string;
    }
  | { type: 'log'; template: string; count: number; baseline: number; first_seen: string; text: string }
  | { type: 'event'; id: string; kind: string; time: string; lead_seconds: number; text: string };

export interface Action {
  summary: string;
  /** A catalogue tool that carries the action out (as a proposal when it is risky), with its arguments. */
  tool?: 'rollback_deployment' | 'scale_deployment' | 'get_deployment_status' | 'search_logs' | undefined;
  args?: Record<string, unknown> | undefined;
}

export interface Hypothesis {
  kind: CauseKind;
  confidence: number;
  event_id: string | null;
  summary: string;
  evidence: Evidence[];
  action: Action;
}

export interface RcaResult {
  deployment: string;
  /** The earliest move of the affected deployment's metrics; null when none moved. */
  onset: string | null;
  shifts: LevelShift[];
  logFindings: LogFinding[];
  hypotheses: Hypothesis[];
}

/** How far a metric must move to count, per metric (ratio for levels, absolute for shares and near-zero levels). */
const THRESHOLDS: Record<string, ShiftThresholds> = {
  ttft: { minRatio: 1.5, minAbsolute: 0.05 },
  tpot: { minRatio: 1.4, minAbsolute: 0.003 },
  e2e_latency: { minRatio: 1.5, minAbsolute: 0.2 },
  queue_time: { minRatio: 2, minAbsolute: 0.05 },
  request_rate: { minRatio: 1.6, minAbsolute: 0.05 },
  throughput: { minRatio: 1.6, minAbsolute: 1 },
  error_rate: { minRatio: 1, minAbsolute: 0.02 },
  queue_depth: { minRatio: 2, minAbsolute: 2 },
  running: { minRatio: 1.5, minAbsolute: 2 },
  kv_cache_usage: { minRatio: 1.5, minAbsolute: 0.05 },
  preemptions: { minRatio: 2, minAbsolute: 0.05 },
  prompt_length: { minRatio: 1.5, minAbsolute: 50 },
};
const DEFAULT_THRESHOLDS: ShiftThresholds = { minRatio: 1.5, minAbsolute: 0 };

/** Metrics whose move is a symptom people notice, as opposed to load. */
const SYMPTOMS = ['ttft', 'tpot', 'e2e_latency', 'queue_time', 'error_rate', 'queue_depth', 'kv_cache_usage', 'preemptions'];
/** A surge explains an incident only if traffic rose at most this long before the symptoms. */
const SURGE_LEAD_S = 1800;

/** Changes up to an hour before the onset can be blamed; the closer, the likelier. */
const LOOKBACK_S = 3600;
const PROXIMITY_SCALE_S = 1200;

export function rankHypotheses(input: RcaInput): RcaResult {
  const step = medianStep(input.series);
  const shifts = input.series
    .map((s) =>
      findLevelShift(s.points, { metric: s.metric, deployment: s.deployment }, THRESHOLDS[s.metric] ?? DEFAULT_THRESHOLDS),
    )
    .filter((s): s is LevelShift => s !== undefined)
    .filter((s) => !input.focus || s.end >= input.focus.start.getTime() / 1000 - step);
  const own = shifts.filter((s) => s.deployment === input.deployment).sort((a, b) => a.start - b.start);
  // The onset is when the symptoms began; traffic that rose hours earlier (a daily ramp) does not set it.
  const onset = (own.find((s) => SYMPTOMS.includes(s.metric)) ?? own[0])?.start;
  // Log lines from shortly before the onset belong to the incident (a deploy logs before its metrics move).
  // Rates lag what they measure by up to their window, so the split is a few minutes before the onset.
  const split = onset !== undefined ? new Date((onset - Math.max(3 * step, 300)) * 1000) : input.focus?.start;
  const logFindings = split ? findLogChanges(input.logs, split) : [];
  const neighbours =
    onset === undefined
      ? []
      : shifts.filter((s) => s.deployment !== input.deployment && Math.abs(s.start - onset) <= Math.max(300, 3 * step));

  const ctx: Context = { input, own, onset, step, logFindings, neighbours };
  const candidates = [
    ...changeHypotheses(ctx),
    trafficSurge(ctx),
    resourceExhaustion(ctx),
    signatureHypothesis(ctx, 'hardware_fault'),
    signatureHypothesis(ctx, 'dependency_failure'),
    inputShift(ctx),
  ].filter((h): h is Scored => h !== undefined && h.score >= 0.1);

  const best = new Map<string, Scored>();
  for (const h of candidates) {
    const key = `${h.kind}|${h.event_id ?? ''}`;
    if ((best.get(key)?.score ?? -1) < h.score) best.set(key, h);
  }
  const ranked = [...best.values()].sort(
    (a, b) => b.score - a.score || a.kind.localeCompare(b.kind) || (a.event_id ?? '').localeCompare(b.event_id ?? ''),
  );
  const top = ranked[0]?.score ?? 0;
  const unknown: Scored = {
    kind: 'unknown',
    score: Math.max(0.05, 0.5 - top),
    event_id: null,
    summary:
      own.length === 0
        ? `No metric of ${input.deployment} moved clearly from its usual level in the data given.`
        : 'Something the engine has no evidence for (the data given does not explain the moves).',
    evidence: own.slice(0, 3).map(metricEvidence),
    action: {
      summary: `Widen the range, check ${input.deployment}'s logs and upstream dashboards, and compare with the neighbours.`,
      tool: 'search_logs',
      args: { deployment: input.deployment, query: 'error' },
    },
  };
  const all = [...ranked, unknown].sort((a, b) => b.score - a.score);
  const total = all.reduce((sum, h) => sum + h.score, 0);
  return {
    deployment: input.deployment,
    onset: onset === undefined ? null : iso(onset),
    shifts,
    logFindings,
    hypotheses: all.map(({ score, ...h }) => ({ ...h, confidence: Math.round((score / total) * 100) / 100 })),
  };
}

interface Context {
  input: RcaInput;
  own: LevelShift[];
  onset: number | undefined;
  step: number;
  logFindings: LogFinding[];
  neighbours: LevelShift[];
}

type Scored = Omit<Hypothesis, 'confidence'> & { score: number };

function moved(ctx: Context, metric: string, direction: 'up' | 'down' = 'up', minRatio = 0): LevelShift | undefined {
  return ctx.own.find(
    (s) =>
      s.metric === metric &&
      s.direction === direction &&
      (s.ratio === null || (direction === 'up' ? s.ratio >= minRatio : s.ratio <= 1 / Math.max(minRatio, 1e-9))),
  );
}

function logsOf(ctx: Context, kind: CauseKind): LogFinding[] {
  return ctx.logFindings.filter((f) => f.kind === kind);
}

/** A per-token slowdown: the engine itself got slower, which capacity and traffic do not explain. */
function engineSlower(ctx: Context): LevelShift | undefined {
  return moved(ctx, 'tpot', 'up', 1.4);
}

function surge(ctx: Context): LevelShift | undefined {
  const rate = moved(ctx, 'request_rate', 'up', 1.6);
  if (!rate || ctx.onset === undefined) return rate;
  return rate.start >= ctx.onset - SURGE_LEAD_S ? rate : undefined;
}

/** A deploy or config change of the deployment (or the fleet) shortly before the onset. */
function changeHypotheses(ctx: Context): Scored[] {
  const { onset, input } = ctx;
  if (onset === undefined) return [];
  const tolerance = 2 * ctx.step + 60;
  const out: Scored[] = [];
  const hardware = logsOf(ctx, 'hardware_fault').length > 0;
  const dependency = logsOf(ctx, 'dependency_failure').length > 0;
  for (const event of input.events) {
    const kind = classifyEvent(event);
    if (kind !== 'deployment_change' && kind !== 'config_change') continue;
    if (!concerns(event, input.deployment)) continue;
    const lead = onset - event.time.getTime() / 1000;
    if (lead > LOOKBACK_S || lead < -tolerance) continue;
    const proximity = Math.exp(-Math.max(0, lead) / PROXIMITY_SCALE_S);
    const evidence: Evidence[] = [eventEvidence(event, lead)];
    // A change just before the onset: 0.5, plus up to 0.35 the closer it is.
    let score = 0.5 + 0.35 * proximity;
    const slower = engineSlower(ctx);
    if (kind === 'deployment_change' && slower && !surge(ctx)) {
      score += 0.15; // A new build that makes every token slower is the classic bad deploy.
      evidence.push(metricEvidence(slower));
    }
    const pressure = moved(ctx, 'kv_cache_usage') ?? moved(ctx, 'preemptions') ?? moved(ctx, 'queue_depth');
    if (kind === 'config_change' && pressure) {
      score += 0.15; // Fewer replicas, less KV cache or a smaller batch show up as pressure.
      evidence.push(metricEvidence(pressure));
    }
    const ownLogs = logsOf(ctx, kind);
    if (ownLogs.length > 0) {
      score += 0.1;
      evidence.push(...ownLogs.slice(0, 2).map(logEvidence));
    }
    for (const symptom of ctx.own.filter((s) => s !== slower && s !== pressure).slice(0, 2))
      evidence.push(metricEvidence(symptom));
    // Another explanation with direct evidence weakens the blame on a change.
    if (hardware || dependency) score -= 0.3;
    if (surge(ctx)) score -= 0.25;
    const sameOnNeighbours = ctx.neighbours.length > 0 && !isFleetWide(event);
    if (sameOnNeighbours) score -= 0.2;
    out.push({
      kind,
      score,
      event_id: event.id,
      summary: `${kind === 'deployment_change' ? 'The change' : 'The configuration change'} "${event.description}" ${describeLead(lead)} the first move of ${input.deployment}'s metrics.`,
      evidence,
      action: changeAction(event, kind, input.deployment),
    });
  }
  // A restart or new build in the logs with no recorded change: weak, but worth saying.
  const restart = logsOf(ctx, 'deployment_change');
  if (out.length === 0 && restart.length > 0) {
    out.push({
      kind: 'deployment_change',
      score: 0.2 + (engineSlower(ctx) ? 0.1 : 0),
      event_id: null,
      summary: `${input.deployment} restarted or changed build around the onset, but no deploy was recorded.`,
      evidence: [...restart.slice(0, 2).map(logEvidence), ...ctx.own.slice(0, 2).map(metricEvidence)],
      action: {
        summary: `Find out what restarted ${input.deployment} (who deployed, which image) and roll back if it was a new build.`,
        tool: 'get_deployment_status',
        args: { deployment: input.deployment },
      },
    });
  }
  return out;
}

function changeAction(event: RcaEvent, kind: 'deployment_change' | 'config_change', deployment: string): Action {
  if (kind === 'deployment_change') {
    const version = previousVersion(event.description);
    return {
      summary: `Roll ${deployment} back${version ? ` to ${version}` : ' to its previous version'} (a proposal someone approves), then watch the metrics recover.`,
      tool: 'rollback_deployment',
      args: { deployment, ...(version ? { to_version: version } : {}) },
    };
  }
  return { summary: `Revert the change "${event.description}" and watch the metrics recover.` };
}

function trafficSurge(ctx: Context): Scored | undefined {
  const rate = surge(ctx);
  if (!rate || rate.ratio === null) return undefined;
  // 0.45 for a 1.6× surge, up to 0.7 at 4×.
  let score = 0.45 + 0.25 * Math.min(1, (rate.ratio - 1.6) / 2.4);
  const consequences = ctx.own.filter(
    (s) => s !== rate && s.direction === 'up' && s.start >= rate.start - ctx.step && s.metric !== 'throughput',
  );
  if (consequences.length > 0) score += 0.1;
  const latencyFirst = ctx.own.find((s) => isLatency(s.metric) && s.start < rate.start - 2 * ctx.step);
  if (latencyFirst) score -= 0.2; // Latency rose before the traffic did: the surge followed.
  const shedding = logsOf(ctx, 'traffic_surge');
  if (shedding.length > 0) score += 0.1;
  // Neighbours are the shifts that began with ours, so a neighbour's surge is one at the same time.
  const elsewhere = ctx.neighbours.filter((s) => s.metric === 'request_rate' && s.direction === 'up');
  const { replicas } = ctx.input;
  const needed = replicas ? Math.ceil(replicas * rate.ratio) : undefined;
  return {
    kind: 'traffic_surge',
    score,
    event_id: null,
    summary: `${ctx.input.deployment} got ${rate.ratio.toFixed(1)}× its usual traffic${elsewhere.length > 0 ? `, as did ${unique(elsewhere.map((s) => s.deployment)).join(', ')}` : ''}.`,
    evidence: [
      metricEvidence(rate),
      ...consequences.slice(0, 3).map(metricEvidence),
      ...shedding.slice(0, 1).map(logEvidence),
      ...elsewhere.slice(0, 2).map(metricEvidence),
    ],
    action:
      replicas && needed && needed > replicas
        ? {
            summary: `Scale ${ctx.input.deployment} from ${replicas} to ${needed} replicas for ${rate.ratio.toFixed(1)}× the load (a proposal), and find who sends the extra traffic.`,
            tool: 'scale_deployment',
            args: { deployment: ctx.input.deployment, replicas: needed },
          }
        : {
            summary: `Add replicas for about ${rate.ratio.toFixed(1)}× the load, or rate-limit the client sending the extra traffic.`,
          },
  };
}

function resourceExhaustion(ctx: Context): Scored | undefined {
  const kv = moved(ctx, 'kv_cache_usage');
  const preemptions = moved(ctx, 'preemptions');
  const queue = moved(ctx, 'queue_depth');
  const logs = logsOf(ctx, 'resource_exhaustion');
  // KV cache filling 0.3, preemptions 0.2, a growing queue 0.1, pressure in the logs 0.2.
  let score = (kv ? 0.3 : 0) + (preemptions ? 0.2 : 0) + (queue && (kv || preemptions) ? 0.1 : 0) + (logs.length > 0 ? 0.2 : 0);
  if (score === 0) return undefined;
  const causes: string[] = [];
  if (surge(ctx)) {
    score *= 0.5;
    causes.push('the traffic surge');
  }
  const slower = engineSlower(ctx);
  if (slower) {
    score *= 0.5;
    causes.push('the per-token slowdown');
  }
  const evidence = [kv, preemptions, queue].filter((s): s is LevelShift => s !== undefined).map(metricEvidence);
  evidence.push(...logs.slice(0, 2).map(logEvidence));
  const { replicas } = ctx.input;
  return {
    kind: 'resource_exhaustion',
    score,
    event_id: null,
    summary: `${ctx.input.deployment} ran out of KV-cache or memory headroom${causes.length > 0 ? ` (possibly a consequence of ${causes.join(' and ')})` : ''}.`,
    evidence,
    action: {
      summary: `Give ${ctx.input.deployment} KV-cache headroom: lower max_num_seqs or max_model_len, raise gpu_memory_utilization, or add replicas${replicas ? ` (now ${replicas})` : ''}.`,
      ...(replicas
        ? { tool: 'scale_deployment' as const, args: { deployment: ctx.input.deployment, replicas: replicas + 1 } }
        : {}),
    },
  };
}

/** Hardware faults and failing dependencies are recognised mostly by what the logs say. */
function signatureHypothesis(ctx: Context, kind: 'hardware_fault' | 'dependency_failure'): Scored | undefined {
  const logs = logsOf(ctx, kind);
  const errors = moved(ctx, 'error_rate');
  const hints = ctx.input.events.filter((e) => classifyEvent(e) === 'alert' && alertHint(e) === kind);
  const evidence: Evidence[] = logs.slice(0, 3).map(logEvidence);
  // Log signature 0.55; errors 0.15; kind-specific shapes 0.1–0.15; an alert saying so 0.1.
  let score = logs.length > 0 ? 0.55 : 0;
  if (errors && (score > 0 || hints.length > 0)) {
    score += 0.15;
    evidence.push(metricEvidence(errors));
  }
  if (kind === 'hardware_fault') {
    const slower = engineSlower(ctx) ?? moved(ctx, 'tpot', 'up', 1.2);
    if (slower && score > 0) {
      score += 0.1;
      evidence.push(metricEvidence(slower));
    }
  } else {
    const e2e = moved(ctx, 'e2e_latency');
    if (e2e && !engineSlower(ctx) && score > 0) {
      score += 0.15; // Requests wait without the engine being slower: they wait on something else.
      evidence.push(metricEvidence(e2e));
    }
    const shared = ctx.neighbours.filter((s) => s.metric === 'error_rate' || isLatency(s.metric));
    if (shared.length > 0 && score > 0) {
      score += 0.1;
      evidence.push(...shared.slice(0, 2).map(metricEvidence));
    }
  }
  if (hints.length > 0) {
    score += 0.1 + (score === 0 ? 0.2 : 0);
    evidence.push(
      ...hints.slice(0, 2).map((e) => eventEvidence(e, (ctx.onset ?? e.time.getTime() / 1000) - e.time.getTime() / 1000)),
    );
  }
  if (score === 0) return undefined;
  const host = logs.map((f) => /\bhttps?:\/\/([^/\s)]+)/i.exec(f.example)?.[1]).find(Boolean);
  const deployment = ctx.input.deployment;
  return kind === 'hardware_fault'
    ? {
        kind,
        score,
        event_id: null,
        summary: `A GPU of ${deployment} is failing (${logs[0]?.label ?? 'hardware alert'}).`,
        evidence,
        action: {
          summary: `Cordon the node behind ${deployment} and move its pods to healthy GPUs; check nvidia-smi and the Xid in the kernel log.`,
          tool: 'get_deployment_status',
          args: { deployment },
        },
      }
    : {
        kind,
        score,
        event_id: null,
        summary: `A dependency of ${deployment}${host ? ` (${host})` : ''} is failing, and requests fail or wait on it.`,
        evidence,
        action: {
          summary: `Check ${host ?? 'the upstream service'} and its own alerts; meanwhile consider a shorter timeout or failing open so ${deployment} keeps serving.`,
        },
      };
}

function inputShift(ctx: Context): Scored | undefined {
  const length = moved(ctx, 'prompt_length');
  const logs = logsOf(ctx, 'input_shift');
  let score = (length ? 0.5 : 0) + (logs.length > 0 ? 0.3 : 0);
  if (score === 0) return undefined;
  const ttft = moved(ctx, 'ttft');
  if (ttft && !surge(ctx)) score += 0.1;
  return {
    kind: 'input_shift',
    score,
    event_id: null,
    summary: `Requests to ${ctx.input.deployment} changed: ${length ? `prompts got ${length.ratio?.toFixed(1) ?? 'much'}× longer` : 'the logs show unusual inputs'}.`,
    evidence: [length, ttft]
      .filter((s): s is LevelShift => s !== undefined)
      .map(metricEvidence)
      .concat(logs.slice(0, 2).map(logEvidence)),
    action: {
      summary: `Find the client sending the new inputs; cap max_model_len or rate-limit it, and keep long prompts on a deployment sized for them.`,
    },
  };
}

function isLatency(metric: string): boolean {
  return ['ttft', 'tpot', 'e2e_latency', 'queue_time'].includes(metric);
}

function metricEvidence(s: LevelShift): Evidence {
  const unit = CURATED_METRICS[s.metric as MetricKind]?.unit ?? '';
  const about = CURATED_METRICS[s.metric as MetricKind]?.about ?? s.metric;
  const size =
    s.ratio !== null && s.ratio >= 1.05
      ? ` (${s.ratio.toFixed(1)}×)`
      : s.ratio !== null && s.ratio < 0.95
        ? ` (−${Math.round((1 - s.ratio) * 100)}%)`
        : '';
  return {
    type: 'metric',
    deployment: s.deployment,
    metric: s.metric,
    direction: s.direction,
    from: round(s.before),
    to: round(s.after),
    ratio: s.ratio === null ? null : round(s.ratio),
    start: iso(s.start),
    end: s.ongoing ? null : iso(s.end),
    text: `${about} of ${s.deployment} went ${s.direction} from ${formatValue(s.before, unit)} to ${formatValue(s.after, unit)}${size} at ${clock(s.start)}${s.ongoing ? ', still there' : `, until ${clock(s.end)}`}`,
  };
}

function logEvidence(f: LogFinding): Evidence {
  const template = f.template.length > 200 ? `${f.template.slice(0, 200)}…` : f.template;
  return {
    type: 'log',
    template,
    count: f.count,
    baseline: f.baseline,
    first_seen: f.firstSeen.toISOString(),
    text:
      f.novelty === 'new'
        ? `new log line ${f.count}× from ${clock(f.firstSeen.getTime() / 1000)}: ${template}`
        : `log line ${f.ratio.toFixed(1)}× its usual rate (${f.count}× from ${clock(f.firstSeen.getTime() / 1000)}): ${template}`,
  };
}

function eventEvidence(event: RcaEvent, leadSeconds: number): Evidence {
  return {
    type: 'event',
    id: event.id,
    kind: event.kind,
    time: event.time.toISOString(),
    lead_seconds: Math.round(leadSeconds),
    text: `${event.kind} "${event.description}" at ${clock(event.time.getTime() / 1000)}, ${describeLead(leadSeconds)} the onset`,
  };
}

function describeLead(leadSeconds: number): string {
  const abs = Math.abs(Math.round(leadSeconds));
  const span = abs < 90 ? `${abs} s` : `${Math.round(abs / 60)} min`;
  return leadSeconds >= 0 ? `${span} before` : `${span} after`;
}

function medianStep(series: readonly RcaSeries[]): number {
  const gaps: number[] = [];
  for (const s of series)
    for (let i = 1; i < Math.min(s.points.length, 50); i++) gaps.push((s.points[i]?.t ?? 0) - (s.points[i - 1]?.t ?? 0));
  gaps.sort((a, b) => a - b);
  return gaps.length > 0 ? Math.max(1, gaps[gaps.length >> 1] as number) : 60;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function clock(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(11, 16)} UTC`;
}

function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : v;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
