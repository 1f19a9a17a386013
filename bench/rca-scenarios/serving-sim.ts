import type { Deployment, Pod } from './fleet.ts';

/**
 * A fluid model of a vLLM deployment, step by step: requests arrive at the traffic of the hour,
 * each replica admits up to max_num_seqs sequences while their KV cache fits, decodes at a step
 * time that grows with the batch, queues the rest (clients give up after a timeout), and preempts
 * when the KV cache is nearly full. Faults change the inputs of this model, never its outputs, so
 * every metric moves the way a real server's would (a surge fills the queue and the KV cache too,
 * a lost GPU shifts load to the other replicas, a slow dependency shows at the gateway only).
 */
export interface Effects {
  rateFactor: number;
  promptFactor: number;
  generationFactor: number;
  /** Decode step time multiplier (>1 slower) and prefill speed multiplier (<1 slower). */
  stepFactor: number;
  prefillFactor: number;
  kvFactor: number;
  slotsFactor: number;
  /** The replica serves nothing (pod lost, restarting, node down). */
  down: boolean;
  /** Share of this replica's requests that fail (a broken GPU, a bad build). */
  replicaErrors: number;
  /** Share of the deployment's requests rejected before the engine (rate limit, too long, 4xx of a new build). */
  rejected: number;
  /** A dependency in the request path: share of requests it touches, seconds it adds, share of those failing. */
  dependencyShare: number;
  dependencyDelay: number;
  dependencyFailures: number;
  /** GPU memory held by something else (fraction of the card), degrees added, clocks factor. */
  foreignMemory: number;
  temperatureAdd: number;
}

export const NO_EFFECTS: Effects = {
  rateFactor: 1,
  promptFactor: 1,
  generationFactor: 1,
  stepFactor: 1,
  prefillFactor: 1,
  kvFactor: 1,
  slotsFactor: 1,
  down: false,
  replicaErrors: 0,
  rejected: 0,
  dependencyShare: 0,
  dependencyDelay: 0,
  dependencyFailures: 0,
  foreignMemory: 0,
  temperatureAdd: 0,
};

/** The true state of one replica over one step. */
export interface ReplicaState {
  pod: Pod;
  up: boolean;
  arrivals: number;
  served: number;
  failed: number;
  waiting: number;
  running: number;
  kvUsage: number;
  preemptions: number;
  ttftP95: number;
  tpotP95: number;
  e2eP95: number;
  queueTimeP95: number;
  prefillP95: number;
  decodeP95: number;
  promptMean: number;
  generationMean: number;
  gpuUtil: number;
  gpuTemp: number;
  gpuMemoryUsed: number;
}

/** The true state of a deployment over one step (sums and request-weighted quantiles of its replicas). */
export interface DeploymentState {
  t: number;
  arrivals: number;
  served: number;
  failed: number;
  rejected: number;
  dependencyFailed: number;
  waiting: number;
  running: number;
  kvUsage: number;
  preemptions: number;
  ttftP95: number;
  tpotP95: number;
  e2eP95: number;
  queueTimeP95: number;
  prefillP95: number;
  decodeP95: number;
  promptMean: number;
  generationMean: number;
  gpuUtil: number;
  gpuTemp: number;
  gpuMemoryUsed: number;
  cpuCores: number;
  replicas: ReplicaState[];
}

export interface SimOptions {
  start: number;
  step: number;
  points: number;
  /** Effects on replica `k` at time t. */
  effects: (t: number, replica: number) => Effects;
  /** The pod that is replica `k` at time t. */
  podAt: (t: number, replica: number) => Pod;
  /** Seconds a client waits in the queue before giving up. */
  clientTimeout: number;
  /** Whether the gateway's latency (with the dependency's delay) is what TTFT measures. */
  dependencyInTtft: boolean;
}

/** The daily traffic of a deployment at time t (requests per second, before faults). */
export function trafficAt(d: Deployment, t: number, wanderState: number): number {
  const hour = (((t / 3600) % 24) + 24) % 24;
  const daily = 1 + d.dailyAmplitude * Math.cos((2 * Math.PI * (hour - d.peakHour)) / 24);
  let batch = 1;
  if (d.batchJob) {
    const into = (hour - d.batchJob.startHour + 24) % 24;
    if (into < d.batchJob.hours) batch = d.batchJob.factor;
  }
  return d.baseRate * daily * batch * Math.exp(wanderState);
}

/** The most requests per second one replica serves with these parameters (its saturation point). */
export function replicaCapacity(d: Deployment, e: Effects = NO_EFFECTS): number {
  const m = model(d, e);
  return m.maxConcurrency / m.serviceTime(m.maxConcurrency);
}

