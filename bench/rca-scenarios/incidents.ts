import {
  ALERT_KINDS,
  CONFIG_KINDS,
  DEPLOY_KINDS,
  deployDescription,
  healthEvent,
  rollbackDescription,
  SCALE_KINDS,
} from './event-styles.ts';
import type { Deployment } from './fleet.ts';
import type { GenEvent, Incident, IncidentContext, LogRule, OneOffLine, ScenarioKind } from './incident-types.ts';
import {
  buildErrorLine,
  contextLengthLine,
  dependencyErrorLine,
  gpuErrorLine,
  hardwareLookingNoise,
  type Message,
  outOfMemoryLine,
  preemptionLine,
  shutdownLines,
  startupLines,
} from './log-catalogue.ts';
import type { Random } from './random.ts';
import type { Effects } from './serving-sim.ts';

/**
 * One builder per cause kind. Each picks a variant the way such incidents happen in vLLM fleets,
 * changes the serving model's inputs from the onset on, and records the events and log lines
 * that come with it. Nothing here knows how the engine ranks.
 */
export const INCIDENT_BUILDERS: Record<ScenarioKind, (ctx: IncidentContext) => Incident> = {
  deployment_change: badDeploy,
  config_change: badConfig,
  traffic_surge: trafficSurge,
  resource_exhaustion: resourceExhaustion,
  hardware_fault: hardwareFault,
  dependency_failure: dependencyFailure,
  input_shift: inputShift,
};

/** vLLM's running count of preemptions, as its warning prints it. */
function preemptionCounter(r: Random): (rr: Random) => number {
  let total = r.int(0, 50);
  return (rr) => {
    total += rr.int(1, 6);
    return total;
  };
}

function ramp(t: number, from: number, over: number): number {
  if (t < from) return 0;
  if (over <= 0) return 1;
  return Math.min(1, (t - from) / over);
}

/** Blends a multiplicative factor from 1 to `to` by `w` in [0, 1] (geometric, so ×2 halfway is ×1.41). */
function blend(to: number, w: number): number {
  return to ** w;
}

function version(r: Random, current: string): string {
  const [major, minor, patch] = current.replace(/^v/, '').split('.').map(Number) as [number, number, number];
  return r.chance(0.5) ? `v${major}.${minor}.${patch + 1}` : `v${major}.${minor + 1}.0`;
}

/** vLLM versions for startup lines: the serving engine's version, not the deployment's. */
const ENGINE_VERSIONS = ['0.5.5', '0.6.3.post1', '0.6.6', '0.7.3', '0.8.5', '0.9.2', '0.10.1'];

interface Rollout {
  /** When each replica's new pod starts serving. */
  liveAt: number[];
  oneOffs: OneOffLine[];
}

/** A rolling update: new pods start one after another, load the model, then the old ones stop. */
function rollout(
  ctx: IncidentContext,
  d: Deployment,
  at: number,
  options: { engineVersion: string; args?: string; backend?: string; noise?: Message[]; sameNodes?: boolean },
): Rollout {
  const { r } = ctx;
  const load = r.uniform(60, 300);
  const gap = r.uniform(20, 120);
  const liveAt: number[] = [];
  const oneOffs: OneOffLine[] = [];
  const replicaSet = r.podSuffix(r.int(9, 10));
  for (let k = 0; k < d.replicas; k++) {
    const startAt = at + k * gap;
    const live = startAt + load;
    const old = ctx.podAt(d, k, startAt);
    const node = options.sameNodes || r.chance(0.5) ? old.node : r.pick(ctx.fleet.nodes);
    const pod = ctx.replacePod(d, k, live, { replicaSet, node });
    liveAt.push(live);
    const lines = startupLines(r, d, pod, { version: options.engineVersion, args: options.args, backend: options.backend });
    lines.forEach((message, i) => {
      oneOffs.push({ t: startAt + (load * i) / lines.length, message, pod });
    });
    for (const [i, message] of (options.noise ?? []).entries())
      oneOffs.push({ t: startAt + load * (0.3 + 0.1 * i), message, pod });
    shutdownLines().forEach((message, i) => {
      oneOffs.push({ t: live + 5 + i, message, pod: old });
    });
  }
  return { liveAt, oneOffs };
}

function alert(ctx: IncidentContext, time: number, target: string, description: string): GenEvent {
  return { id: ctx.nextId(), time, kind: ctx.r.weighted(ALERT_KINDS), target, description, role: 'alert' };
}

/** Symptom alerts that fire after the onset (they describe, they do not cause). */
function symptomAlert(ctx: IncidentContext, onset: number, symptom: 'latency' | 'errors' | 'kv' | 'queue'): GenEvent {
  const { r, affected } = ctx;
  const text = {
    latency: r.pick([
      `VLLMHighTTFT: p95 time to first token of ${affected.name} above 2s`,
      `HighLatency: ${affected.name} p95 latency SLO burn rate 14x`,
    ]),
    errors: r.pick([`VLLMHighErrorRate: ${affected.name} 5xx ratio above 5%`, `ErrorBudgetBurn: ${affected.name}`]),
    kv: `VLLMKVCacheNearlyFull: ${affected.name} KV cache usage above 95%`,
    queue: `VLLMRequestsWaiting: ${affected.name} has requests waiting for 5m`,
  }[symptom];
  return alert(ctx, onset + r.uniform(120, 900), ctx.targetOf(affected.name), text);
}

