import type { Deployment, Pod } from './fleet.ts';
import type { MetricId } from './incident-types.ts';
import type { MetricName } from './metric-names.ts';
import type { Random } from './random.ts';
import type { DeploymentState, ReplicaState } from './serving-sim.ts';

/**
 * Turns true states into what Prometheus returns: rates and quantiles averaged over the rate
 * window (a step becomes a ramp), counting noise that grows when traffic is thin, scrape
 * gaps, NaN quantiles when no request finished, occasional outliers, values as strings.
 */
export interface ObserveOptions {
  step: number;
  /** Points in the rate window (`rate(x[5m])` at a 30 s step: 10). */
  windowPoints: number;
  /** Relative noise of latency-like values. */
  noise: number;
  /** Share of points that are outliers in quantiles. */
  spikeRate: number;
  /** Sorted indices of points dropped (failed scrapes). */
  gaps: Set<number>;
}

/** The value of a metric for one state (a deployment's or one replica's). */
export function truth(metric: MetricId, s: DeploymentState | ReplicaState, d: Deployment): number {
  const dep = 'replicas' in s ? s : undefined;
  const arrivals = s.arrivals;
  switch (metric) {
    case 'ttft':
      return s.ttftP95;
    case 'tpot':
      return s.tpotP95;
    case 'e2e':
      return s.e2eP95;
    case 'queue_time':
      return s.queueTimeP95;
    case 'request_rate':
      return dep ? dep.arrivals : arrivals;
    case 'success_rate':
      return s.served;
    case 'error_rate': {
      const failed = dep ? dep.failed + dep.rejected + dep.dependencyFailed : s.failed;
      const total = dep ? dep.arrivals : arrivals;
      return total > 0 ? failed / total + d.params.baseErrorRate : d.params.baseErrorRate;
    }
    case 'waiting':
      return s.waiting;
    case 'running':
      return s.running;
    case 'kv_usage':
      return s.kvUsage;
    case 'preemptions':
      return s.preemptions;
    case 'prompt_len':
      return s.promptMean;
    case 'gen_len':
      return s.generationMean;
    case 'gen_tokens_rate':
      return s.served * s.generationMean;
    case 'prompt_tokens_rate':
      return s.served * s.promptMean;
    case 'prefill_time':
      return s.prefillP95;
    case 'decode_time':
      return s.decodeP95;
    case 'gpu_util':
      return s.gpuUtil / 100;
    case 'gpu_temp':
      return s.gpuTemp;
    case 'gpu_mem':
      return s.gpuMemoryUsed;
    case 'cpu':
      return dep ? dep.cpuCores : 0.3 + 0.02 * arrivals;
    case 'memory_bytes':
      return 6e9 + 1e8 * s.running;
  }
}

type Shape = 'rate' | 'ratio' | 'quantile' | 'mean' | 'gauge' | 'count' | 'level';
const SHAPES: Record<MetricId, Shape> = {
  ttft: 'quantile',
  tpot: 'quantile',
  e2e: 'quantile',
  queue_time: 'quantile',
  prefill_time: 'quantile',
  decode_time: 'quantile',
  request_rate: 'rate',
  success_rate: 'rate',
  gen_tokens_rate: 'rate',
  prompt_tokens_rate: 'rate',
  preemptions: 'rate',
  error_rate: 'ratio',
  prompt_len: 'mean',
  gen_len: 'mean',
  waiting: 'count',
  running: 'count',
  kv_usage: 'gauge',
  gpu_util: 'gauge',
  gpu_mem: 'level',
  gpu_temp: 'level',
  cpu: 'rate',
  memory_bytes: 'level',
};

