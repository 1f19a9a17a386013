import type { CauseKind } from './cause-kinds.ts';
import { addsReplicas, isFleetWide, previousVersion, type RcaEvent } from './change-events.ts';
import { type Evidence, eventEvidence, logEvidence, metricEvidence } from './evidence-text.ts';
import { type ClassifiedEvent, type Facts, moved } from './incident-facts.ts';
import type { LevelShift } from './level-shift.ts';
import type { LogFinding } from './log-evidence.ts';
import type { Action, Hypothesis } from './rank-hypotheses.ts';

/**
 * One function per cause kind, each an additive weight of evidence (the weights are set where
 * they are used, with why). The principle that orders them: a driver the data shows directly
 * and that no change of the deployment can produce (more traffic, longer prompts, a node or GPU
 * reporting a fault, a dependency's alert or errors) outranks a change near the onset; a change
 * near the onset outranks evidence a bad build also produces (CUDA errors, a dead engine, KV
 * pressure, longer generations); states such as KV exhaustion are causes only when nothing
 * upstream explains them.
 */
export type Scored = Omit<Hypothesis, 'confidence'> & { score: number };

/** Changes closer to the onset are likelier; the weight halves about every 14 minutes. */
const PROXIMITY_SCALE_S = 1200;
/** Health events this far from the onset weigh half as much as one at it. */
const HEALTH_PROXIMITY_S = 600;

function logsOf(facts: Facts, kind: CauseKind, direct?: boolean): LogFinding[] {
  return facts.logFindings.filter((f) => f.kind === kind && (direct === undefined || Boolean(f.direct) === direct));
}

function isLatency(metric: string): boolean {
  return ['ttft', 'tpot', 'e2e_latency', 'queue_time', 'prefill_time', 'decode_time'].includes(metric);
}

/** Direct evidence of a cause no change of the deployment produces, with its weight against a change. */
function directDrivers(facts: Facts): Array<{ why: string; weight: number }> {
  const d = facts.drivers;
  const out: Array<{ why: string; weight: number }> = [];
  if (d.surge) out.push({ why: 'traffic surge', weight: 0.35 });
  if (d.promptLonger) out.push({ why: 'longer prompts', weight: 0.35 });
  if (facts.health.length > 0) out.push({ why: 'a health event on its node', weight: 0.45 });
  else if (logsOf(facts, 'hardware_fault', true).length > 0) out.push({ why: 'GPU hardware errors', weight: 0.35 });
  if (logsOf(facts, 'dependency_failure').length > 0 || facts.otherServiceAlerts.length > 0)
    out.push({ why: 'a failing dependency', weight: 0.3 });
  return out;
}

/** A deploy or config change of the deployment (or the fleet) shortly before the onset. */
export function changeHypotheses(facts: Facts): Scored[] {
  const { drivers: d, input } = facts;
  const out: Scored[] = [];
  const against = directDrivers(facts).reduce((s, x) => s + x.weight, 0);
  for (const c of facts.changes) {
    const kind = c.class as 'deployment_change' | 'config_change';
    const proximity = Math.exp(-Math.max(0, c.lead) / PROXIMITY_SCALE_S);
    const evidence: Evidence[] = [eventEvidence(c.event, c.lead)];
    // A change just before the onset: 0.5, plus up to 0.35 the closer it is.
    let score = 0.5 + 0.35 * proximity;
    // What each kind of change typically does: a new build makes the engine slower, fail, or generate differently;
    // a setting or fewer replicas shows up as queueing, KV pressure or rejected requests.
    const fit =
      kind === 'deployment_change'
        ? (d.engineSlower ?? d.errors ?? d.prefillSlower ?? d.generationLonger ?? d.kvPressure ?? d.preemptions)
        : (d.kvPressure ?? d.preemptions ?? d.queueing ?? d.errors ?? d.prefillSlower);
    if (fit) {
      score += 0.15;
      evidence.push(metricEvidence(fit));
    }
    const ownLogs = logsOf(facts, kind);
    if (ownLogs.length > 0) {
      score += 0.1;
      evidence.push(...ownLogs.slice(0, 2).map(logEvidence));
    }
    for (const symptom of facts.own.filter((s) => s !== fit).slice(0, 2)) evidence.push(metricEvidence(symptom));
    score -= against;
    // Replicas added (an autoscaler or on-call reacting) is more capacity: it does not make a deployment run short.
    if (kind === 'config_change' && addsReplicas(c.event.description)) score -= 0.4;
    // The neighbours moved at the same time: something shared is likelier than this deployment's own change.
    if (facts.neighbours.length > 0 && !isFleetWide(c.event)) score -= 0.15;
    out.push({
      kind,
      score,
      event_id: c.event.id,
      summary: `${kind === 'deployment_change' ? 'The change' : 'The configuration change'} "${c.event.description}" ${leadText(c.lead)} the first move of ${input.deployment}'s metrics.`,
      evidence,
      action: changeAction(c.event, kind, input.deployment),
    });
  }
  // A restart or new build in the logs with no recorded change: weak, but worth saying.
  const restart = logsOf(facts, 'deployment_change');
  if (out.length === 0 && restart.length > 0) {
    out.push({
      kind: 'deployment_change',
      score: 0.2 + (d.engineSlower ? 0.1 : 0),
      event_id: null,
      summary: `${input.deployment} restarted or changed build around the onset, but no deploy was recorded.`,
      evidence: [...restart.slice(0, 2).map(logEvidence), ...facts.own.slice(0, 2).map(metricEvidence)],
      action: {
        summary: `Find out what restarted ${input.deployment} (who deployed, which image) and roll back if it was a new build.`,
        tool: 'get_deployment_status',
        args: { deployment: input.deployment },
      },
    });
  }
  return out;
}

