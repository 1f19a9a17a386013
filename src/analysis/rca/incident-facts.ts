import type { CauseKind } from './cause-kinds.ts';
import { alertHint, classifyEvent, concerns, type EventClass, isFleetWide, placesNamed, type RcaEvent } from './change-events.ts';
import { findLevelShift, type LevelShift, type ShiftThresholds } from './level-shift.ts';
import { findLogChanges, type LogFinding } from './log-evidence.ts';
import { Placement } from './placement.ts';
import type { RcaInput, RcaSeries } from './rank-hypotheses.ts';
import { combineSeries } from './series-combine.ts';

/**
 * What the engine establishes before weighing causes: where each metric left its level, when the
 * incident began (the first symptom), which log templates are new or spiking, which events are
 * changes of the deployment, health events on its nodes, alerts about other services, and the
 * "drivers" the metrics show directly (more traffic, longer prompts or generations, a slower
 * engine, KV pressure, queueing, errors, lost capacity).
 */

/** How far a metric must move to count, per metric (ratio for levels, absolute for shares and near-zero levels). */
const THRESHOLDS: Record<string, ShiftThresholds> = {
  ttft: { minRatio: 1.5, minAbsolute: 0.05 },
  tpot: { minRatio: 1.4, minAbsolute: 0.003 },
  e2e_latency: { minRatio: 1.5, minAbsolute: 0.2 },
  queue_time: { minRatio: 2, minAbsolute: 0.05 },
  // Request and token rates move by a quarter before it matters (a surge is judged by its own, larger ratio).
  request_rate: { minRatio: 1.25, minAbsolute: 0.05 },
  throughput: { minRatio: 1.25, minAbsolute: 1 },
  error_rate: { minRatio: 1, minAbsolute: 0.02 },
  queue_depth: { minRatio: 2, minAbsolute: 2 },
  running: { minRatio: 1.25, minAbsolute: 2 },
  kv_cache_usage: { minRatio: 1.5, minAbsolute: 0.05 },
  preemptions: { minRatio: 2, minAbsolute: 0.05 },
  prompt_length: { minRatio: 1.4, minAbsolute: 20 },
  generation_length: { minRatio: 1.4, minAbsolute: 20 },
  prompt_throughput: { minRatio: 1.25, minAbsolute: 1 },
  prefill_time: { minRatio: 1.5, minAbsolute: 0.02 },
  decode_time: { minRatio: 1.4, minAbsolute: 0.2 },
  gpu_temperature: { minRatio: 1.1, minAbsolute: 8 },
  gpu_memory: { minRatio: 1.1, minAbsolute: 0 },
};
const DEFAULT_THRESHOLDS: ShiftThresholds = { minRatio: 1.5, minAbsolute: 0 };
/** An incident is a sustained move: at least five minutes, after single-scrape spikes are taken out. */
const SHIFT_OPTIONS = { minDurationS: 300, despike: true };
/** Levels below which a move is nobody's symptom: a KV cache at 30 % is healthy however fast it got there, 50 ms of queueing unnoticed. */
export const SYMPTOM_LEVEL: Record<string, number> = { kv_cache_usage: 0.8, queue_time: 0.1 };

/** Metrics whose move in the bad direction is a symptom people notice, as opposed to load. */
export const SYMPTOMS: Record<string, 'up' | 'down'> = {
  ttft: 'up',
  tpot: 'up',
  e2e_latency: 'up',
  queue_time: 'up',
  error_rate: 'up',
  queue_depth: 'up',
  kv_cache_usage: 'up',
  preemptions: 'up',
  prefill_time: 'up',
  decode_time: 'up',
};
/** Served work that fell: fewer requests answered or running, fewer tokens generated (capacity lost, requests failing). */
export const LOSSES: Record<string, 'down'> = {
  request_rate: 'down',
  running: 'down',
  throughput: 'down',
  prompt_throughput: 'down',
};
/** Symptoms that began this long before the clearest one, and still lasted into it, are part of the same incident. */
const EPISODE_S = 600;
/** A move at least this abrupt (jump at its start over the whole move) is a step, not a drift. */
const ABRUPT = 0.3;
/** Changes up to an hour before the onset can be blamed. */
export const LOOKBACK_S = 3600;
/** A surge or an input shift explains an incident only if it began at most this long before the symptoms (a ramp may take a while to overload). */
export const DRIVER_LEAD_S = LOOKBACK_S;
/** Health events this long before the onset (and up to HEALTH_AFTER_S after) are near it. */
export const HEALTH_BEFORE_S = 1800;
export const HEALTH_AFTER_S = 900;
/** Alerts fire after their `for:` duration: up to this long after the onset they still describe it. */
export const ALERT_AFTER_S = 1200;