function engineVersion(r: Random): string {
  return r.pick(ENGINE_VERSIONS);
}

/** A new build of the affected deployment that serves worse than the one before. */
function badDeploy(ctx: IncidentContext): Incident {
  const { r, affected: d } = ctx;
  const variant = r.weighted([
    ['slow_decode', 3],
    ['errors', 2],
    ['kv_regression', 1.5],
    ['long_generation', 1],
    ['slow_prefill', 1],
  ] as const);
  const from = d.version;
  const to = version(r, from);
  const deployAt = ctx.faultAt - r.uniform(90, 420);
  const hardwareNoise = r.chance(0.4);
  const old = engineVersion(r);
  const newer = r.pick(ENGINE_VERSIONS.filter((v) => v !== old));
  const noise = hardwareNoise
    ? Array.from({ length: r.int(1, 3) }, () => hardwareLookingNoise(r, ctx.podAt(d, 0, deployAt)))
    : [];
  const out = rollout(ctx, d, deployAt, {
    engineVersion: newer,
    backend:
      variant === 'slow_decode' && r.chance(0.5)
        ? 'Cannot use FlashAttention-2 backend for Volta and Turing GPUs. Using XFormers backend.'
        : undefined,
    noise,
  });
  const event: GenEvent = {
    id: ctx.nextId(),
    time: deployAt,
    kind: r.weighted(DEPLOY_KINDS),
    target: ctx.targetOf(d.name),
    description: deployDescription(r, d, from, to),
    role: 'cause',
  };
  const severity = r.uniform(0, 1);
  const effect: Partial<Effects> = (() => {
    switch (variant) {
      case 'slow_decode':
        return { stepFactor: 1.35 + 1.9 * severity, prefillFactor: r.chance(0.5) ? 1 : 0.8 };
      case 'errors':
        return { replicaErrors: 0.03 + 0.35 * severity };
      case 'kv_regression':
        return { kvFactor: 0 };
      case 'long_generation':
        return { generationFactor: 2 + 3 * severity };
      case 'slow_prefill':
        return { prefillFactor: 0.45 - 0.3 * severity };
    }
  })();
  if (variant === 'kv_regression')
    effect.kvFactor = ctx.factorForOverload(d, ctx.faultAt, r.uniform(1.05, 1.8), (x) => ({ kvFactor: x }), [0.05, 1]);
  const rollbackAt = r.chance(0.35) ? ctx.faultAt + r.uniform(600, 2700) : undefined;
  const events = [event];
  const oneOffs = [...out.oneOffs];
  let backAt: number[] | undefined;
  if (rollbackAt !== undefined && rollbackAt < ctx.end - 600) {
    events.push({
      id: ctx.nextId(),
      time: rollbackAt,
      kind: r.pick(['rollback', 'deploy', 'rollout']),
      target: ctx.targetOf(d.name),
      description: rollbackDescription(r, d, from),
      role: 'reaction',
    });
    const back = rollout(ctx, d, rollbackAt, { engineVersion: old });
    backAt = back.liveAt;
    oneOffs.push(...back.oneOffs);
  }
  if (r.chance(0.5))
    events.push(
      symptomAlert(
        ctx,
        out.liveAt[0] as number,
        variant === 'errors' ? 'errors' : variant === 'kv_regression' ? 'kv' : 'latency',
      ),
    );
  const logRules: LogRule[] = [];
  if (variant === 'errors')
    logRules.push({
      rate: (_t, s) => s.failed * ctx.step * 0.2,
      make: (rr) =>
        hardwareNoise && rr.chance(0.6) ? gpuErrorLine(rr, ctx.podAt(d, 0, ctx.faultAt), 'illegal') : buildErrorLine(rr),
    });
  if (variant === 'kv_regression' || variant === 'long_generation') {
    const cumulative = preemptionCounter(r);
    logRules.push({
      rate: (_t, s) => Math.min(20, s.preemptions * ctx.step * 0.5),
      make: (rr) => preemptionLine(rr, 'v0', cumulative(rr)),
    });
  }
  const alternatives = {
    slow_decode: [['tpot'], ['e2e'], ['decode_time']],
    errors: [['error_rate'], ['success_rate']],
    kv_regression: [['kv_usage'], ['preemptions'], ['waiting'], ['ttft'], ['queue_time']],
    long_generation: [['e2e'], ['gen_len'], ['decode_time'], ['gen_tokens_rate']],
    slow_prefill: [['ttft'], ['prefill_time'], ['e2e']],
  }[variant] as Incident['requires']['alternatives'];
  return {
    kind: 'deployment_change',
    variant: `${variant}${hardwareNoise ? '+hw_noise' : ''}`,
    onset: out.liveAt[0] as number,
    truthEventIds: [event.id],
    effects: [
      {
        deployment: d.name,
        at: (t, k) => {
          const live = t >= (out.liveAt[k] as number) && (backAt === undefined || t < (backAt[k] as number));
          return live ? effect : {};
        },
      },
    ],
    events,
    logRules,
    oneOffs,
    requires: { alternatives, logsSuffice: variant === 'errors' },
  };
}

