import type { CauseKind } from './cause-kinds.ts';
import { signatureOf } from './signatures.ts';

/** A change that may explain an incident, from any source: the registry, the audit trail, an alert, a file. */
export interface RcaEvent {
  id: string;
  time: Date;
  /** As the source wrote it: deployment_change, deploy, rollout, config_change, scale, alert, node_condition, xid, … */
  kind: string;
  target: string;
  description: string;
}

/**
 * What an event is, for ranking: a change that can be blamed (a deploy, a config change or scaling), a node or
 * GPU health event (a node condition, a DCGM check, an Xid) that can be blamed for a hardware fault, an alert or
 * a pod's own lifecycle event (OOMKilled, evicted) that only hint, or something else.
 */
export type EventClass = 'deployment_change' | 'config_change' | 'health' | 'alert' | 'pod' | 'other';

const STRONG_HEALTH = new Set([
  'xid',
  'dcgm',
  'ecc',
  'nvlink',
  'condition',
  'health',
  'kernel',
  'hardware',
  'notready',
  'npd',
  'nvml',
  'thermal',
]);
const ALERT = new Set(['alert', 'alerts', 'alerting', 'alertmanager', 'firing', 'page', 'pagerduty', 'opsgenie']);
const DEPLOY = new Set([
  'deploy',
  'deployment',
  'deployed',
  'rollout',
  'release',
  'rollback',
  'upgrade',
  'image',
  'sync',
  'argocd',
  'flux',
  'revision',
  'redeploy',
  'canary',
  'promote',
  'promotion',
]);
const CONFIG = new Set([
  'config',
  'configuration',
  'configmap',
  'flag',
  'flags',
  'feature',
  'setting',
  'settings',
  'values',
  'parameter',
  'parameters',
  'args',
  'env',
  'scale',
  'scaling',
  'scaled',
  'hpa',
  'autoscale',
  'autoscaling',
  'autoscaler',
  'replicas',
  'replica',
  'resize',
  'quota',
  'limit',
  'limits',
]);
const WEAK_HEALTH = new Set(['node', 'nodes', 'gpu', 'gpus']);
const POD = new Set(['pod', 'pods', 'container', 'k8s', 'kubernetes', 'event', 'events', 'oom', 'oomkilled']);

/** A node condition, a driver or DCGM report: what node-problem-detector, DCGM and the kernel say about a node or GPU. */
const HEALTH_TEXT =
  /\bNotReady\b|Ready=False|(?:Memory|Disk|PID)Pressure|NetworkUnavailable|NodeHasInsufficient\w*|\bXid\b|\bDCGM|\bECC\b|fallen off the bus|NVLink|thermal violation|throttl|HW slowdown|GPU(?:Xid)?Error|page retirement|row remap/i;
/** A pod's own lifecycle: killed for memory, evicted, crash-looping. */
const POD_TEXT =
  /OOMKill|Evicted|Back-off restarting|CrashLoopBackOff|Liveness probe failed|Readiness probe failed|exit code 137/i;

function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function classifyEvent(event: RcaEvent): EventClass {
  const kind = words(event.kind);
  const any = (set: ReadonlySet<string>) => kind.some((w) => set.has(w));
  if (any(ALERT)) return 'alert';
  if (any(STRONG_HEALTH)) return 'health';
  if (any(DEPLOY)) return 'deployment_change';
  if (any(CONFIG)) return 'config_change';
  if (any(WEAK_HEALTH)) return 'health';
  // A generic kind (k8s_event, event, kubernetes): what it says decides.
  if (HEALTH_TEXT.test(event.description)) return 'health';
  if (POD_TEXT.test(event.description) || any(POD)) return POD_TEXT.test(event.description) ? 'pod' : 'other';
  if (/\b(deploy|rollout|release|roll(ed)? back|upgrade)/i.test(event.description)) return 'deployment_change';
  if (/\b(config|flag|scale|scaled|replicas|set)\b/i.test(event.description)) return 'config_change';
  return 'other';
}

/** The cause kind an alert's text points at (a dependency's alert, a GPU alert), if any. */
export function alertHint(event: RcaEvent): CauseKind | undefined {
  return signatureOf(`${event.kind} ${event.description}`)?.kind;
}

const FLEET_WIDE = new Set(['', '*', 'all', 'fleet', 'cluster', 'global']);

/** The event concerns the deployment: its own name (`mistral-7b`, `mistral-7b/prod`) or the whole fleet. */
export function concerns(event: RcaEvent, deployment: string): boolean {
  const target = event.target.trim().toLowerCase();
  if (FLEET_WIDE.has(target)) return true;
  const name = deployment.toLowerCase();
  return target === name || target.split(/[/:@ ,]/).includes(name);
}

export function isFleetWide(event: RcaEvent): boolean {
  return FLEET_WIDE.has(event.target.trim().toLowerCase());
}

/** The version a deploy replaced, from descriptions such as "deploy x v5 (was v4)" or "from v4 to v5". */
export function previousVersion(description: string): string | undefined {
  return (/\bwas (v?[\w.-]+)\)?/i.exec(description) ??
    /\bfrom (v?[\w.-]+) to\b/i.exec(description) ??
    /\(previous (v?[\w.-]+)\)/i.exec(description) ??
    /\((v?[\w.-]+) → v?[\w.-]+\)/.exec(description))?.[1];
}

/**
 * Whether a change added replicas ("scale x from 2 to 4 replicas", "HPA scaled x from 2 to 4", "replicas 2 → 4"):
 * more capacity, which cannot be why a deployment ran short of it. Undefined when the text does not say.
 */
export function addsReplicas(description: string): boolean | undefined {
  if (!/\b(replicas?|scale[ds]?|scaling|hpa|autoscal\w*)\b/i.test(description)) return undefined;
  const pair =
    /\bfrom (\d+) to (\d+)\b/i.exec(description) ??
    /\b(\d+)\s*(?:→|->|=>)\s*(\d+)\b/.exec(description) ??
    (([, to, from]) => (to && from ? [description, from, to] : null))(
      /replicas[= ](\d+)\s*\(was (\d+)\)/i.exec(description) ?? [],
    );
  if (!pair) return undefined;
  return Number(pair[2]) > Number(pair[1]);
}

const GENERIC_PLACE = /^(node|nodes|gpu\d*|gpus|cluster|host|all|\*|on|of|the|is|now|status|true|false)$/i;

/**
 * The places (node or host names, pod names) a health or pod event names: the parts of its target
 * (`node/gpu-node-07`, `gpu-node-07/gpu3`, `ip-10-0-1-2.ec2.internal:GPU-ab12`) and host-like words
 * of its description ("Node gpu-node-07 status is now: NodeNotReady").
 */
export function placesNamed(event: RcaEvent): string[] {
  const fromTarget = event.target
    .split(/[/:@,\s]+/)
    .filter((p) => p.length > 2 && !GENERIC_PLACE.test(p) && !/^GPU-[0-9a-f-]+$/i.test(p));
  const fromText = event.description
    .split(/[\s,;()=]+/)
    .map((w) => w.replace(/^[^\w]+|[^\w]+$/g, ''))
    .filter((w) => /[a-z]{2}/i.test(w) && /[-.]/.test(w) && /\d/.test(w) && !/^v\d/i.test(w) && !/^(?:PCI|GPU-)/i.test(w));
  return [...new Set([...fromTarget, ...fromText])];
}
