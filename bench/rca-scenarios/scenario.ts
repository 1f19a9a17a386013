import { addDecoys } from './decoys.ts';
import { deploymentTarget } from './event-styles.ts';
import { type Deployment, generateFleet, type Pod } from './fleet.ts';
import {
  type GenEvent,
  type IncidentContext,
  METRIC_IDS,
  type MetricId,
  SCENARIO_KINDS,
  type ScenarioKind,
} from './incident-types.ts';
import { INCIDENT_BUILDERS } from './incidents.ts';
import { accessLine, type Message, probeLine, routineNoise, statsLine, unrelatedBurst } from './log-catalogue.ts';
import { LOG_STYLES, renderLogs, styleShowsNode, type TimedMessage } from './log-writer.ts';
import { type MetricName, NAME_STYLES, type NameStyle, namesFor, withoutColons } from './metric-names.ts';
import { deploymentLabels, noticeableSymptoms, type ObserveOptions, observe, podLabels } from './observe.ts';
import { Random } from './random.ts';
import { type DeploymentState, type Effects, NO_EFFECTS, replicaCapacity, simulateDeployment, trafficAt } from './serving-sim.ts';

/**
 * One generated incident, as the files `llmops rca` reads and the answer it should give.
 * A seed fixes everything: the fleet, the window, the cause, the confounders, the names.
 */
export interface Scenario {
  seed: number;
  kind: ScenarioKind;
  variant: string;
  deployment: string;
  onset: number;
  truth: { kind: ScenarioKind; eventIds: string[] };
  files: {
    /** File name → a Prometheus query_range response. */
    metrics: Record<string, string>;
    logs?: string | undefined;
    events?: string | undefined;
  };
  /** What was randomised, for reading a failure. */
  about: Record<string, string | number | boolean>;
}

const HOUR = 3600;

/** The scenario for `seed`; kinds rotate with the seed so every range of 7 seeds holds each kind once. */
export function generateScenario(seed: number): Scenario {
  // An incident nobody would notice is not one: draw again (from the same seed, deterministically) until it shows.
  for (let attempt = 0; ; attempt++) {
    const scenario = build(seed, attempt);
    if (scenario || attempt >= 20) return scenario ?? (build(seed, attempt, true) as Scenario);
  }
}

