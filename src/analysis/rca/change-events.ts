import type { CauseKind } from './cause-kinds.ts';
import { signatureOf } from './signatures.ts';

/** A change that may explain an incident, from any source: the registry, the audit trail, an alert, a file. */
export interface RcaEvent {
  id: string;
  time: Date;
  /** As the source wrote it: deployment_change, deploy, rollout, config_change, scale, alert, … */
  kind: string;
  target: string;
  description: string;
}

/** What an event is, for ranking: a change that can be blamed, or an alert that only hints. */
export type EventClass = 'deployment_change' | 'config_change' | 'alert' | 'other';

const DEPLOY = /^(deployment_change|deploy(ment)?|rollout|release|rollback|upgrade|image)$/i;
const CONFIG = /^(config(uration)?(_change)?|flag|feature_flag|scale|scaling|scale_deployment|autoscal\w*|resize)$/i;

export function classifyEvent(event: RcaEvent): EventClass {
  if (DEPLOY.test(event.kind)) return 'deployment_change';
  if (CONFIG.test(event.kind)) return 'config_change';
  if (/^alert/i.test(event.kind)) return 'alert';
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
  return (/\bwas (v?[\w.-]+)\)?/i.exec(description) ?? /\bfrom (v?[\w.-]+) to\b/i.exec(description))?.[1];
}
