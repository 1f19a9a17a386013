import type { Deployment, Fleet, Pod } from './fleet.ts';
import type { Message } from './log-catalogue.ts';
import type { Random } from './random.ts';
import type { DeploymentState, Effects } from './serving-sim.ts';

/** The cause kinds a scenario can have, as `llmops rca` names them. */
export const SCENARIO_KINDS = [
  'deployment_change',
  'config_change',
  'traffic_surge',
  'resource_exhaustion',
  'hardware_fault',
  'dependency_failure',
  'input_shift',
] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** The generator's own names for the series it can write (file names are chosen later). */
export const METRIC_IDS = [
  'ttft',
  'tpot',
  'e2e',
  'queue_time',
  'request_rate',
  'success_rate',
  'error_rate',
  'waiting',
  'running',
  'kv_usage',
  'preemptions',
  'prompt_len',
  'gen_len',
  'gen_tokens_rate',
  'prompt_tokens_rate',
  'prefill_time',
  'decode_time',
  'gpu_util',
  'gpu_temp',
  'gpu_mem',
  'cpu',
  'memory_bytes',
] as const;
export type MetricId = (typeof METRIC_IDS)[number];

export interface GenEvent {
  id: string;
  time: number;
  kind: string;
  target: string;
  description: string;
  /** Why the generator wrote it (not written to the file). */
  role: 'cause' | 'decoy' | 'reaction' | 'alert' | 'health';
}

/** Log lines the incident makes: expected lines per step from the state, each drawn by `make`. */
export interface LogRule {
  rate: (t: number, s: DeploymentState) => number;
  make: (r: Random, t: number, s: DeploymentState) => Message;
  /** The replica whose pod prints it; a random serving one when absent. */
  replica?: number | undefined;
}

export interface OneOffLine {
  t: number;
  message: Message;
  replica?: number | undefined;
  pod?: Pod | undefined;
}

export interface Requirement {
  /** Any one of these sets of series, all present, shows the cause. */
  alternatives: MetricId[][];
  /** The incident's own log lines also show it (when the scenario keeps logs). */
  logsSuffice: boolean;
  /** A health event's node must be linked to the deployment through labels or logs. */
  needsLink?: boolean | undefined;
  /** The logs are the only evidence besides the metrics: the scenario must keep them. */
  needsLogs?: boolean | undefined;
  /** An event (an alert) is the only evidence besides the metrics: the scenario must keep the events file. */
  needsEvents?: boolean | undefined;
}

export interface Incident {
  kind: ScenarioKind;
  variant: string;
  /** When the first symptom begins (epoch seconds). */
  onset: number;
  /** Events whose blame counts as right; empty: no event is to blame. */
  truthEventIds: string[];
  effects: Array<{ deployment: string; at: (t: number, replica: number) => Partial<Effects> }>;
  events: GenEvent[];
  logRules: LogRule[];
  oneOffs: OneOffLine[];
  requires: Requirement;
  /** No routine change of the affected deployment may fall this many seconds before the onset (it would be a fair suspect). */
  quietBefore?: number | undefined;
  /** Nodes an incident makes unhealthy (decoy health events avoid them). */
  badNodes?: string[] | undefined;
}

/** What an incident builder may use: the fleet, the window, and the scenario's styles. */
export interface IncidentContext {
  r: Random;
  fleet: Fleet;
  affected: Deployment;
  neighbours: Deployment[];
  start: number;
  end: number;
  step: number;
  /** The proposed time the fault begins. */
  faultAt: number;
  nextId: () => string;
  /** How this scenario's events name a deployment. */
  targetOf: (deployment: string) => string;
  /** Traffic of a deployment at t before faults, requests per second. */
  trafficAt: (d: Deployment, t: number) => number;
  /** Replace replica k's pod from time `at` (a rollout or a reschedule); returns the new pod. */
  replacePod: (d: Deployment, replica: number, at: number, options?: { replicaSet?: string; node?: string }) => Pod;
  podAt: (d: Deployment, replica: number, t: number) => Pod;
  /** Every node a deployment's pods run on at any time in the window. */
  nodesOf: (d: Deployment) => Set<string>;
  /** Scales a parameter until the deployment's load is `overload` times what it can serve at t. */
  factorForOverload: (
    d: Deployment,
    t: number,
    overload: number,
    make: (x: number) => Partial<Effects>,
    range: [number, number],
  ) => number;
}