function build(seed: number, attempt: number, anyway = false): Scenario | undefined {
  const r = new Random(seed + attempt * 1_000_003);
  const kind = SCENARIO_KINDS[(((seed - 1) % 7) + 7) % 7] as ScenarioKind;
  const fleet = generateFleet(r);
  const [affected, ...neighbours] = fleet.deployments as [Deployment, ...Deployment[]];

  // The window: a few hours of data ending at a random moment, at a step people use.
  const hours = r.pick([3, 4, 6, 6, 8, 12]);
  let step = r.pick([10, 15, 30, 30, 60, 60, 120]);
  while ((hours * HOUR) / step > 1500) step *= 2;
  const endDay = Date.UTC(2025, 0, 1) / 1000 + r.int(0, 640) * 86400;
  const end = Math.floor((endDay + r.uniform(0, 86400)) / step) * step;
  const start = end - hours * HOUR;
  const points = Math.round((end - start) / step);
  const times = Array.from({ length: points }, (_, i) => start + i * step);
  const faultAt = start + Math.max(100 * 60, r.uniform(0.45, 0.9) * hours * HOUR);

  // Traffic sized so that a normal day peaks at 30–75 % of capacity.
  const wander = new Map<string, number[]>();
  for (const d of fleet.deployments) {
    const capacity = d.replicas * replicaCapacity(d);
    const peak = r.uniform(0.3, 0.75);
    const batch = d.batchJob?.factor ?? 1;
    d.baseRate = (capacity * Math.min(peak, 0.85 / batch)) / (1 + d.dailyAmplitude);
    const walk: number[] = [];
    let w = 0;
    for (let i = 0; i < points; i++) {
      w = 0.995 * w + d.wander * r.normal() * Math.sqrt(step / 60);
      walk.push(w);
    }
    wander.set(d.name, walk);
  }
  const rateOf = (d: Deployment) => {
    const walk = wander.get(d.name) as number[];
    return (t: number) => trafficAt(d, t, walk[Math.max(0, Math.min(points - 1, Math.round((t - start) / step)))] as number);
  };

  // Pods over time: each replica is a list of (from, pod), replaced by rollouts, crashes and reschedules.
  const generations = new Map<string, Array<Array<{ at: number; pod: Pod }>>>();
  for (const d of fleet.deployments)
    generations.set(
      d.name,
      d.pods.map((pod) => [{ at: Number.NEGATIVE_INFINITY, pod }]),
    );
  const podAt = (d: Deployment, k: number, t: number): Pod => {
    const list = (generations.get(d.name) as Array<Array<{ at: number; pod: Pod }>>)[k] ?? [];
    let pod = (list[0] as { pod: Pod }).pod;
    for (const g of list) if (g.at <= t) pod = g.pod;
    return pod;
  };
  const replacePod: IncidentContext['replacePod'] = (d, k, at, options = {}) => {
    const current = podAt(d, k, at);
    const replicaSet = options.replicaSet ?? current.name.slice(d.name.length + 1).split('-')[0];
    const pod: Pod = {
      name: `${d.name}-${replicaSet}-${r.podSuffix(5)}`,
      node: options.node ?? current.node,
      gpus: current.gpus,
      ip: `10.${r.int(0, 31)}.${r.int(0, 255)}.${r.int(2, 254)}`,
    };
    const list = (generations.get(d.name) as Array<Array<{ at: number; pod: Pod }>>)[k] as Array<{ at: number; pod: Pod }>;
    list.push({ at, pod });
    list.sort((a, b) => a.at - b.at);
    return pod;
  };

  let counter = r.int(100, 9000);
  const idStyle = r.int(0, 3);
  const nextId = () => {
    counter += r.int(1, 40);
    return [`evt-${counter}`, String(counter), `chg_${r.hex(8)}`, `${r.hex(8)}-${r.hex(4)}`][idStyle] as string;
  };
  const targetStyle = r.int(0, 4);
  const ctx: IncidentContext = {
    r,
    fleet,
    affected,
    neighbours,
    start,
    end,
    step,
    faultAt,
    nextId,
    targetOf: (name) => deploymentTarget(targetStyle, name, 'llm'),
    trafficAt: (d, t) => trafficAt(d, t, 0),
    replacePod,
    podAt,
    nodesOf: (d) => new Set((generations.get(d.name) ?? []).flatMap((list) => list.map((g) => g.pod.node))),
    factorForOverload: (d, t, overload, make, [low, high]) => {
      const ratio = (x: number) => {
        const e = { ...NO_EFFECTS, ...make(x) };
        return (trafficAt(d, t, 0) * e.rateFactor) / (d.replicas * replicaCapacity(d, e));
      };
      let a = low;
      let b = high;
      const increasing = ratio(b) > ratio(a);
      for (let i = 0; i < 50; i++) {
        const mid = (a + b) / 2;
        if (ratio(mid) < overload === increasing) a = mid;
        else b = mid;
      }
      return (a + b) / 2;
    },
  };

  const incident = INCIDENT_BUILDERS[kind](ctx);
  const decoys = addDecoys(ctx, incident);

  // Simulate every deployment with the incident's and the decoys' effects.
  const layers = [...incident.effects, ...decoys.effects];
  const clientTimeout = r.uniform(30, 300);
  const dependencyInTtft = r.chance(0.35);
  const states = new Map<string, DeploymentState[]>();
  for (const d of fleet.deployments) {
    const mine = layers.filter((l) => l.deployment === d.name);
    states.set(
      d.name,
      simulateDeployment(
        d,
        {
          start,
          step,
          points,
          effects: (t, k) => combine(mine.map((l) => l.at(t, k))),
          podAt: (t, k) => podAt(d, k, t),
          clientTimeout,
          dependencyInTtft,
        },
        rateOf(d),
      ),
    );
  }

  // The same deployment with the same traffic and no incident, to tell the incident's symptoms from the day's rhythm.
  const routine = layers.filter((l) => l.deployment === affected.name && !incident.effects.includes(l));
  const counterfactual = simulateDeployment(
    affected,
    {
      start,
      step,
      points,
      effects: (t, k) => combine(routine.map((l) => l.at(t, k))),
      podAt: (t, k) => podAt(affected, k, t),
      clientTimeout,
      dependencyInTtft,
    },
    rateOf(affected),
  );
  const { noticed, shown } = noticeableSymptoms(
    states.get(affected.name) as DeploymentState[],
    counterfactual,
    affected,
    incident.onset,
    step,
  );
  // The evidence that tells this cause apart must have moved, not just exist as a file.
  const showing = incident.requires.alternatives.filter((alt) => alt.every((m) => shown.has(m)));
  if ((noticed.size === 0 || (showing.length === 0 && !incident.requires.logsSuffice)) && !anyway) return undefined;

  // What the team exports: a naming style, a subset of metrics, per-pod or per-deployment series.
  const style = r.pick(NAME_STYLES);
  const colons = r.chance(0.6);
  const label = r.weighted([
    ['model_name', 4],
    ['deployment', 3],
    ['app', 1],
    ['service', 1],
  ] as const);
  const perPod = r.chance(0.25);
  const nodeLabel = r.chance(0.5) ? r.pick(['node', 'kubernetes_node', 'nodename']) : undefined;
  const onlyAffected = r.chance(0.2);
  const coverage = r.uniform(0.35, 0.95);
  const present = new Set<MetricId>();
  const core: MetricId[] = ['ttft', 'tpot', 'e2e', 'request_rate', 'error_rate', 'waiting', 'running', 'kv_usage'];
  for (const m of METRIC_IDS) {
    const p = core.includes(m) ? coverage : ['gpu_temp', 'cpu', 'memory_bytes', 'gpu_mem'].includes(m) ? 0.2 : coverage * 0.5;
    if (r.chance(p)) present.add(m);
  }
  if (present.has('request_rate') && present.has('success_rate') && r.chance(0.5)) present.delete('success_rate');
  // Whoever exports the data exports at least one of the symptoms that made them look.
  if (noticed.size > 0 && ![...noticed].some((m) => present.has(m))) present.add(r.pick([...noticed].sort()));
  const { requires } = incident;
  if (!showing.some((alt) => alt.every((m) => present.has(m))))
    for (const m of r.pick(showing.length > 0 ? showing : requires.alternatives)) present.add(m);

  // Logs: a style, a span, what the pods print routinely, and the incident's lines.
  const logStyle = r.pick(LOG_STYLES);
  // Logs are kept when they carry the only evidence (of the cause, or of what the metrics do not show).
  const keepLogs = requires.needsLogs || showing.length === 0 || r.chance(0.85);
  const linkedByLogs = keepLogs && styleShowsNode(logStyle);
  let gpuSeries = false;
  let forcedNodeLabel = nodeLabel;
  let forcedPerPod = perPod;
  if (requires.needsLink && !linkedByLogs && !(perPod && nodeLabel)) {
    // The health event's node must be tied to the deployment: by DCGM's per-GPU series or by a node label.
    if (r.chance(0.5)) gpuSeries = true;
    else {
      forcedPerPod = true;
      forcedNodeLabel = nodeLabel ?? 'node';
    }
  }
  if (gpuSeries) present.add('gpu_util');

  const observeOptions: ObserveOptions = {
    step,
    windowPoints: Math.max(1, Math.round(Math.max(2 * step, r.pick([60, 120, 300])) / step)),
    noise: r.uniform(0.02, 0.15),
    spikeRate: r.uniform(0, 0.02),
    gaps: gapsOf(r, points),
  };
  const metrics: Record<string, string> = {};
  const deploymentsShown = onlyAffected ? [affected] : fleet.deployments;
  const fileNames: string[] = [];
  for (const m of METRIC_IDS) {
    if (!present.has(m)) continue;
    const fileStyle: NameStyle = r.chance(0.8) ? style : r.pick(NAME_STYLES);
    let options = namesFor(fileStyle, m);
    if (options.length === 0) options = namesFor('common', m);
    let name: MetricName = r.pick(options);
    if (!colons) name = withoutColons(name);
    if (metrics[`${name.file}.json`]) continue;
    const dcgm = (m === 'gpu_util' || m === 'gpu_temp' || m === 'gpu_mem') && (gpuSeries || r.chance(0.5));
    const result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> = [];
    for (const d of deploymentsShown) {
      const dStates = states.get(d.name) as DeploymentState[];
      if (dcgm || (forcedPerPod && m !== 'request_rate' && m !== 'error_rate')) {
        // One series per pod, alive while the pod was (new pods are new series).
        for (let k = 0; k < d.replicas; k++) {
          const podsSeen = new Map<string, Pod>();
          for (const s of dStates) {
            const pod = (s.replicas[k] as { pod: Pod }).pod;
            podsSeen.set(pod.name, pod);
          }
          for (const pod of podsSeen.values()) {
            const replicaStates = dStates.map((s) => s.replicas[k] as DeploymentState['replicas'][number]);
            const values = observe(
              r,
              m,
              replicaStates,
              times,
              d,
              name,
              observeOptions,
              (i) => replicaStates[i]?.pod.name === pod.name,
            );
            if (values.length === 0) continue;
            const labels = dcgm
              ? {
                  Hostname: pod.node,
                  gpu: String(pod.gpus[0] ?? 0),
                  UUID: `GPU-${r.hex(8)}-${r.hex(4)}-${r.hex(4)}`,
                  modelName: 'NVIDIA A100-SXM4-80GB',
                  pod: pod.name,
                  namespace: 'llm',
                  container: 'vllm',
                  ...(r.chance(0.6) ? { [label]: d.name } : {}),
                }
              : podLabels(label, d, pod, forcedNodeLabel);
            result.push({ metric: labels, values });
          }
        }
      } else {
        const values = observe(r, m, dStates, times, d, name, observeOptions);
        result.push({ metric: deploymentLabels(label, d, r.chance(0.3) ? { namespace: 'llm' } : {}), values });
      }
    }
    // DCGM series without a deployment label are only useful with one: keep those that have it or a pod.
    metrics[`${name.file}.json`] = JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } });
    fileNames.push(`${name.file}.json`);
  }

  let logs: string | undefined;
  if (keepLogs) {
    const messages = logMessages(r, ctx, incident, decoys.oneOffs, states.get(affected.name) as DeploymentState[], podAt);
    logs = `${renderLogs(r, logStyle, affected, messages).join('\n')}\n`;
  }

  const events = [...incident.events, ...decoys.events].filter((e) => e.time > start - HOUR && e.time < end);
  const keepEvents = incident.truthEventIds.length > 0 || requires.needsEvents || r.chance(0.85);
  const eventsFile = keepEvents ? renderEvents(r, events) : undefined;

  return {
    seed,
    kind,
    variant: incident.variant,
    deployment: affected.name,
    onset: incident.onset,
    truth: { kind, eventIds: incident.truthEventIds },
    files: { metrics, logs, events: eventsFile },
    about: {
      variant: incident.variant,
      attempt,
      noticed: [...noticed].sort().join(','),
      deployments: fleet.deployments.length,
      replicas: affected.replicas,
      hours,
      step,
      nameStyle: style,
      colons,
      label,
      perPod: forcedPerPod,
      gpuSeries,
      logStyle: keepLogs ? logStyle : 'none',
      events: keepEvents ? events.length : -1,
      decoys: decoys.labels.join(','),
      files: fileNames.join(' '),
      onset: new Date(incident.onset * 1000).toISOString(),
    },
  };
}