/** One observed series: [epoch seconds, "value"] pairs as query_range gives them. */
export function observe(
  r: Random,
  metric: MetricId,
  states: ReadonlyArray<DeploymentState | ReplicaState>,
  times: readonly number[],
  d: Deployment,
  name: MetricName,
  o: ObserveOptions,
  alive?: (i: number) => boolean,
): Array<[number, string]> {
  const shape = SHAPES[metric];
  const raw = states.map((s) => truth(metric, s, d));
  const windowed =
    shape === 'rate' || shape === 'ratio' || shape === 'quantile' || shape === 'mean' ? trailingMean(raw, o.windowPoints) : raw;
  const out: Array<[number, string]> = [];
  for (let i = 0; i < states.length; i++) {
    if (o.gaps.has(i) || (alive && !alive(i))) continue;
    const s = states[i] as DeploymentState | ReplicaState;
    const requests = Math.max(0, s.arrivals) * o.step * o.windowPoints;
    let v = windowed[i] as number;
    if (!Number.isFinite(v)) {
      if (shape === 'quantile' || shape === 'mean') out.push([times[i] as number, 'NaN']);
      continue;
    }
    switch (shape) {
      case 'rate':
        v = Math.max(
          0,
          v + Math.sqrt(Math.max(v, 1e-9) / (o.step * o.windowPoints)) * r.normal() + v * o.noise * 0.3 * r.normal(),
        );
        break;
      case 'ratio':
        v = Math.max(0, v + Math.sqrt((v * (1 - Math.min(v, 1))) / Math.max(1, requests)) * r.normal());
        break;
      case 'quantile':
      case 'mean': {
        if (requests < 0.5 && r.chance(0.7)) {
          out.push([times[i] as number, 'NaN']);
          continue;
        }
        const sd = o.noise * (shape === 'mean' ? 0.5 : 1) * (1 + 3 / Math.sqrt(1 + requests));
        v *= Math.exp(sd * r.normal());
        if (shape === 'quantile' && r.chance(o.spikeRate)) v *= r.uniform(1.5, 4);
        break;
      }
      case 'count':
        v = Math.max(0, Math.round(v + Math.sqrt(Math.max(v, 0.3)) * 0.7 * r.normal()));
        break;
      case 'gauge':
        v = Math.min(1, Math.max(0, v + (0.01 + 0.2 * o.noise) * r.normal() * Math.sqrt(Math.max(v, 0.01))));
        break;
      case 'level':
        v *= 1 + o.noise * 0.2 * r.normal();
        break;
    }
    out.push([times[i] as number, format(v * name.scale)]);
  }
  return out;
}

function trailingMean(values: readonly number[], n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    let sum = 0;
    let count = 0;
    for (let j = Math.max(0, i - n + 1); j <= i; j++) {
      const v = values[j] as number;
      if (Number.isFinite(v)) {
        sum += v;
        count++;
      }
    }
    out.push(count > 0 ? sum / count : Number.NaN);
  }
  return out;
}

function format(v: number): string {
  if (v === 0) return '0';
  return String(Number(v.toPrecision(6)));
}

/** Labels of a deployment-level series in this scenario's labelling. */
export function deploymentLabels(label: string, d: Deployment, extra: Record<string, string>): Record<string, string> {
  return { [label]: d.name, ...extra };
}

/** Labels of a per-pod series: the pod, its address and, when relabelled, its node. */
export function podLabels(label: string, d: Deployment, pod: Pod, nodeLabel: string | undefined): Record<string, string> {
  return {
    [label]: d.name,
    pod: pod.name,
    instance: `${pod.ip}:8000`,
    namespace: 'llm',
    ...(nodeLabel ? { [nodeLabel]: pod.node } : {}),
  };
}