function leadText(lead: number): string {
  const abs = Math.abs(Math.round(lead));
  const span = abs < 90 ? `${abs} s` : `${Math.round(abs / 60)} min`;
  return lead >= 0 ? `${span} before` : `${span} after`;
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

export function trafficSurge(facts: Facts): Scored | undefined {
  const rate = facts.drivers.surge;
  if (!rate || rate.ratio === null) return undefined;
  // 0.45 for a 1.6× surge, up to 0.7 at 4×.
  let score = 0.45 + 0.25 * Math.min(1, (rate.ratio - 1.6) / 2.4);
  const consequences = facts.own.filter(
    (s) => s !== rate && s.direction === 'up' && s.start >= rate.start - facts.step && s.metric !== 'throughput',
  );
  if (consequences.length > 0) score += 0.1;
  const latencyFirst = facts.own.find(
    (s) => isLatency(s.metric) && s.direction === 'up' && s.start < rate.start - 2 * facts.step,
  );
  if (latencyFirst) score -= 0.2; // Latency rose before the traffic did: the surge followed.
  const shedding = logsOf(facts, 'traffic_surge');
  if (shedding.length > 0) score += 0.1;
  // Neighbours are the shifts that began with ours, so a neighbour's surge is one at the same time.
  const elsewhere = facts.neighbours.filter((s) => s.metric === 'request_rate' && s.direction === 'up');
  const { replicas, deployment } = facts.input;
  const needed = replicas ? Math.ceil(replicas * rate.ratio) : undefined;
  return {
    kind: 'traffic_surge',
    score,
    event_id: null,
    summary: `${deployment} got ${rate.ratio.toFixed(1)}× its usual traffic${elsewhere.length > 0 ? `, as did ${[...new Set(elsewhere.map((s) => s.deployment))].join(', ')}` : ''}.`,
    evidence: [
      metricEvidence(rate),
      ...consequences.slice(0, 3).map(metricEvidence),
      ...shedding.slice(0, 1).map(logEvidence),
      ...elsewhere.slice(0, 2).map(metricEvidence),
    ],
    action:
      replicas && needed && needed > replicas
        ? {
            summary: `Scale ${deployment} from ${replicas} to ${needed} replicas for ${rate.ratio.toFixed(1)}× the load (a proposal), and find who sends the extra traffic.`,
            tool: 'scale_deployment',
            args: { deployment, replicas: needed },
          }
        : {
            summary: `Add replicas for about ${rate.ratio.toFixed(1)}× the load, or rate-limit the client sending the extra traffic.`,
          },
  };
}

export function resourceExhaustion(facts: Facts): Scored | undefined {
  const d = facts.drivers;
  const queue = d.queueing;
  const logs = logsOf(facts, 'resource_exhaustion');
  const killed = facts.podEvents;
  const pressure = d.kvPressure ?? d.preemptions ?? (logs.length > 0 ? logs : undefined);
  // KV cache filling 0.3, preemptions 0.2, pressure in the logs 0.2, a growing queue with any of them 0.1,
  // GPU memory taken by something else 0.25, pods killed for memory 0.35.
  let score =
    (d.kvPressure ? 0.3 : 0) +
    (d.preemptions ? 0.2 : 0) +
    (logs.length > 0 ? 0.2 : 0) +
    (queue && pressure ? 0.1 : 0) +
    (d.memoryTaken ? 0.25 : 0) +
    (killed.length > 0 ? 0.35 : 0);
  if (score === 0) return undefined;
  // Exhaustion is a state: when something upstream explains it, that is the cause.
  const causes: string[] = [];
  if (d.surge) causes.push('the traffic surge');
  if (d.promptLonger || d.generationLonger) causes.push('longer requests');
  if (d.engineSlower) causes.push('the per-token slowdown');
  if (facts.changes.length > 0) causes.push('the change before it');
  score *= 0.5 ** Math.min(2, causes.length) * (causes.length > 0 ? 1.2 : 1);
  const evidence = [d.kvPressure, d.preemptions, d.memoryTaken, queue]
    .filter((s): s is LevelShift => s !== undefined)
    .map(metricEvidence);
  evidence.push(...logs.slice(0, 2).map(logEvidence));
  evidence.push(...killed.slice(0, 2).map((c) => eventEvidence(c.event, c.lead)));
  const { replicas, deployment } = facts.input;
  return {
    kind: 'resource_exhaustion',
    score,
    event_id: null,
    summary: `${deployment} ran out of KV-cache or memory headroom${causes.length > 0 ? ` (possibly a consequence of ${causes.join(' and ')})` : ''}.`,
    evidence,
    action: {
      summary: `Give ${deployment} KV-cache headroom: lower max_num_seqs or max_model_len, raise gpu_memory_utilization, or add replicas${replicas ? ` (now ${replicas})` : ''}.`,
      ...(replicas ? { tool: 'scale_deployment' as const, args: { deployment, replicas: replicas + 1 } } : {}),
    },
  };
}

/** A failing GPU or node: a health event on the deployment's node (blamed), or what the logs and metrics say. */
export function hardwareFaults(facts: Facts): Scored[] {
  const d = facts.drivers;
  const direct = logsOf(facts, 'hardware_fault', true);
  const indirect = logsOf(facts, 'hardware_fault', false);
  const hints = facts.hintingAlerts.filter((a) => a.hint === 'hardware_fault');
  const symptom = d.errors ?? d.engineSlower ?? d.capacityLoss ?? moved(facts, 'tpot', 'up', 1.2);
  const deployment = facts.input.deployment;
  const action: Action = {
    summary: `Cordon the node behind ${deployment} and move its pods to healthy GPUs; check nvidia-smi and the Xid in the kernel log.`,
    tool: 'get_deployment_status',
    args: { deployment },
  };
  const logEvidences = [...direct, ...indirect].slice(0, 2).map(logEvidence);
  const out: Scored[] = [];
  for (const h of facts.health) {
    // A node or GPU reporting a fault near the onset, on a node the deployment runs on: 0.65, up to 0.2 more the closer.
    let score = 0.65 + 0.2 * Math.exp(-Math.abs(h.lead) / HEALTH_PROXIMITY_S);
    if (symptom) score += 0.1;
    if (direct.length + indirect.length > 0) score += 0.05;
    out.push({
      kind: 'hardware_fault',
      score,
      event_id: h.event.id,
      summary: `A node or GPU behind ${deployment} reported a fault: "${h.event.description}".`,
      evidence: [eventEvidence(h.event, h.lead), ...(symptom ? [metricEvidence(symptom)] : []), ...logEvidences],
      action,
    });
  }
  // Without a health event: the logs. Errors only hardware reports 0.55; errors a bad build also causes 0.35.
  let score = direct.length > 0 ? 0.55 : indirect.length > 0 ? 0.35 : 0;
  if (score === 0 && hints.length === 0) return out;
  const evidence: Evidence[] = [...logEvidences];
  if (d.errors) {
    score += 0.15;
    evidence.push(metricEvidence(d.errors));
  }
  const slower = d.engineSlower ?? moved(facts, 'tpot', 'up', 1.2);
  if (slower && score > 0) {
    score += 0.1;
    evidence.push(metricEvidence(slower));
  }
  if (d.capacityLoss && score > 0) {
    score += 0.1;
    evidence.push(metricEvidence(d.capacityLoss));
  }
  if (hints.length > 0) {
    score += 0.1 + (score === 0 ? 0.2 : 0);
    evidence.push(...hints.slice(0, 2).map((a) => eventEvidence(a.event, a.lead)));
  }
  out.push({
    kind: 'hardware_fault',
    score,
    event_id: null,
    summary: `A GPU of ${deployment} is failing (${[...direct, ...indirect][0]?.label ?? 'hardware alert'}).`,
    evidence,
    action,
  });
  return out;
}

export function dependencyFailure(facts: Facts): Scored | undefined {
  const d = facts.drivers;
  const logs = logsOf(facts, 'dependency_failure');
  const alerts: ClassifiedEvent[] = facts.otherServiceAlerts;
  const evidence: Evidence[] = logs.slice(0, 3).map(logEvidence);
  // Its errors in the logs 0.55; another service's alert at the onset 0.4 (0.25 with the logs).
  let score = (logs.length > 0 ? 0.55 : 0) + (alerts.length > 0 ? (logs.length > 0 ? 0.25 : 0.4) : 0);
  if (score === 0) return undefined;
  evidence.push(...alerts.slice(0, 2).map((a) => eventEvidence(a.event, a.lead)));
  if (d.errors) {
    score += 0.15;
    evidence.push(metricEvidence(d.errors));
  }
  if (d.e2e && !d.engineSlower) {
    score += 0.15; // Requests wait without the engine being slower: they wait on something else.
    evidence.push(metricEvidence(d.e2e));
  }
  const shared = facts.neighbours.filter((s) => s.metric === 'error_rate' || isLatency(s.metric));
  if (shared.length > 0) {
    score += 0.1;
    evidence.push(...shared.slice(0, 2).map(metricEvidence));
  }
  const host =
    logs.map((f) => /\bhttps?:\/\/([^/\s)]+)/i.exec(f.example)?.[1]).find(Boolean) ?? alerts[0]?.event.target ?? undefined;
  const deployment = facts.input.deployment;
  return {
    kind: 'dependency_failure',
    score,
    event_id: null,
    summary: `A dependency of ${deployment}${host ? ` (${host})` : ''} is failing, and requests fail or wait on it.`,
    evidence,
    action: {
      summary: `Check ${host ?? 'the upstream service'} and its own alerts; meanwhile consider a shorter timeout or failing open so ${deployment} keeps serving.`,
    },
  };
}