function model(d: Deployment, e: Effects) {
  const p = d.params;
  const prompt = Math.min(p.promptTokens * e.promptFactor, p.maxModelLen * 0.9);
  const generation = p.generationTokens * e.generationFactor;
  const slots = Math.max(1, Math.round(p.slots * e.slotsFactor));
  const kv = p.kvTokens * e.kvFactor * Math.max(0.05, 1 - e.foreignMemory * 1.6);
  const kvPerSequence = prompt + generation / 2;
  const maxConcurrency = Math.max(1, Math.min(slots, (0.95 * kv) / kvPerSequence));
  const step = (c: number) => p.stepSeconds * e.stepFactor * (1 + (p.batchPenalty * c) / slots);
  const prefill = prompt / (p.prefillTokensPerSecond * e.prefillFactor);
  const serviceTime = (c: number) => prefill + generation * step(c);
  return { prompt, generation, slots, kv, kvPerSequence, maxConcurrency, step, prefill, serviceTime };
}

/** Runs the model for one deployment; `rate(t)` is its traffic before faults. */
export function simulateDeployment(d: Deployment, options: SimOptions, rate: (t: number) => number): DeploymentState[] {
  const { step } = options;
  const queues = new Array<number>(d.replicas).fill(0);
  const out: DeploymentState[] = [];
  for (let i = 0; i < options.points; i++) {
    const t = options.start + i * step;
    const effects = Array.from({ length: d.replicas }, (_, k) => options.effects(t, k));
    const deploymentEffects = effects[0] as Effects;
    const offered = rate(t) * deploymentEffects.rateFactor;
    const rejected = offered * Math.min(1, deploymentEffects.rejected);
    // Requests that fail in a dependency before the engine never reach it.
    const dependencyFailed = (offered - rejected) * deploymentEffects.dependencyShare * deploymentEffects.dependencyFailures;
    const toEngine = offered - rejected - dependencyFailed;
    const up = effects.map((e) => !e.down);
    const upCount = up.filter(Boolean).length;
    const replicas: ReplicaState[] = [];
    for (let k = 0; k < d.replicas; k++) {
      const e = effects[k] as Effects;
      const pod = options.podAt(t, k);
      const m = model(d, e);
      const arrivals = upCount > 0 && up[k] ? toEngine / upCount : 0;
      if (!up[k]) {
        queues[k] = 0;
        replicas.push(idleReplica(pod, e, m.prompt, m.generation));
        continue;
      }
      const failedFast = arrivals * e.replicaErrors;
      const admitted = arrivals - failedFast;
      const cMax = m.maxConcurrency;
      const muMax = cMax / m.serviceTime(cMax);
      // c = λ·T(c), with T linear in c: solve directly, saturate at cMax.
      const base = m.prefill + m.generation * d.params.stepSeconds * e.stepFactor;
      const slope = (m.generation * d.params.stepSeconds * e.stepFactor * d.params.batchPenalty) / m.slots;
      const denominator = 1 - admitted * slope;
      let running: number;
      let served: number;
      let failed = failedFast;
      let queue = queues[k] as number;
      const fluid = denominator > 0 ? (admitted * base) / denominator : Number.POSITIVE_INFINITY;
      if (fluid <= cMax) {
        running = fluid;
        served = admitted;
        queue = Math.max(0, queue - (muMax - admitted) * step);
      } else {
        running = cMax;
        served = muMax;
        queue += (admitted - muMax) * step;
      }
      const rho = Math.min(0.995, admitted / muMax);
      const stochastic = rho < 1 ? (0.5 * rho ** 8) / (1 - rho) : 0;
      // Clients give up after the timeout: the queue never holds more than that much work.
      const cap = muMax * options.clientTimeout;
      if (queue > cap) {
        failed += (queue - cap) / step;
        queue = cap;
      }
      queues[k] = queue;
      const waiting = queue + stochastic;
      const queueTime = waiting / Math.max(served, 1e-6);
      const kvUsage = Math.min(1, (running * m.kvPerSequence) / m.kv);
      const pressure = Math.max(0, (kvUsage - 0.88) / 0.12);
      const preemptions = served * pressure ** 2 * 0.35;
      const tau = m.step(running);
      const promptTail = Math.exp(1.645 * d.params.promptSpread);
      const prefillP95 = m.prefill * promptTail * (1 + 0.3 * Math.min(1, running / m.slots)) * (1 + pressure * 0.5);
      const queueTimeP95 = queueTime * 1.6 + (stochastic > 0.05 ? tau : 0);
      const dependency = options.dependencyInTtft && e.dependencyShare >= 0.05 ? e.dependencyDelay : 0;
      const ttftP95 = queueTimeP95 + prefillP95 + 2 * tau + dependency;
      const tpotP95 = tau * (1.2 + 0.3 * pressure);
      const decodeP95 = m.generation * 2.2 * tau;
      const e2eP95 = queueTimeP95 + prefillP95 + decodeP95 + (e.dependencyShare >= 0.05 ? e.dependencyDelay : 0);
      const util = Math.min(100, 20 + 80 * Math.min(1, running / Math.max(1, 0.4 * m.slots)));
      replicas.push({
        pod,
        up: true,
        arrivals,
        served,
        failed,
        waiting,
        running,
        kvUsage,
        preemptions,
        ttftP95,
        tpotP95,
        e2eP95,
        queueTimeP95,
        prefillP95,
        decodeP95,
        promptMean: m.prompt,
        generationMean: m.generation,
        gpuUtil: util / Math.max(1, e.stepFactor ** 0.3),
        gpuTemp: 42 + 0.33 * util + e.temperatureAdd,
        gpuMemoryUsed: 0.9 + e.foreignMemory,
      });
    }
    out.push(aggregate(t, d, replicas, offered, rejected, dependencyFailed, deploymentEffects));
  }
  return out;
}