/** A change of the affected deployment's settings (or replicas, or its gateway's limits) that costs capacity or breaks requests. */
function badConfig(ctx: IncidentContext): Incident {
  const { r, affected: d } = ctx;
  const variant = r.weighted([
    ['slots_down', 2],
    ['kv_down', 2],
    ['replicas_down', d.replicas > 1 ? 2 : 0],
    ['max_len_down', 1],
    ['prefix_cache_off', 1],
    ['rate_limit', 1],
  ] as const);
  const changeAt = ctx.faultAt - r.uniform(30, 240);
  const overload = r.uniform(1.05, 2.2);
  const p = d.params;
  let effect: Partial<Effects> = {};
  let description = '';
  let kind = r.weighted(CONFIG_KINDS);
  let args: string | undefined;
  let restart = true;
  const logRules: LogRule[] = [];
  const oneOffs: OneOffLine[] = [];
  let downFrom: number | undefined;
  let downReplicas = 0;
  switch (variant) {
    case 'slots_down': {
      const x = ctx.factorForOverload(d, ctx.faultAt, overload, (f) => ({ slotsFactor: f }), [0.02, 1]);
      const slots = Math.max(1, Math.round(p.slots * x));
      effect = { slotsFactor: slots / p.slots };
      description = r.pick([
        `set max_num_seqs ${p.slots} → ${slots} on ${d.name}`,
        `${d.name}: --max-num-seqs ${p.slots} -> ${slots}`,
        `Updated ConfigMap ${d.name}-args: max_num_seqs=${slots} (was ${p.slots})`,
      ]);
      args = `non-default args: {'model': '${d.model}', 'max_num_seqs': ${slots}, 'tensor_parallel_size': ${d.tensorParallel}}`;
      break;
    }
    case 'kv_down': {
      const x = ctx.factorForOverload(d, ctx.faultAt, overload, (f) => ({ kvFactor: f }), [0.03, 1]);
      const before = r.pick([0.9, 0.92, 0.95]);
      const after = Math.max(0.3, before * (0.55 + 0.45 * x)).toFixed(2);
      effect = { kvFactor: x };
      description = r.pick([
        `set gpu_memory_utilization ${before} → ${after} on ${d.name}`,
        `${d.name}: --gpu-memory-utilization ${before} -> ${after} (make room for a sidecar)`,
        `${d.name}: enable cpu offload, gpu_memory_utilization=${after}`,
      ]);
      args = `non-default args: {'model': '${d.model}', 'gpu_memory_utilization': ${after}}`;
      break;
    }
    case 'replicas_down': {
      downReplicas = Math.max(1, Math.min(d.replicas - 1, Math.round(d.replicas * r.uniform(0.3, 0.6))));
      const remaining = d.replicas - downReplicas;
      effect = {};
      kind = r.weighted(SCALE_KINDS);
      description = r.pick([
        `scale ${d.name} from ${d.replicas} to ${remaining} replicas`,
        `kubectl scale deployment/${d.name} --replicas=${remaining}`,
        `HPA ${d.name}: maxReplicas ${d.replicas} → ${remaining} (cost review)`,
      ]);
      restart = false;
      downFrom = changeAt + r.uniform(5, 40);
      for (let k = d.replicas - downReplicas; k < d.replicas; k++)
        shutdownLines().forEach((message, i) => {
          oneOffs.push({ t: (downFrom as number) + i, message, replica: k });
        });
      break;
    }
    case 'max_len_down': {
      const share = r.uniform(0.04, 0.3);
      // The new limit that rejects about `share` of prompts (log-normal lengths).
      const z = 1.28 - 2.2 * share;
      const limit = Math.max(512, 2 ** Math.round(Math.log2(p.promptTokens * Math.exp(z * p.promptSpread) + 256)));
      effect = { rejected: share };
      description = r.pick([
        `max_model_len ${p.maxModelLen} → ${limit} on ${d.name}`,
        `${d.name}: --max-model-len ${limit} (was ${p.maxModelLen}) to fit more sequences`,
      ]);
      args = `non-default args: {'model': '${d.model}', 'max_model_len': ${limit}}`;
      logRules.push({
        rate: (_t, s) => s.rejected * ctx.step * 0.3,
        make: (rr) => contextLengthLine(rr, limit, rr.uniform(0.01, 0.8)),
      });
      break;
    }
    case 'prefix_cache_off': {
      effect = { prefillFactor: r.uniform(0.25, 0.6) };
      description = r.pick([
        `disable prefix caching on ${d.name} (--no-enable-prefix-caching)`,
        `${d.name}: enable_prefix_caching true → false`,
        `${d.name}: --enable-chunked-prefill=false, max_num_batched_tokens 8192 → 2048`,
      ]);
      args = `non-default args: {'model': '${d.model}', 'enable_prefix_caching': False}`;
      break;
    }
    case 'rate_limit': {
      const share = r.uniform(0.05, 0.4);
      effect = { rejected: share };
      restart = false;
      description = r.pick([
        `lower rate limit for ${d.name} to ${r.pick([60, 100, 300])} req/min per API key`,
        `gateway: ${d.name} max concurrent requests 512 → ${r.pick([32, 64])}`,
        `${d.name}: enable per-tenant quota (${r.pick([20, 50])}k tokens/min)`,
      ]);
      logRules.push({
        rate: (_t, s) => s.rejected * ctx.step * 0.2,
        make: (rr) =>
          rr.chance(0.5)
            ? {
                level: 'INFO',
                source: 'uvicorn',
                text: `10.${rr.int(0, 63)}.${rr.int(0, 255)}.${rr.int(2, 254)}:${rr.int(30000, 65000)} - "POST /v1/chat/completions HTTP/1.1" 429 Too Many Requests`,
              }
            : {
                level: 'WARNING',
                source: 'ratelimit.py:41',
                text: `Rate limit exceeded for key sk-...${rr.hex(4)}: ${rr.int(61, 400)} requests in the last minute`,
              },
      });
      break;
    }
  }
  let liveAt: number[] = Array.from({ length: d.replicas }, () => changeAt + r.uniform(10, 60));
  if (restart) {
    const out = rollout(ctx, d, changeAt, { engineVersion: engineVersion(r), args, sameNodes: true });
    liveAt = out.liveAt;
    oneOffs.push(...out.oneOffs);
  }
  if (variant === 'replicas_down') liveAt = liveAt.map(() => downFrom as number);
  const event: GenEvent = { id: ctx.nextId(), time: changeAt, kind, target: ctx.targetOf(d.name), description, role: 'cause' };
  const events: GenEvent[] = [event];
  const revertAt = r.chance(0.3) ? ctx.faultAt + r.uniform(900, 3000) : undefined;
  const reverted = revertAt !== undefined && revertAt < ctx.end - 600 ? revertAt : undefined;
  if (reverted !== undefined)
    events.push({
      id: ctx.nextId(),
      time: reverted,
      kind: event.kind,
      target: event.target,
      description: `revert: ${description}`,
      role: 'reaction',
    });
  if (variant === 'kv_down' || variant === 'slots_down') {
    const cumulative = preemptionCounter(r);
    logRules.push({
      rate: (_t, s) => Math.min(20, s.preemptions * ctx.step * 0.5),
      make: (rr) => preemptionLine(rr, 'v1', cumulative(rr)),
    });
  }
  if (r.chance(0.5))
    events.push(
      symptomAlert(ctx, liveAt[0] as number, variant === 'rate_limit' || variant === 'max_len_down' ? 'errors' : 'queue'),
    );
  const alternatives = {
    slots_down: [['waiting'], ['queue_time'], ['ttft'], ['e2e']],
    kv_down: [['kv_usage'], ['preemptions'], ['waiting'], ['ttft']],
    replicas_down: [['waiting'], ['queue_time'], ['ttft'], ['kv_usage'], ['e2e']],
    max_len_down: [['error_rate'], ['success_rate']],
    prefix_cache_off: [['ttft'], ['prefill_time'], ['e2e']],
    rate_limit: [['error_rate'], ['success_rate']],
  }[variant] as Incident['requires']['alternatives'];
  return {
    kind: 'config_change',
    variant,
    onset: Math.min(...liveAt),
    truthEventIds: [event.id],
    effects: [
      {
        deployment: d.name,
        at: (t, k) => {
          if (reverted !== undefined && t >= reverted + 120) return {};
          if (variant === 'replicas_down')
            return t >= (downFrom as number) && k >= d.replicas - downReplicas ? { down: true } : {};
          return t >= (liveAt[k] as number) ? effect : {};
        },
      },
    ],
    events,
    logRules,
    oneOffs,
    requires: { alternatives, logsSuffice: variant === 'max_len_down' || variant === 'rate_limit' },
  };
}

