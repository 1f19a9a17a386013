import { parseArgs } from 'node:util';
import { affectedDeployment } from '../analysis/rca/affected-deployment.ts';
import { rankHypotheses } from '../analysis/rca/index.ts';
import { readEventsFile, readLogFile, readMetricsDir } from '../analysis/rca/rca-files.ts';
import { AppError } from '../errors.ts';

export const RCA_USAGE = `  rca --metrics DIR [--logs FILE] [--events FILE] [--deployment D] [--json]
                               rank root-cause hypotheses from Prometheus query_range JSON files
                               (one per metric), log lines and change events`;

const USAGE = 'usage: llmops rca --metrics DIR [--logs FILE] [--events FILE] [--deployment D] [--json]';

/**
 * `llmops rca`: the root-cause engine on files. With --json it prints
 * `{"hypotheses": [{"kind", "event_id", "confidence", "evidence", "action"}]}` ranked best first;
 * without, the same as text. Notes (an unknown metric, log lines without a time) go to stderr.
 */
export async function runRcaCommand(
  args: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  let values: { metrics?: string; logs?: string; events?: string; deployment?: string; json?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        metrics: { type: 'string' },
        logs: { type: 'string' },
        events: { type: 'string' },
        deployment: { type: 'string' },
        json: { type: 'boolean' },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    throw new AppError('rca_usage', `${(error as Error).message}\n${USAGE}`);
  }
  if (!values.metrics) throw new AppError('rca_usage', `rca needs --metrics DIR\n${USAGE}`);
  const { series, notes } = await readMetricsDir(values.metrics);
  const logs = values.logs ? await readLogFile(values.logs) : { lines: [], untimed: 0 };
  const events = values.events ? await readEventsFile(values.events) : [];
  if (logs.untimed > 0) notes.push(`${values.logs}: ${logs.untimed} lines without a time were skipped`);
  const deployments = [...new Set(series.map((s) => s.deployment))];
  const chosen = values.deployment ? undefined : affectedDeployment(series, logs.lines);
  const deployment = values.deployment ?? chosen?.deployment ?? '';
  if (!deployments.includes(deployment))
    throw new AppError(
      'rca_deployment_unknown',
      `--deployment ${deployment} has no series in ${values.metrics}; deployments there: ${deployments.join(', ')}`,
    );
  if (chosen && deployments.length > 1)
    notes.push(
      chosen.by === 'logs'
        ? `analysing ${deployment}, the deployment the log lines are from (--deployment picks another)`
        : `analysing ${deployment}, the deployment whose metrics moved most (--deployment picks another)`,
    );
  for (const note of notes) io.stderr.write(`llmops rca: ${note}\n`);
  const result = rankHypotheses({ deployment, series, logs: logs.lines, events });
  if (values.json) {
    const hypotheses = result.hypotheses.map((h) => ({
      kind: h.kind,
      event_id: h.event_id,
      confidence: h.confidence,
      evidence: h.evidence,
      action: h.action,
    }));
    io.stdout.write(`${JSON.stringify({ hypotheses })}\n`);
    return 0;
  }
  io.stdout.write(`${deployment}: first move ${result.onset ?? 'none found'}\n`);
  for (const [rank, h] of result.hypotheses.entries()) {
    io.stdout.write(
      `${rank + 1}. ${h.kind} (${h.confidence.toFixed(2)})${h.event_id ? ` blames event ${h.event_id}` : ''}: ${h.summary}\n`,
    );
    for (const e of h.evidence) io.stdout.write(`   • ${e.text}\n`);
    io.stdout.write(`   → ${h.action.summary}\n`);
  }
  return 0;
}
