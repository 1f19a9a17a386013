import { isSymptom, shiftsOf } from './incident-facts.ts';
import type { RcaLogLine } from './log-evidence.ts';
import type { RcaSeries } from './rank-hypotheses.ts';
import { combineSeries } from './series-combine.ts';

/** Log lines read to see whose logs they are; enough to meet every pod several times. */
const LOG_SAMPLE = 5000;

/**
 * Which deployment an `rca` run is about when nobody said: the one whose logs were given (its lines
 * name its pods, `x-7d9f8c6b5d-q2x8z`, or its served model), else the one whose symptoms moved most
 * clearly (latency, errors, queueing, a full cache up, or served work down; the sum of their t
 * statistics), ties to the name. Traffic moving elsewhere is not a symptom.
 */
export function affectedDeployment(
  series: readonly RcaSeries[],
  logs: readonly RcaLogLine[],
): { deployment: string; by: 'logs' | 'symptoms' } {
  const deployments = [...new Set(series.map((s) => s.deployment))].sort();
  const named = namedInLogs(deployments, logs);
  if (named) return { deployment: named, by: 'logs' };
  const score = new Map(deployments.map((d) => [d, 0]));
  for (const shift of shiftsOf(combineSeries(series)))
    if (isSymptom(shift)) score.set(shift.deployment, (score.get(shift.deployment) ?? 0) + shift.t);
  const deployment = [...score.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? '';
  return { deployment, by: 'symptoms' };
}

/** The deployment most log lines name (as a whole word or a pod name), when it is named far more than any other. */
function namedInLogs(deployments: readonly string[], logs: readonly RcaLogLine[]): string | undefined {
  if (deployments.length < 2 || logs.length === 0) return undefined;
  const counts = new Map<string, number>();
  const step = Math.max(1, Math.floor(logs.length / LOG_SAMPLE));
  for (let i = 0; i < logs.length; i += step) {
    const text = (logs[i]?.raw ?? logs[i]?.message ?? '').toLowerCase();
    // The longest name that fits wins, so `llama-3-8b-prod` is not also counted as `llama-3-8b`.
    const hit = [...deployments]
      .sort((a, b) => b.length - a.length)
      .find((d) =>
        new RegExp(`(^|[^a-z0-9.-])${escapeRegExp(d.toLowerCase())}(?=$|[^a-z0-9.]|-[a-z0-9]{5,10}-[a-z0-9]{5}\\b)`).test(text),
      );
    if (hit) counts.set(hit, (counts.get(hit) ?? 0) + 1);
  }
  const [first, second] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  if (!first || first[1] < 3) return undefined;
  return !second || first[1] >= 5 * second[1] ? first[0] : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