function idleReplica(pod: Pod, e: Effects, prompt: number, generation: number): ReplicaState {
  return {
    pod,
    up: false,
    arrivals: 0,
    served: 0,
    failed: 0,
    waiting: 0,
    running: 0,
    kvUsage: 0,
    preemptions: 0,
    ttftP95: Number.NaN,
    tpotP95: Number.NaN,
    e2eP95: Number.NaN,
    queueTimeP95: Number.NaN,
    prefillP95: Number.NaN,
    decodeP95: Number.NaN,
    promptMean: prompt,
    generationMean: generation,
    gpuUtil: 0,
    gpuTemp: 35 + e.temperatureAdd,
    gpuMemoryUsed: e.foreignMemory,
  };
}

/** The deployment's view: counts add up, quantiles follow the slowest replica that carries ≥ 5 % of requests. */
function aggregate(
  t: number,
  d: Deployment,
  replicas: ReplicaState[],
  offered: number,
  rejected: number,
  dependencyFailed: number,
  e: Effects,
): DeploymentState {
  const sum = (f: (r: ReplicaState) => number) => replicas.reduce((s, r) => s + f(r), 0);
  const served = sum((r) => r.served);
  const up = replicas.filter((r) => r.up && r.arrivals > 0);
  const quantile = (f: (r: ReplicaState) => number) => {
    if (up.length === 0) return Number.NaN;
    const total = up.reduce((s, r) => s + r.arrivals, 0);
    const sorted = [...up].sort((a, b) => f(b) - f(a));
    let share = 0;
    for (const r of sorted) {
      share += r.arrivals / total;
      if (share >= 0.05) return f(r);
    }
    return f(sorted[sorted.length - 1] as ReplicaState);
  };
  const mean = (f: (r: ReplicaState) => number) => (up.length > 0 ? up.reduce((s, r) => s + f(r), 0) / up.length : 0);
  const dependencyTail = e.dependencyShare >= 0.05 ? e.dependencyDelay : 0;
  return {
    t,
    arrivals: offered,
    served,
    failed: sum((r) => r.failed),
    rejected,
    dependencyFailed,
    waiting: sum((r) => r.waiting),
    running: sum((r) => r.running),
    kvUsage: mean((r) => r.kvUsage),
    preemptions: sum((r) => r.preemptions),
    ttftP95: quantile((r) => r.ttftP95),
    tpotP95: quantile((r) => r.tpotP95),
    e2eP95: Math.max(
      quantile((r) => r.e2eP95),
      dependencyTail,
    ),
    queueTimeP95: quantile((r) => r.queueTimeP95),
    prefillP95: quantile((r) => r.prefillP95),
    decodeP95: quantile((r) => r.decodeP95),
    promptMean: mean((r) => r.promptMean) || d.params.promptTokens,
    generationMean: mean((r) => r.generationMean) || d.params.generationTokens,
    gpuUtil: replicas.reduce((s, r) => s + r.gpuUtil, 0) / replicas.length,
    gpuTemp: replicas.reduce((s, r) => s + r.gpuTemp, 0) / replicas.length,
    gpuMemoryUsed: replicas.reduce((s, r) => s + r.gpuMemoryUsed, 0) / replicas.length,
    cpuCores: 0.4 + 0.02 * offered + 0.1 * up.length,
    replicas,
  };
}
