import { ALERT_KINDS, DEPLOY_KINDS, deployDescription, healthEvent, platformChange, routineChange } from './event-styles.ts';
import type { Deployment } from './fleet.ts';
import type { GenEvent, Incident, IncidentContext, OneOffLine } from './incident-types.ts';
import { hardwareLookingNoise, shutdownLines, startupLines } from './log-catalogue.ts';
import type { Effects } from './serving-sim.ts';

/**
 * What else happens in a fleet while one deployment has an incident: routine deploys and
 * config changes of other deployments (some right at the onset, one of them with its own
 * regression), platform changes, the affected deployment's own changes hours earlier, node
 * and GPU health events on other nodes or long before, and alerts about neighbours. None of
 * them is the cause; where one would be a fair suspect (a change of the affected deployment
 * shortly before the onset) it is kept out, unless the incident's evidence is direct.
 */
export interface Decoys {
  events: GenEvent[];
  effects: Incident['effects'];
  oneOffs: OneOffLine[];
  /** Names the decoys gave themselves, for the scenario's description. */
  labels: string[];
}

export function addDecoys(ctx: IncidentContext, incident: Incident): Decoys {
  const { r, affected, neighbours } = ctx;
  const onset = incident.onset;
  const events: GenEvent[] = [];
  const effects: Incident['effects'] = [];
  const oneOffs: OneOffLine[] = [];
  const labels: string[] = [];
  const inWindow = (t: number) => t > ctx.start + 300 && t < ctx.end - 60;
  const nearOnset = () => onset + r.uniform(-1500, 300);
  const anywhere = () => r.uniform(ctx.start + 600, ctx.end - 300);

  // Changes of other deployments, some right at the onset.
  if (neighbours.length > 0) {
    const count = r.weighted([
      [0, 1],
      [1, 3],
      [2, 3],
      [3, 2],
      [4, 1],
    ] as const);
    const near = r.chance(0.65);
    for (let i = 0; i < count; i++) {
      const n = r.pick(neighbours);
      const t = i === 0 && near ? nearOnset() : anywhere();
      if (!inWindow(t)) continue;
      const change = routineChange(r, n);
      events.push({
        id: ctx.nextId(),
        time: t,
        kind: change.kind,
        target: ctx.targetOf(n.name),
        description: change.description,
        role: 'decoy',
      });
      labels.push(i === 0 && near ? 'neighbour_change_near' : 'neighbour_change');
      // Now and then the neighbour's change is a bad one of its own: its metrics move too.
      if (/deploy|rollout|release|image|sync/.test(change.kind) && r.chance(0.25)) {
        const slower: Partial<Effects> = r.chance(0.5)
          ? { stepFactor: r.uniform(1.4, 2.5) }
          : { replicaErrors: r.uniform(0.03, 0.2) };
        const live = t + r.uniform(60, 300);
        effects.push({ deployment: n.name, at: (tt) => (tt >= live ? slower : {}) });
        labels.push('neighbour_regression');
      }
    }
  }

  // Platform changes (ingress, monitoring, certificates).
  if (r.chance(0.3)) {
    const c = platformChange(r);
    const t = r.chance(0.5) ? nearOnset() : anywhere();
    if (inWindow(t)) {
      events.push({ id: ctx.nextId(), time: t, ...c, role: 'decoy' });
      labels.push('platform_change');
    }
  }

  // The affected deployment's own routine changes, long enough before the onset not to be suspects.
  const quiet = incident.kind === 'deployment_change' || incident.kind === 'config_change' ? 4500 : (incident.quietBefore ?? 0);
  if (r.chance(0.35)) {
    const latest = onset - Math.max(quiet, 4500) - 300;
    if (latest > ctx.start + 900) {
      const t = r.uniform(ctx.start + 600, latest);
      const change = routineChange(r, affected);
      events.push({
        id: ctx.nextId(),
        time: t,
        kind: change.kind,
        target: ctx.targetOf(affected.name),
        description: change.description,
        role: 'decoy',
      });
      labels.push('own_change_early');
    }
  }

  // A deploy of the affected deployment shortly before a hardware fault that a health event on its node shows directly.
  if (incident.kind === 'hardware_fault' && incident.truthEventIds.length > 0 && r.chance(0.4)) {
    const t = onset - r.uniform(300, 3000);
    if (inWindow(t)) {
      const to = `v${r.int(1, 40)}.${r.int(0, 12)}.${r.int(0, 9)}`;
      events.push({
        id: ctx.nextId(),
        time: t,
        kind: r.weighted(DEPLOY_KINDS),
        target: ctx.targetOf(affected.name),
        description: deployDescription(r, affected, affected.version, to),
        role: 'decoy',
      });
      oneOffs.push(...quietRollout(ctx, affected, t));
      labels.push('own_deploy_before_hardware');
    }
  }

  // Node and GPU health events elsewhere, or on the affected deployment's node hours before.
  const own = ctx.nodesOf(affected);
  const bad = new Set(incident.badNodes ?? []);
  const others = ctx.fleet.nodes.filter((n) => !own.has(n) && !bad.has(n));
  if (others.length > 0 && r.chance(0.45)) {
    for (let i = 0; i < r.int(1, 3); i++) {
      const node = r.pick(others);
      const t = i === 0 && r.chance(0.6) ? onset + r.uniform(-900, 300) : anywhere();
      if (!inWindow(t)) continue;
      const e = healthEvent(
        r,
        node,
        r.int(0, 7),
        r.pick(['xid_lost', 'xid_ecc', 'ecc', 'thermal', 'not_ready', 'memory_pressure', 'disk_pressure'] as const),
      );
      events.push({ id: ctx.nextId(), time: t, ...e, role: 'decoy' });
      labels.push('health_elsewhere');
    }
  }
  if (r.chance(0.2)) {
    const t = onset - r.uniform(9000, 20000);
    if (inWindow(t)) {
      const node = r.pick(affected.pods).node;
      const e = healthEvent(r, node, r.int(0, 7), r.pick(['thermal', 'ecc', 'disk_pressure'] as const));
      events.push({ id: ctx.nextId(), time: t, ...e, role: 'decoy' });
      labels.push('own_node_health_long_before');
    }
  }

  // Alerts about neighbours, and a fleet-wide change far from the incident.
  if (neighbours.length > 0 && r.chance(0.3)) {
    const n = r.pick(neighbours);
    events.push({
      id: ctx.nextId(),
      time: anywhere(),
      kind: r.weighted(ALERT_KINDS),
      target: ctx.targetOf(n.name),
      description: r.pick([
        `VLLMHighTTFT: p95 time to first token of ${n.name} above 2s`,
        `PodRestarting: ${n.name} restarted 3 times`,
        `VLLMHighErrorRate: ${n.name} 5xx ratio above 5%`,
      ]),
      role: 'decoy',
    });
    labels.push('neighbour_alert');
  }
  if (r.chance(0.1)) {
    const t = onset - r.uniform(7200, 14000);
    if (inWindow(t)) {
      events.push({
        id: ctx.nextId(),
        time: t,
        kind: 'config_change',
        target: r.pick(['*', 'cluster', 'all']),
        description: 'rotate TLS certificates fleet-wide',
        role: 'decoy',
      });
      labels.push('fleet_wide_early');
    }
  }
  return { events, effects, oneOffs, labels };
}

/** A harmless rolling update of `d` at t on the same nodes, with the lines it logs (a new build sometimes prints GPU-stack warnings). */
function quietRollout(ctx: IncidentContext, d: Deployment, at: number): OneOffLine[] {
  const { r } = ctx;
  const out: OneOffLine[] = [];
  const replicaSet = r.podSuffix(10);
  const load = r.uniform(60, 240);
  for (let k = 0; k < d.replicas; k++) {
    const start = at + k * r.uniform(20, 90);
    const old = ctx.podAt(d, k, start);
    const pod = ctx.replacePod(d, k, start + load, { replicaSet, node: old.node });
    const lines = startupLines(r, d, pod, { version: r.pick(['0.6.6', '0.8.5', '0.9.2']) });
    if (r.chance(0.4)) lines.splice(3, 0, hardwareLookingNoise(r, pod));
    lines.forEach((message, i) => {
      out.push({ t: start + (load * i) / lines.length, message, pod });
    });
    shutdownLines().forEach((message, i) => {
      out.push({ t: start + load + 5 + i, message, pod: old });
    });
  }
  return out;
}