function combine(parts: Array<Partial<Effects>>): Effects {
  const e: Effects = { ...NO_EFFECTS };
  for (const p of parts) {
    for (const key of [
      'rateFactor',
      'promptFactor',
      'generationFactor',
      'stepFactor',
      'prefillFactor',
      'kvFactor',
      'slotsFactor',
    ] as const)
      if (p[key] !== undefined) e[key] *= p[key] as number;
    if (p.down) e.down = true;
    for (const key of ['replicaErrors', 'rejected', 'dependencyFailures'] as const)
      if (p[key] !== undefined) e[key] = 1 - (1 - e[key]) * (1 - (p[key] as number));
    if (p.dependencyShare !== undefined) e.dependencyShare = Math.max(e.dependencyShare, p.dependencyShare);
    if (p.dependencyDelay !== undefined) e.dependencyDelay = Math.max(e.dependencyDelay, p.dependencyDelay);
    if (p.foreignMemory !== undefined) e.foreignMemory += p.foreignMemory;
    if (p.temperatureAdd !== undefined) e.temperatureAdd += p.temperatureAdd;
  }
  return e;
}

function gapsOf(r: Random, points: number): Set<number> {
  const gaps = new Set<number>();
  if (!r.chance(0.3)) return gaps;
  for (let g = 0; g < r.int(1, 5); g++) {
    const at = r.int(0, points - 1);
    for (let i = at; i < Math.min(points, at + r.int(1, 10)); i++) gaps.add(i);
  }
  return gaps;
}