/** More requests than the deployment can serve: one client, a batch job, or the whole fleet's traffic. */
function trafficSurge(ctx: IncidentContext): Incident {
  const { r, affected: d } = ctx;
  const variant = r.weighted([
    ['one_client', 3],
    ['batch_job', 1],
    ['fleet_wide', ctx.neighbours.length > 0 ? 1 : 0],
  ] as const);
  const rise = variant === 'batch_job' ? r.uniform(0, 120) : r.uniform(60, 900);
  const onset = ctx.faultAt;
  const overload = r.uniform(1.0, 2.4);
  const needed = ctx.factorForOverload(d, onset, overload, (x) => ({ rateFactor: x }), [1, 12]);
  const factor = Math.min(10, Math.max(1.7, needed));
  const endsAt = r.chance(0.3) ? onset + r.uniform(1200, 3600) : undefined;
  const limiter = r.chance(0.3);
  const effects: Incident['effects'] = [
    {
      deployment: d.name,
      at: (t) => {
        const w = endsAt !== undefined && t >= endsAt ? Math.max(0, 1 - (t - endsAt) / 300) : ramp(t, onset, rise);
        const f = blend(factor, w);
        return limiter ? { rateFactor: f, rejected: Math.max(0, 1 - 1.15 / f) * 0.7 } : { rateFactor: f };
      },
    },
  ];
  if (variant === 'fleet_wide')
    for (const n of ctx.neighbours) {
      const nf = r.uniform(1.3, Math.max(1.4, factor * 0.8));
      const from = onset + r.uniform(-60, 60);
      effects.push({ deployment: n.name, at: (t) => ({ rateFactor: blend(nf, ramp(t, from, rise)) }) });
    }
  const events: GenEvent[] = [];
  if (r.chance(0.4)) {
    const at = onset + r.uniform(240, 1200);
    events.push({
      id: ctx.nextId(),
      time: at,
      kind: r.weighted(SCALE_KINDS),
      target: ctx.targetOf(d.name),
      description: r.pick([
        `HPA scaled ${d.name} from ${d.replicas} to ${d.replicas * 2} replicas`,
        `scale ${d.name} from ${d.replicas} to ${d.replicas + 2} replicas (on-call)`,
      ]),
      role: 'reaction',
    });
  }
  if (r.chance(0.5)) events.push(symptomAlert(ctx, onset, r.pick(['latency', 'queue', 'kv'] as const)));
  const logRules: LogRule[] = [];
  if (limiter)
    logRules.push({
      rate: (_t, s) => s.rejected * ctx.step * 0.05,
      make: (rr) => ({
        level: 'INFO',
        source: 'uvicorn',
        text: `10.${rr.int(0, 63)}.${rr.int(0, 255)}.${rr.int(2, 254)}:${rr.int(30000, 65000)} - "POST /v1/chat/completions HTTP/1.1" 429 Too Many Requests`,
      }),
    });
  return {
    kind: 'traffic_surge',
    variant: `${variant}${limiter ? '+limiter' : ''}`,
    onset,
    truthEventIds: [],
    effects,
    events,
    logRules,
    oneOffs: [],
    // Token throughput alone cannot tell more requests from longer ones: it needs the length beside it.
    requires: {
      alternatives: [['request_rate'], ['success_rate'], ['prompt_tokens_rate', 'prompt_len'], ['gen_tokens_rate', 'gen_len']],
      logsSuffice: false,
    },
    quietBefore: 2400,
  };
}