export interface ClassifiedEvent {
  event: RcaEvent;
  class: EventClass;
  /** Seconds from the event to the onset (positive: before it). */
  lead: number;
}

export interface Facts {
  input: RcaInput;
  series: RcaSeries[];
  shifts: LevelShift[];
  own: LevelShift[];
  onset: number | undefined;
  step: number;
  logFindings: LogFinding[];
  neighbours: LevelShift[];
  /** Deploys and config changes of the deployment (or the fleet) from LOOKBACK_S before the onset to just after it. */
  changes: ClassifiedEvent[];
  /** Node and GPU health events near the onset on a place the deployment runs on. */
  health: ClassifiedEvent[];
  /** Alerts near the onset about a service that is not one of the fleet's deployments (a dependency). */
  otherServiceAlerts: ClassifiedEvent[];
  /** Alerts near the onset whose text points at a cause kind. */
  hintingAlerts: Array<ClassifiedEvent & { hint: CauseKind }>;
  /** Lifecycle events of the deployment's own pods (OOMKilled, evicted) near the onset. */
  podEvents: ClassifiedEvent[];
  drivers: Drivers;
}

export interface Drivers {
  surge?: LevelShift | undefined;
  promptLonger?: LevelShift | undefined;
  generationLonger?: LevelShift | undefined;
  engineSlower?: LevelShift | undefined;
  /** TTFT or prefill time up while the per-token time is not: prefill got slower or prompts longer. */
  prefillSlower?: LevelShift | undefined;
  queueing?: LevelShift | undefined;
  kvPressure?: LevelShift | undefined;
  /** GPU memory in use grew: with vLLM's preallocated cache, something else took memory. */
  memoryTaken?: LevelShift | undefined;
  preemptions?: LevelShift | undefined;
  errors?: LevelShift | undefined;
  e2e?: LevelShift | undefined;
  /** Fewer requests running or fewer tokens generated while traffic did not drop: capacity lost. */
  capacityLoss?: LevelShift | undefined;
}