/** Everything the affected deployment's pods print over the span the logs cover. */
function logMessages(
  r: Random,
  ctx: IncidentContext,
  incident: ReturnType<(typeof INCIDENT_BUILDERS)[ScenarioKind]>,
  decoyLines: ReadonlyArray<{ t: number; message: Message; pod?: Pod | undefined; replica?: number | undefined }>,
  states: readonly DeploymentState[],
  podAt: (d: Deployment, k: number, t: number) => Pod,
): TimedMessage[] {
  const d = ctx.affected;
  const { step } = ctx;
  const from = r.chance(0.75) ? ctx.start : Math.max(ctx.start, incident.onset - r.uniform(1800, 9000));
  const stats = r.chance(0.7) ? r.pick(['v0', 'v1'] as const) : undefined;
  const statsEvery = r.pick([10, 10, 30, 60]);
  const access = r.chance(0.5);
  const meanArrivals = states.reduce((s, x) => s + x.arrivals, 0) / Math.max(1, states.length);
  const accessSample = Math.min(1, r.uniform(1, 4) / Math.max(1e-6, meanArrivals * step));
  const probes = r.chance(0.5) ? r.pick([10, 15, 30]) : undefined;
  const noisePerHour = r.uniform(0.5, 6);
  const out: TimedMessage[] = [];
  const add = (t: number, message: Message, pod: Pod) => {
    if (t >= from && t < ctx.end) out.push({ t: t + r.uniform(0, 0.999), message, pod });
  };
  const serving = (s: DeploymentState) => s.replicas.map((x, k) => ({ x, k })).filter(({ x }) => x.up);
  for (const s of states) {
    if (s.t < from) continue;
    const up = serving(s);
    for (const { x, k } of up) {
      const pod = podAt(d, k, s.t);
      if (stats)
        for (let u = 0; u < step; u += statsEvery)
          add(
            s.t + u,
            statsLine(stats, {
              prompt: x.served * x.promptMean * (1 + 0.1 * r.normal()),
              generation: x.served * x.generationMean * (1 + 0.1 * r.normal()),
              running: x.running,
              waiting: x.waiting,
              kv: x.kvUsage,
              prefixHit: 0.3,
            }),
            pod,
          );
      if (probes) for (let u = 0; u < step; u += probes) add(s.t + u, probeLine(r, '/health'), pod);
      if (access) {
        const total = x.arrivals * step * accessSample;
        const failedShare = x.arrivals > 0 ? x.failed / x.arrivals : 0;
        for (let i = r.poisson(total); i > 0; i--)
          add(s.t + r.uniform(0, step), accessLine(r, r.chance(failedShare) ? r.pick([500, 500, 503]) : 200), pod);
      }
      for (let i = r.poisson((noisePerHour * step) / HOUR); i > 0; i--) add(s.t + r.uniform(0, step), routineNoise(r), pod);
    }
    if (access && up.length > 0) {
      const pod = podAt(d, (up[0] as { k: number }).k, s.t);
      for (let i = r.poisson(s.rejected * step * accessSample); i > 0; i--)
        add(s.t + r.uniform(0, step), accessLine(r, r.pick([400, 429])), pod);
      for (let i = r.poisson(s.dependencyFailed * step * accessSample); i > 0; i--)
        add(s.t + r.uniform(0, step), accessLine(r, r.pick([502, 504, 503])), pod);
    }
    for (const rule of incident.logRules) {
      const count = r.poisson(Math.max(0, rule.rate(s.t, s)));
      for (let i = 0; i < count; i++) {
        const k = rule.replica ?? (up.length > 0 ? (r.pick(up) as { k: number }).k : 0);
        add(s.t + r.uniform(0, step), rule.make(r, s.t, s), podAt(d, k, s.t));
      }
    }
  }
  // A burst of something unusual that has nothing to do with the incident.
  if (r.chance(0.4)) {
    const at = r.chance(0.5) ? incident.onset + r.uniform(-1800, 1200) : r.uniform(from, ctx.end);
    const message = unrelatedBurst(r);
    for (let i = r.int(5, 40); i > 0; i--) add(at + r.uniform(0, 300), message, podAt(d, 0, at));
  }
  for (const line of [...incident.oneOffs, ...decoyLines])
    add(line.t, line.message, line.pod ?? podAt(d, line.replica ?? 0, line.t));
  return out;
}

function renderEvents(r: Random, events: GenEvent[]): string {
  const timeStyle = r.int(0, 3);
  const sorted = r.chance(0.7) ? [...events].sort((a, b) => a.time - b.time) : r.shuffle(events);
  const extra = r.chance(0.4);
  const numericIds = sorted.every((e) => /^\d+$/.test(e.id)) && r.chance(0.5);
  return JSON.stringify(
    sorted.map((e) => {
      const t = Math.round(e.time);
      const time =
        timeStyle === 0 ? new Date(t * 1000).toISOString() : timeStyle === 1 ? offsetIso(t, 120) : timeStyle === 2 ? t : t * 1000;
      return {
        id: numericIds ? Number(e.id) : e.id,
        time,
        kind: e.kind,
        target: e.target,
        description: e.description,
        ...(extra
          ? {
              source: e.role === 'health' ? 'node-problem-detector' : e.role === 'alert' ? 'alertmanager' : 'audit',
              actor: 'system',
            }
          : {}),
      };
    }),
    null,
    r.chance(0.5) ? 2 : undefined,
  );
}

function offsetIso(t: number, minutes: number): string {
  const local = new Date((t + minutes * 60) * 1000).toISOString().slice(0, 19);
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