/** The deployment runs out of KV cache or memory with no change and no more traffic: memory taken, leaking or fragmented. */
function resourceExhaustion(ctx: IncidentContext): Incident {
  const { r, affected: d } = ctx;
  const variant = r.weighted([
    ['foreign_memory', 2],
    ['leak', 1.5],
    ['host_oom', 1],
  ] as const);
  const onset = ctx.faultAt;
  const oneOffs: OneOffLine[] = [];
  const logRules: LogRule[] = [];
  const events: GenEvent[] = [];
  let effects: Incident['effects'];
  let requires: Incident['requires'];
  if (variant === 'host_oom') {
    // A host-memory leak: the container is OOM-killed, restarts, and is killed again.
    const period = r.uniform(300, 1200);
    const outage = r.uniform(90, 240);
    const victims = Math.max(1, Math.round(d.replicas * r.uniform(0.4, 1)));
    const kills: Array<{ replica: number; at: number }> = [];
    for (let k = 0; k < victims; k++)
      for (let t = onset + k * r.uniform(20, 200); t < ctx.end; t += period * r.uniform(0.7, 1.3))
        kills.push({ replica: k, at: t });
    for (const kill of kills) {
      const pod = ctx.replacePod(d, kill.replica, kill.at + outage);
      startupLines(r, d, pod, { version: engineVersion(r) }).forEach((message, i) => {
        oneOffs.push({ t: kill.at + 5 + i * (outage / 20), message, pod });
      });
    }
    for (const kill of kills.slice(0, 6))
      events.push({
        id: ctx.nextId(),
        time: kill.at + r.uniform(1, 20),
        kind: r.pick(['k8s_event', 'pod_event', 'kubernetes']),
        target: ctx.podAt(d, kill.replica, kill.at - 1).name,
        description: r.pick([
          'Container vllm was OOMKilled (exit code 137), restarting',
          'OOMKilling: Memory cgroup out of memory: Killed process 1 (python3)',
          'Back-off restarting failed container vllm (reason: OOMKilled)',
        ]),
        role: 'reaction',
      });
    // Until the readiness probe notices, the killed pod still gets requests, and they fail with the ones in flight.
    const unnoticed = r.uniform(15, 60);
    effects = [
      {
        deployment: d.name,
        at: (t, k) => {
          const kill = kills.find((x) => x.replica === k && t >= x.at && t < x.at + outage);
          if (!kill) return {};
          return t < kill.at + unnoticed ? { replicaErrors: 1 } : { down: true };
        },
      },
    ];
    requires = { alternatives: [['running'], ['error_rate'], ['success_rate']], logsSuffice: false, needsEvents: true };
  } else {
    const target = r.uniform(1.05, 2.2);
    const x = ctx.factorForOverload(d, onset, target, (f) => ({ kvFactor: f }), [0.03, 1]);
    const over = variant === 'leak' ? r.uniform(900, 5400) : r.uniform(0, 240);
    const which = r.chance(0.5) ? d.replicas : Math.max(1, Math.ceil(d.replicas / 2));
    // Memory held by something else shows in the GPU's used memory; a leak in the engine's own cache does not.
    const foreign = variant === 'foreign_memory' ? Math.min(0.5, (1 - x) * 0.5) : 0;
    effects = [
      {
        deployment: d.name,
        at: (t, k) => {
          if (k >= which) return {};
          const w = ramp(t, onset, over);
          return variant === 'foreign_memory' ? { kvFactor: blend(x, w), foreignMemory: foreign * w } : { kvFactor: blend(x, w) };
        },
      },
    ];
    if (r.chance(0.5)) logRules.push({ rate: (t) => (t >= onset ? 0.02 * ctx.step : 0), make: (rr) => outOfMemoryLine(rr) });
    const cumulative = preemptionCounter(r);
    const layout = r.chance(0.5) ? 'v0' : 'v1';
    logRules.push({
      rate: (_t, s) => Math.min(25, s.preemptions * ctx.step * 0.5),
      make: (rr) => preemptionLine(rr, layout, cumulative(rr)),
    });
    requires = {
      alternatives: variant === 'foreign_memory' ? [['kv_usage'], ['preemptions'], ['gpu_mem']] : [['kv_usage'], ['preemptions']],
      logsSuffice: true,
    };
  }
  if (r.chance(0.5)) events.push(symptomAlert(ctx, onset, r.pick(['kv', 'queue', 'latency'] as const)));
  return {
    kind: 'resource_exhaustion',
    variant,
    onset,
    truthEventIds: [],
    effects,
    events,
    logRules,
    oneOffs,
    requires,
    quietBefore: 3900,
  };
}