export function establishFacts(input: RcaInput): Facts {
  const series = combineSeries(input.series);
  const step = medianStep(series);
  const shifts = focusedShifts(series, input.focus, step);
  const own = shifts.filter((s) => s.deployment === input.deployment).sort((a, b) => a.start - b.start);
  const onset = onsetOf(own);
  // Log lines from shortly before the onset belong to the incident (a deploy logs before its metrics move).
  // Rates lag what they measure by up to their window, so the split is a few minutes before the onset.
  const split = onset !== undefined ? new Date((onset - Math.max(3 * step, 300)) * 1000) : input.focus?.start;
  const logFindings = split ? findLogChanges(input.logs, split) : [];
  const near = Math.max(300, 3 * step);
  const neighbours =
    onset === undefined ? [] : shifts.filter((s) => s.deployment !== input.deployment && Math.abs(s.start - onset) <= near);

  const classified: ClassifiedEvent[] =
    onset === undefined
      ? []
      : input.events.map((event) => ({ event, class: classifyEvent(event), lead: onset - event.time.getTime() / 1000 }));
  // Rates and quantiles lag by their window: a change logged up to two steps after the first move may still be its cause.
  const tolerance = 2 * step + 60;
  const changes = classified.filter(
    (c) =>
      (c.class === 'deployment_change' || c.class === 'config_change') &&
      concerns(c.event, input.deployment) &&
      c.lead <= LOOKBACK_S &&
      c.lead >= -tolerance,
  );
  const placement = new Placement(input.deployment, input.series, input.logs);
  const nearOnset = (c: ClassifiedEvent, before: number, after: number) => c.lead <= before && c.lead >= -after;
  const health = classified.filter(
    (c) => c.class === 'health' && nearOnset(c, HEALTH_BEFORE_S, HEALTH_AFTER_S) && placement.runsOn(placesNamed(c.event)),
  );
  const deployments = new Set(series.map((s) => s.deployment.toLowerCase()));
  const otherServiceAlerts = classified.filter(
    (c) =>
      c.class === 'alert' &&
      nearOnset(c, 600, ALERT_AFTER_S) &&
      !isFleetWide(c.event) &&
      !concerns(c.event, input.deployment) &&
      !c.event.target
        .toLowerCase()
        .split(/[/:@ ,]/)
        .some((part) => deployments.has(part)),
  );
  const hintingAlerts = classified
    .filter((c) => c.class === 'alert' && nearOnset(c, 600, ALERT_AFTER_S))
    .map((c) => ({ ...c, hint: alertHint(c.event) }))
    .filter((c): c is ClassifiedEvent & { hint: CauseKind } => c.hint !== undefined);
  const podEvents = classified.filter(
    (c) =>
      c.class === 'pod' &&
      nearOnset(c, 600, 2 * HEALTH_AFTER_S) &&
      (concerns(c.event, input.deployment) || ownsPod(c.event, input.deployment)),
  );
  const facts: Facts = {
    input,
    series,
    shifts,
    own,
    onset,
    step,
    logFindings,
    neighbours,
    changes,
    health,
    otherServiceAlerts,
    hintingAlerts,
    podEvents,
    drivers: {},
  };
  facts.drivers = driversOf(facts);
  return facts;
}

/**
 * When the incident began: the earliest clear symptom (a t statistic at least half the clearest one's) that is a
 * step rather than a drift (or the most abrupt clear one when none is), and
 * any symptom that began up to EPISODE_S before it and lasted into it. Traffic that rose hours earlier (a daily
 * ramp), a slow evening decline, and a short queue at the daily peak are not the incident.
 */
function onsetOf(own: readonly LevelShift[]): number | undefined {
  const symptoms = own.filter(isSymptom);
  // A slow drift (fewer requests as the evening goes) is not where an incident starts: steps are, when there are any.
  const clearest = Math.max(0, ...symptoms.map((s) => s.t));
  const clear = symptoms.filter((s) => s.t >= clearest / 2);
  const steps = clear.filter((s) => s.abruptness >= ABRUPT);
  const anchor =
    steps.length > 0
      ? [...steps].sort((a, b) => a.start - b.start)[0]
      : [...clear].sort((a, b) => b.abruptness - a.abruptness || a.start - b.start)[0];
  if (!anchor) return own[0]?.start;
  const episode = symptoms.filter((s) => s.start >= anchor.start - EPISODE_S && s.start <= anchor.start && s.end >= anchor.start);
  return Math.min(...episode.map((s) => s.start));
}

/** Where each (combined) series left its usual level, with the engine's thresholds. */
export function shiftsOf(series: readonly RcaSeries[], startFrom?: number): LevelShift[] {
  return series
    .map((s) =>
      findLevelShift(
        s.points,
        { metric: s.metric, deployment: s.deployment },
        { ...(THRESHOLDS[s.metric] ?? DEFAULT_THRESHOLDS), ...SHIFT_OPTIONS, ...(startFrom !== undefined ? { startFrom } : {}) },
      ),
    )
    .filter((s): s is LevelShift => s !== undefined);
}

/**
 * The moves that began in the window asked about (a few minutes' slack for rates that lag); for a
 * deployment with none there, the moves still under way in it (an incident that began earlier). An
 * older change of level that lasts into the window, such as a restart of the metrics' source hours
 * before, is then never mistaken for the incident of a deployment that moved inside the window.
 */
