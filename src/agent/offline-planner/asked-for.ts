import type { TurnRequest } from '../../tools/tool-definition.ts';
import { planRequest } from './plan-request.ts';

/**
 * Whether the person's own message asked for this change: the deterministic planner reads the
 * message (with the one before, for "same for staging") and must plan the same tool on the same
 * target (deployment or model, environment when both name one, job number). What a model decided
 * after reading logs, labels or alerts is not asked for, however it is phrased.
 */
export function askedFor(
  knownDeployments: () => readonly string[],
): (request: TurnRequest, tool: string, args: Record<string, unknown>) => boolean {
  return (request, tool, args) => {
    const plan = planRequest(request.text, knownDeployments(), request.previous);
    if (plan.kind !== 'calls') return false;
    return plan.calls.some((call) => call.tool === tool && sameTarget(call.args, args));
  };
}

function sameTarget(asked: Record<string, unknown>, made: Record<string, unknown>): boolean {
  const target = (args: Record<string, unknown>) => String(args.deployment ?? args.model ?? '').toLowerCase();
  if (target(asked) === '' || target(asked) !== target(made)) return false;
  if (typeof asked.environment === 'string' && asked.environment !== made.environment) return false;
  if (asked.job_id !== undefined && asked.job_id !== made.job_id) return false;
  return true;
}