/** A GPU or node under the deployment fails: lost GPU, ECC errors, an NCCL hang, throttling, a node going NotReady. */
function hardwareFault(ctx: IncidentContext): Incident {
  const { r, affected: d } = ctx;
  const variant = r.weighted([
    ['gpu_lost', 2],
    ['ecc', 1.5],
    ['nccl_hang', d.tensorParallel > 1 ? 1.5 : 0],
    ['thermal', 1],
    ['node_not_ready', 1.5],
    ['memory_pressure', 0.5],
  ] as const);
  const onset = ctx.faultAt;
  const victim = r.int(0, d.replicas - 1);
  const pod = ctx.podAt(d, victim, onset);
  const node = pod.node;
  const gpu = r.pick(pod.gpus);
  const nodeWide = variant === 'node_not_ready' || variant === 'memory_pressure';
  const hasEvent = r.chance(0.75);
  const hasLogs = !hasEvent || r.chance(variant === 'thermal' ? 0.2 : 0.75);
  const events: GenEvent[] = [];
  const truth: string[] = [];
  const kindOfEvent = {
    gpu_lost: r.pick(['xid_lost', 'xid_lost', 'ecc'] as const),
    ecc: r.pick(['xid_ecc', 'ecc'] as const),
    nccl_hang: 'nvlink' as const,
    thermal: 'thermal' as const,
    node_not_ready: 'not_ready' as const,
    memory_pressure: 'memory_pressure' as const,
  }[variant];
  if (hasEvent) {
    const e = healthEvent(r, node, gpu, kindOfEvent);
    const id = ctx.nextId();
    events.push({ id, time: onset + r.uniform(-240, 90), ...e, role: 'health' });
    truth.push(id);
    if (r.chance(0.25) && variant !== 'node_not_ready') {
      const follow = healthEvent(r, node, gpu, r.pick(['not_ready', 'ecc', 'xid_lost'] as const));
      const id2 = ctx.nextId();
      events.push({ id: id2, time: onset + r.uniform(60, 300), ...follow, role: 'health' });
      truth.push(id2);
    }
  }
  // Every replica on the failing node (of this deployment and of neighbours) is hit.
  const hitReplicas = (dep: Deployment) =>
    dep.pods.map((p, k) => ({ k, p })).filter(({ p, k }) => (nodeWide ? p.node === node : dep === d && k === victim));
  const recoverAfter = r.chance(0.4) ? r.uniform(600, 2400) : undefined;
  const oneOffs: OneOffLine[] = [];
  const effectFor = (dep: Deployment): Incident['effects'][number] => {
    const hit = new Set(hitReplicas(dep).map(({ k }) => k));
    const detectAfter = r.uniform(60, 300);
    if (recoverAfter !== undefined)
      for (const k of hit) {
        const others = ctx.fleet.nodes.filter((n) => n !== node);
        const newPod = ctx.replacePod(dep, k, onset + recoverAfter, { node: others.length > 0 ? r.pick(others) : node });
        if (dep === d)
          startupLines(r, dep, newPod, { version: engineVersion(r) }).forEach((message, i) => {
            oneOffs.push({ t: onset + recoverAfter - 150 + i * 8, message, pod: newPod });
          });
      }
    return {
      deployment: dep.name,
      at: (t, k) => {
        if (!hit.has(k) || t < onset) return {};
        if (recoverAfter !== undefined && t >= onset + recoverAfter) return {};
        switch (variant) {
          case 'gpu_lost':
            return t < onset + detectAfter ? { replicaErrors: 0.9 } : { down: true };
          case 'ecc':
            return { replicaErrors: 0.15 + 0.5 * ((k * 0.37 + 0.2) % 1), stepFactor: 1.15 };
          case 'nccl_hang':
            return t < onset + 600 ? { replicaErrors: 0.7, stepFactor: 3 } : { down: true };
          case 'thermal':
            return { stepFactor: 1.5 + ((k * 0.61) % 0.8), temperatureAdd: 20 };
          case 'node_not_ready':
          case 'memory_pressure':
            return t < onset + detectAfter ? { replicaErrors: 0.6 } : { down: true };
        }
      },
    };
  };
  const effects = [effectFor(d)];
  if (nodeWide) for (const n of ctx.neighbours) if (n.pods.some((p) => p.node === node)) effects.push(effectFor(n));
  const logRules: LogRule[] = [];
  if (hasLogs) {
    const lineKind = {
      gpu_lost: r.pick(['lost', 'xid', 'dead', 'launch'] as const),
      ecc: r.pick(['ecc', 'xid', 'illegal'] as const),
      nccl_hang: 'nccl' as const,
      thermal: 'launch' as const,
      node_not_ready: r.pick(['dead', 'lost'] as const),
      memory_pressure: 'dead' as const,
    }[variant];
    logRules.push({
      rate: (t, s) =>
        t >= onset && (recoverAfter === undefined || t < onset + recoverAfter)
          ? Math.min(10, 0.5 + s.failed * ctx.step * 0.05)
          : 0,
      make: (rr) => gpuErrorLine(rr, pod, lineKind),
      replica: victim,
    });
  }
  if (r.chance(0.5)) events.push(symptomAlert(ctx, onset, variant === 'thermal' ? 'latency' : 'errors'));
  const symptoms: Incident['requires']['alternatives'] =
    variant === 'thermal'
      ? [['tpot'], ['e2e'], ['decode_time']]
      : variant === 'ecc'
        ? [['error_rate'], ['success_rate']]
        : [['error_rate'], ['success_rate'], ['running']];
  return {
    kind: 'hardware_fault',
    variant: `${variant}${hasEvent ? '+event' : ''}${hasLogs ? '+logs' : ''}`,
    onset,
    truthEventIds: truth,
    effects,
    events,
    logRules,
    oneOffs,
    requires: { alternatives: symptoms, logsSuffice: false, needsLink: hasEvent, needsLogs: !hasEvent },
    quietBefore: hasEvent ? undefined : 4200,
    badNodes: [node],
  };
}