/** Requests changed: longer prompts, longer generations, prompts past the context window, or prefill alone slower. */
export function inputShift(facts: Facts): Scored | undefined {
  const d = facts.drivers;
  const logs = logsOf(facts, 'input_shift');
  const ttft = moved(facts, 'ttft') ?? moved(facts, 'prefill_time');
  const e2e = d.e2e ?? moved(facts, 'decode_time');
  // Longer prompts 0.55 (+0.1 with TTFT up), longer generations 0.5 (+0.1 with latency up), context-window errors 0.3;
  // with none of these, TTFT up while the per-token time and the queue are not: 0.3.
  let score = (d.promptLonger ? 0.55 + (ttft ? 0.1 : 0) : 0) + (d.generationLonger ? 0.5 + (e2e ? 0.1 : 0) : 0);
  if (logs.length > 0) score += 0.3;
  const prefillOnly = score === 0 && d.prefillSlower && !d.surge && facts.changes.length === 0;
  if (prefillOnly) score = 0.3;
  if (score === 0) return undefined;
  if (d.surge) score -= 0.1;
  const what = d.promptLonger
    ? `prompts got ${d.promptLonger.ratio?.toFixed(1) ?? 'much'}× longer`
    : d.generationLonger
      ? `generations got ${d.generationLonger.ratio?.toFixed(1) ?? 'much'}× longer`
      : logs.length > 0
        ? 'the logs show unusual inputs'
        : 'the time to first token rose while the time per token did not';
  return {
    kind: 'input_shift',
    score,
    event_id: null,
    summary: `Requests to ${facts.input.deployment} changed: ${what}.`,
    evidence: [d.promptLonger, d.generationLonger, ttft]
      .filter((s): s is LevelShift => s !== undefined)
      .map(metricEvidence)
      .concat(logs.slice(0, 2).map(logEvidence)),
    action: {
      summary: `Find the client sending the new inputs; cap max_model_len or rate-limit it, and keep long prompts on a deployment sized for them.`,
    },
  };
}