/** What an on-call notices: latency up by half and by a visible amount, errors up two points, a queue, a full KV cache, lost capacity. */
const NOTICEABLE: Partial<Record<MetricId, (before: number, after: number) => boolean>> = {
  ttft: (b, a) => a >= 1.5 * b && a - b >= 0.05,
  tpot: (b, a) => a >= 1.4 * b && a - b >= 0.004,
  e2e: (b, a) => a >= 1.5 * b && a - b >= 0.3,
  queue_time: (b, a) => a >= 2 * b && a - b >= 0.1,
  prefill_time: (b, a) => a >= 1.5 * b && a - b >= 0.05,
  decode_time: (b, a) => a >= 1.4 * b && a - b >= 0.3,
  error_rate: (b, a) => a - b >= 0.02,
  waiting: (b, a) => a >= 2 * b + 2,
  kv_usage: (b, a) => a >= 0.85 && a - b >= 0.1,
  preemptions: (b, a) => a - b >= 0.05,
  running: (b, a) => a <= 0.67 * b,
  success_rate: (b, a) => a <= 0.8 * b,
};

/** What shows a cause to someone looking for it (weaker than what pages someone): a visible move against the counterfactual. */
const SHOWS: Partial<Record<MetricId, (usual: number, actual: number) => boolean>> = {
  request_rate: (b, a) => a >= 1.3 * b || a <= b / 1.3,
  success_rate: (b, a) => a >= 1.3 * b || a <= 0.85 * b,
  prompt_len: (b, a) => a >= 1.3 * b,
  gen_len: (b, a) => a >= 1.3 * b,
  prompt_tokens_rate: (b, a) => a >= 1.3 * b || a <= b / 1.3,
  gen_tokens_rate: (b, a) => a >= 1.3 * b || a <= b / 1.3,
  kv_usage: (b, a) => a - b >= 0.1,
  preemptions: (b, a) => a - b >= 0.02,
  gpu_mem: (b, a) => a >= 1.05 * b,
  gpu_temp: (b, a) => a - b >= 5,
  error_rate: (b, a) => a - b >= 0.01,
  running: (b, a) => a <= 0.85 * b || a >= 1.2 * b,
  waiting: (b, a) => a >= b + 2,
  ttft: (b, a) => a >= 1.3 * b,
  tpot: (b, a) => a >= 1.25 * b,
  e2e: (b, a) => a >= 1.3 * b,
  queue_time: (b, a) => a - b >= 0.1,
  prefill_time: (b, a) => a >= 1.3 * b,
  decode_time: (b, a) => a >= 1.25 * b,
};

/**
 * The symptoms of the affected deployment an on-call would notice: its true states against the same deployment
 * with the same traffic and no incident (the counterfactual), compared 5-minute median against 5-minute median
 * over the two hours after the onset, so a daily rhythm or a batch job ending is never taken for the incident.
 */
export function noticeableSymptoms(
  states: readonly DeploymentState[],
  counterfactual: readonly DeploymentState[],
  d: Deployment,
  onset: number,
  step: number,
): { noticed: Set<MetricId>; shown: Set<MetricId> } {
  const noticed = new Set<MetricId>();
  const shown = new Set<MetricId>();
  const median = (values: number[]) => {
    const v = values.filter(Number.isFinite).sort((x, y) => x - y);
    return v.length > 0 ? (v[v.length >> 1] as number) : Number.NaN;
  };
  const span = Math.max(1, Math.round(300 / step));
  const from = states.findIndex((s) => s.t >= onset);
  if (from < 0) return { noticed, shown };
  const to = Math.min(states.length, from + Math.round(7200 / step));
  const metrics = new Set([...Object.keys(NOTICEABLE), ...Object.keys(SHOWS)] as MetricId[]);
  for (const metric of metrics) {
    for (let i = from; i + span <= to; i++) {
      const actual = median(states.slice(i, i + span).map((s) => truth(metric, s, d)));
      const usual = median(counterfactual.slice(i, i + span).map((s) => truth(metric, s, d)));
      if (!Number.isFinite(actual) || !Number.isFinite(usual)) continue;
      if (NOTICEABLE[metric]?.(usual, actual)) noticed.add(metric);
      if (SHOWS[metric]?.(usual, actual)) shown.add(metric);
    }
  }
  return { noticed, shown };
}