/** A service in the request path (moderation, retrieval, a cache, auth) fails or slows down. */
function dependencyFailure(ctx: IncidentContext): Incident {
  const { r, affected: d } = ctx;
  const variant = r.weighted([
    ['timeout', 2],
    ['refused', 1.5],
    ['unavailable', 1],
  ] as const);
  if (d.dependencies.length === 0) d.dependencies.push(r.pick(ctx.fleet.dependencies));
  const dependency = r.pick(d.dependencies);
  const onset = ctx.faultAt;
  const share = r.uniform(0.15, 1);
  const delay = variant === 'timeout' ? r.uniform(2, 10) : r.uniform(0.05, 0.8);
  const failures = variant === 'timeout' ? r.uniform(0.3, 1) : variant === 'refused' ? 1 : r.uniform(0.5, 1);
  const endsAt = r.chance(0.35) ? onset + r.uniform(600, 3000) : undefined;
  const active = (t: number) => t >= onset && (endsAt === undefined || t < endsAt);
  const effects: Incident['effects'] = [
    {
      deployment: d.name,
      at: (t) => (active(t) ? { dependencyShare: share, dependencyDelay: delay, dependencyFailures: failures } : {}),
    },
  ];
  const sharers = ctx.neighbours.filter((n) => n.dependencies.includes(dependency) || r.chance(0.3));
  for (const n of sharers) {
    if (!n.dependencies.includes(dependency)) n.dependencies.push(dependency);
    const ns = share * r.uniform(0.3, 1);
    effects.push({
      deployment: n.name,
      at: (t) => (active(t) ? { dependencyShare: ns, dependencyDelay: delay, dependencyFailures: failures } : {}),
    });
  }
  const hasLogs = r.chance(0.85);
  const events: GenEvent[] = [];
  const hasAlert = !hasLogs || r.chance(0.45);
  if (hasAlert) {
    const name = dependency.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
    events.push(
      alert(
        ctx,
        onset + r.uniform(30, 400),
        dependency,
        r.pick([
          `${name}Down: ${dependency} has no healthy endpoints`,
          `${name}HighLatency: p99 latency of ${dependency} above 2s`,
          `BlackboxProbeFailed: ${dependency} health endpoint failing`,
        ]),
      ),
    );
  }
  if (r.chance(0.4))
    events.push(symptomAlert(ctx, onset, variant === 'timeout' ? r.pick(['latency', 'errors'] as const) : 'errors'));
  const logRules: LogRule[] = hasLogs
    ? [
        {
          rate: (t, s) => (active(t) ? Math.min(30, 0.3 + s.dependencyFailed * ctx.step * 0.1) : 0),
          make: (rr) => dependencyErrorLine(rr, dependency, variant),
        },
      ]
    : [];
  return {
    kind: 'dependency_failure',
    variant: `${variant}${hasLogs ? '' : '+no_logs'}`,
    onset,
    truthEventIds: [],
    effects,
    events,
    logRules,
    oneOffs: [],
    requires: {
      alternatives: variant === 'timeout' ? [['error_rate'], ['e2e']] : [['error_rate'], ['success_rate']],
      logsSuffice: false,
      needsLogs: !hasAlert,
      needsEvents: !hasLogs,
    },
    quietBefore: 2400,
  };
}

