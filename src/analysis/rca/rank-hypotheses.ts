import {
  changeHypotheses,
  dependencyFailure,
  hardwareFaults,
  inputShift,
  resourceExhaustion,
  type Scored,
  trafficSurge,
} from './cause-hypotheses.ts';
import type { CauseKind } from './cause-kinds.ts';
import type { RcaEvent } from './change-events.ts';
import { type Evidence, metricEvidence } from './evidence-text.ts';
import { establishFacts } from './incident-facts.ts';
import type { LevelShift } from './level-shift.ts';
import type { LogFinding, RcaLogLine } from './log-evidence.ts';

export type { Evidence } from './evidence-text.ts';

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
  /** The series' labels as the source gave them (a pod, a node, a GPU), when known. */
  labels?: Readonly<Record<string, string>> | undefined;
  /** Where it came from (a file); series of one metric and deployment from one source are parts of one whole (per pod, per GPU). */
  source?: string | undefined;
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

export function rankHypotheses(input: RcaInput): RcaResult {
  const facts = establishFacts(input);
  const candidates = [
    ...changeHypotheses(facts),
    trafficSurge(facts),
    resourceExhaustion(facts),
    ...hardwareFaults(facts),
    dependencyFailure(facts),
    inputShift(facts),
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
  const { own } = facts;
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
    onset: facts.onset === undefined ? null : new Date(facts.onset * 1000).toISOString(),
    shifts: facts.shifts,
    logFindings: facts.logFindings,
    hypotheses: all.map(({ score, ...h }) => ({ ...h, confidence: Math.round((score / total) * 100) / 100 })),
  };
}