function focusedShifts(series: readonly RcaSeries[], focus: RcaInput['focus'], step: number): LevelShift[] {
  if (!focus) return shiftsOf(series);
  const inside = shiftsOf(series, focus.start.getTime() / 1000 - Math.max(3 * step, 300));
  const movedInside = new Set(inside.map((s) => s.deployment));
  const earlier = shiftsOf(series.filter((s) => !movedInside.has(s.deployment))).filter(
    (s) => s.end >= focus.start.getTime() / 1000 - step,
  );
  return [...inside, ...earlier];
}

/** A move a user would call a symptom: latency, errors, queueing or a full cache up, or served work down. */
export function isSymptom(s: LevelShift): boolean {
  return (SYMPTOMS[s.metric] === s.direction && s.after >= (SYMPTOM_LEVEL[s.metric] ?? 0)) || LOSSES[s.metric] === s.direction;
}

/** A pod named `<deployment>-<hash>-<id>` belongs to the deployment. */
function ownsPod(event: RcaEvent, deployment: string): boolean {
  const name = deployment.toLowerCase();
  return event.target
    .toLowerCase()
    .split(/[/:@ ,]/)
    .some((part) => part.startsWith(`${name}-`));
}

export function moved(facts: Facts, metric: string, direction: 'up' | 'down' = 'up', minRatio = 0): LevelShift | undefined {
  return facts.own.find(
    (s) =>
      s.metric === metric &&
      s.direction === direction &&
      (s.ratio === null || (direction === 'up' ? s.ratio >= minRatio : s.ratio <= 1 / Math.max(minRatio, 1e-9))),
  );
}

/**
 * A driver (more traffic, longer requests) that can explain the symptoms: it began at most DRIVER_LEAD_S before
 * the onset, or up to twice that if it rose abruptly (faster than a daily rhythm) and was still there when the
 * symptoms began (a ramp can take a while to overload). A daily ramp hours earlier is not a driver.
 */
function recent(facts: Facts, shift: LevelShift | undefined): LevelShift | undefined {
  if (!shift || facts.onset === undefined) return shift;
  if (shift.start >= facts.onset - DRIVER_LEAD_S) return shift;
  const lasting = shift.end >= facts.onset - facts.step;
  return lasting && shift.abruptness >= ABRUPT && shift.start >= facts.onset - 2 * DRIVER_LEAD_S ? shift : undefined;
}

function driversOf(facts: Facts): Drivers {
  const up = (metric: string, minRatio = 0) => moved(facts, metric, 'up', minRatio);
  const engineSlower = up('tpot', 1.4);
  const ttft = up('ttft') ?? up('prefill_time');
  const queueing = up('queue_depth') ?? up('queue_time');
  const requests = moved(facts, 'request_rate', 'down');
  const lost = moved(facts, 'running', 'down') ?? moved(facts, 'throughput', 'down');
  // Load shed (429s, "rate limit") while more requests than usual were served: a surge a limiter capped.
  const shedding = facts.logFindings.some((f) => f.kind === 'traffic_surge') && facts.changes.length === 0;
  return {
    surge: recent(facts, up('request_rate', 1.5) ?? (shedding ? up('request_rate', 1.25) : undefined)),
    promptLonger: recent(facts, up('prompt_length', 1.4)),
    generationLonger: recent(facts, up('generation_length', 1.4)),
    engineSlower,
    prefillSlower: ttft && !up('tpot', 1.2) && !queueing ? ttft : undefined,
    queueing,
    kvPressure: up('kv_cache_usage'),
    memoryTaken: up('gpu_memory', 1.1),
    preemptions: up('preemptions'),
    errors: up('error_rate'),
    e2e: up('e2e_latency'),
    capacityLoss: lost && !requests ? lost : undefined,
  };
}

export function medianStep(series: readonly RcaSeries[]): number {
  const gaps: number[] = [];
  for (const s of series)
    for (let i = 1; i < Math.min(s.points.length, 50); i++) gaps.push((s.points[i]?.t ?? 0) - (s.points[i - 1]?.t ?? 0));
  gaps.sort((a, b) => a - b);
  return gaps.length > 0 ? Math.max(1, gaps[gaps.length >> 1] as number) : 60;
}