/** Requests change: longer prompts (RAG context, documents), longer generations, prompts past the context window. */
function inputShift(ctx: IncidentContext): Incident {
  const { r, affected: d } = ctx;
  const variant = r.weighted([
    ['long_prompts', 3],
    ['long_generations', 2],
    ['context_overflow', 1],
  ] as const);
  const onset = ctx.faultAt;
  const rise = r.uniform(0, 1200);
  const p = d.params;
  const headroom = (p.maxModelLen * 0.85) / p.promptTokens;
  const promptFactor = Math.max(1.6, Math.min(headroom, r.logUniform(1.8, 8)));
  const generationFactor = r.logUniform(2, 6);
  const rejected = variant === 'context_overflow' ? r.uniform(0.05, 0.35) : 0;
  const endsAt = r.chance(0.25) ? onset + r.uniform(1200, 3600) : undefined;
  const weight = (t: number) => (endsAt !== undefined && t >= endsAt ? 0 : ramp(t, onset, rise));
  const effects: Incident['effects'] = [
    {
      deployment: d.name,
      at: (t) => {
        const w = weight(t);
        if (w === 0) return {};
        if (variant === 'long_generations') return { generationFactor: blend(generationFactor, w) };
        return {
          promptFactor: blend(variant === 'context_overflow' ? Math.min(promptFactor, 2.5) : promptFactor, w),
          rejected: rejected * w,
        };
      },
    },
  ];
  const logRules: LogRule[] =
    variant === 'context_overflow' || (variant === 'long_prompts' && promptFactor > 0.5 * headroom && r.chance(0.5))
      ? [
          {
            rate: (t, s) => (weight(t) > 0 ? Math.max(0.05 * ctx.step * weight(t), s.rejected * ctx.step * 0.3) : 0),
            make: (rr) => contextLengthLine(rr, p.maxModelLen, rr.uniform(0.01, 0.6)),
          },
        ]
      : [];
  const events: GenEvent[] = [];
  if (r.chance(0.4)) events.push(symptomAlert(ctx, onset, variant === 'context_overflow' ? 'errors' : 'latency'));
  const alternatives: Incident['requires']['alternatives'] =
    variant === 'long_generations'
      ? [['gen_len'], ['gen_tokens_rate', 'request_rate'], ['gen_tokens_rate', 'success_rate'], ['decode_time', 'tpot']]
      : [['prompt_len'], ['prompt_tokens_rate', 'request_rate'], ['prompt_tokens_rate', 'success_rate']];
  return {
    kind: 'input_shift',
    variant,
    onset,
    truthEventIds: [],
    effects,
    events,
    logRules,
    oneOffs: [],
    requires: { alternatives, logsSuffice: variant === 'context_overflow' },
    quietBefore: 2400,
  };
}
