import { z } from 'zod';
import { type AnomalyInterval, anomalousIntervalsOf } from '../src/analysis/anomaly/index.ts';
import { type Hypothesis, type RcaSeries, rankHypotheses } from '../src/analysis/rca/index.ts';
import { AppError } from '../src/errors.ts';
import { LATENCY_KINDS, type MetricKind } from '../src/metrics/curated-metrics.ts';
import { parseTimeRange } from '../src/time/time-range.ts';
import { deploymentName, timeRange } from '../src/tools/common-fields.ts';
import { unknownDeployment } from '../src/tools/known-deployment.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

/** The metrics the engine reads, for the deployment and its neighbours. */
const RCA_METRICS: MetricKind[] = [
  'ttft',
  'tpot',
  'e2e_latency',
  'request_rate',
  'error_rate',
  'queue_depth',
  'kv_cache_usage',
  'preemptions',
];
/** The baseline before the range: at least 3 hours, at most a day. */
const MIN_BASELINE_MS = 3 * 3_600_000;
const MAX_BASELINE_MS = 86_400_000;
const MAX_POINTS = 600;
const MAX_LOG_LINES = 200_000;
/** Suggested actions that people can propose in one click: the risky ones, which the approval gate turns into proposals. */
const PROPOSABLE = new Set(['rollback_deployment', 'scale_deployment']);
const LONG_RANGE_MS = 6 * 3_600_000;
/** What the anomaly detectors watch to find an incident in a long range, and the history they learn from. */
const SYMPTOM_METRICS: MetricKind[] = ['tpot', 'ttft', 'e2e_latency', 'error_rate'];
const WARM_UP_MS = 2 * 86_400_000;

export default (services: ToolServices) =>
  defineTool({
    name: 'explain_incident',
    description:
      "Rank root-cause hypotheses for a problem of a deployment from its metrics (and its neighbours'), its logs and recent changes (deploys, config changes, scaling, alerts): each with a kind, a confidence, the change it blames, evidence and a suggested next action. Narrate only the hypotheses it returns.",
    input: z.object({
      deployment: deploymentName,
      range: timeRange.default('last 1h'),
      symptom: z.string().max(500).optional().describe('What people noticed, e.g. "latency", "5xx errors"'),
    }),
    risk: () => 'read',
    outsideText: true,
    handler: async (args, context) => {
      const unknown = unknownDeployment(services, args.deployment);
      if (unknown) return unknown;
      const asked = parseTimeRange(args.range, context.now);
      // A long range holds daily and weekly rhythms that look like level shifts: the seasonal anomaly
      // detectors find the incident in it first, and the engine looks at the hours around that.
      const range =
        asked.end.getTime() - asked.start.getTime() > LONG_RANGE_MS
          ? ((await incidentWindow(services, args.deployment, asked)) ?? asked)
          : asked;
      const span = range.end.getTime() - range.start.getTime();
      const from = new Date(range.start.getTime() - Math.min(MAX_BASELINE_MS, Math.max(MIN_BASELINE_MS, 2 * span)));
      const total = (range.end.getTime() - from.getTime()) / 1000;
      const scrape = services.scrapeIntervalSeconds;
      const step = Math.max(scrape, Math.ceil(total / MAX_POINTS / scrape) * scrape);

      const series: RcaSeries[] = [];
      const failures: string[] = [];
      for (const kind of RCA_METRICS) {
        try {
          const answer = await services.metrics.curated({
            kind,
            start: from,
            end: range.end,
            stepSeconds: step,
            quantile: LATENCY_KINDS.includes(kind) ? 0.95 : undefined,
          });
          for (const s of answer.series) series.push({ deployment: s.deployment, metric: kind, points: s.points });
        } catch (error) {
          failures.push(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (!series.some((s) => s.deployment === args.deployment)) {
        const known = [...new Set(series.map((s) => s.deployment))];
        throw new AppError(
          'deployment_unknown',
          `No metrics of ${args.deployment} from ${services.metrics.name} between ${from.toISOString()} and ${range.end.toISOString()}${known.length > 0 ? `; deployments with metrics: ${known.join(', ')}` : ''}${failures.length > 0 ? ` (${failures[0]})` : ''}.`,
        );
      }
      const logs = services.logs
        ? await services.logs.lines({ deployment: args.deployment, start: from, end: range.end, limit: MAX_LOG_LINES })
        : [];
      const events = services.changeEvents ? await services.changeEvents(new Date(from.getTime() - 3_600_000), range.end) : [];
      const status = (await services.deployments.list()).find((d) => d.name === args.deployment);
      const result = rankHypotheses({
        deployment: args.deployment,
        series,
        logs,
        events,
        focus: { start: range.start, end: range.end },
        replicas: status?.replicas,
      });
      const problem = rollbackProblem(services, result.hypotheses[0]);
      const action = result.hypotheses[0]?.action;
      return {
        status: 'ok',
        summary: summarise(args.deployment, range.label, result.hypotheses, {
          logSource: services.logs ? `${logs.length} log lines (${services.logs.name})` : 'no log source',
          events: events.length,
          series: series.length,
          symptom: args.symptom,
          rollbackProblem: problem,
        }),
        data: {
          deployment: args.deployment,
          range: { start: range.start.toISOString(), end: range.end.toISOString(), baseline_from: from.toISOString() },
          onset: result.onset,
          hypotheses: result.hypotheses,
          // The top hypothesis's action as a call that can be proposed (a Slack button does), or null.
          proposable:
            action?.tool && PROPOSABLE.has(action.tool) && !problem && result.hypotheses[0]?.kind !== 'unknown'
              ? { tool: action.tool, args: action.args ?? {} }
              : null,
          checked: { series: series.length, log_lines: logs.length, events: events.length, unavailable: failures },
        },
      };
    },
  });

function summarise(
  deployment: string,
  label: string,
  hypotheses: Hypothesis[],
  checked: {
    logSource: string;
    events: number;
    series: number;
    symptom?: string | undefined;
    rollbackProblem?: { code: string; message: string } | undefined;
  },
): string {
  const [top, ...rest] = hypotheses;
  if (!top) return `No hypotheses for ${deployment}.`;
  const basis = `Checked ${checked.series} metric series of ${deployment} and its neighbours, ${checked.logSource} and ${checked.events} change events over ${label} and the hours before.`;
  if (top.kind === 'unknown')
    return `${basis}\nNo cause found${checked.symptom ? ` for "${checked.symptom}"` : ''}: ${top.summary}\nNext: ${top.action.summary}`;
  const lines = [
    `Most likely cause${checked.symptom ? ` of "${checked.symptom}"` : ''} on ${deployment}: ${top.kind} (confidence ${top.confidence.toFixed(2)}). ${top.summary}`,
    'Evidence:',
    ...top.evidence.slice(0, 5).map((e) => `• ${e.text}`),
    checked.rollbackProblem?.code === 'rollback_not_needed'
      ? `Next: ${checked.rollbackProblem.message} Watch the metrics recover.`
      : `Next: ${top.action.summary}${checked.rollbackProblem ? ` But no rollback can be proposed: ${checked.rollbackProblem.message}` : proposalHint(top)}`,
  ];
  const others = rest.filter((h) => h.confidence >= 0.05).slice(0, 3);
  if (others.length > 0)
    lines.push(
      `Less likely: ${others.map((h) => `${h.kind} (${h.confidence.toFixed(2)})${h.kind === 'unknown' ? '' : ` — ${h.summary}`}`).join('; ')}`,
    );
  lines.push(basis);
  return lines.join('\n');
}

/** How to ask for the suggested action in words the planner understands. */
/** Why the suggested rollback could not be proposed (the deployment history has no such version), if so. */
function rollbackProblem(services: ToolServices, top: Hypothesis | undefined): { code: string; message: string } | undefined {
  const args = top?.action.args;
  if (top?.action.tool !== 'rollback_deployment' || !services.rollouts || !args) return undefined;
  try {
    services.rollouts.planRollback(String(args.deployment), undefined, args.to_version as string | undefined);
    return undefined;
  } catch (error) {
    return {
      code: AppError.isInstance(error) ? error.code : 'rollback_unavailable',
      message: error instanceof Error ? error.message : String(error),
    };
  }
}

function proposalHint(h: Hypothesis): string {
  const args = h.action.args ?? {};
  if (h.action.tool === 'rollback_deployment')
    return ` Say "roll back ${String(args.deployment)}${args.to_version ? ` to ${String(args.to_version)}` : ''}" to propose it.`;
  if (h.action.tool === 'scale_deployment')
    return ` Say "scale ${String(args.deployment)} to ${String(args.replicas)} replicas" to propose it.`;
  return '';
}

/** The strongest anomaly of the deployment's latency or errors in the range, widened by 30 minutes each side. */
async function incidentWindow(
  services: ToolServices,
  deployment: string,
  range: { start: Date; end: Date; label: string },
): Promise<{ start: Date; end: Date; label: string } | undefined> {
  const from = range.start.getTime();
  const to = range.end.getTime();
  const scrape = services.scrapeIntervalSeconds;
  const step = Math.max(scrape, Math.ceil((to - from) / 1000 / MAX_POINTS / scrape) * scrape);
  let strongest: AnomalyInterval | undefined;
  for (const kind of SYMPTOM_METRICS) {
    let answer: Awaited<ReturnType<ToolServices['metrics']['curated']>>;
    try {
      answer = await services.metrics.curated({
        kind,
        deployment,
        start: new Date(from - Math.max(WARM_UP_MS, 720 * step * 1000)),
        end: range.end,
        stepSeconds: step,
        quantile: LATENCY_KINDS.includes(kind) ? 0.95 : undefined,
      });
    } catch {
      continue; // a metric the servers do not expose
    }
    for (const series of answer.series) {
      for (const interval of anomalousIntervalsOf(series.points, kind)) {
        if (interval.end < from || interval.direction !== 'up') continue;
        if (!strongest || interval.peakScore > strongest.peakScore) strongest = interval;
      }
    }
  }
  if (!strongest) return undefined;
  const clock = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  return {
    start: new Date(Math.max(from, strongest.start - 30 * 60_000)),
    end: new Date(Math.min(to, strongest.end + 30 * 60_000)),
    label: `${clock(strongest.start)}–${clock(strongest.end).slice(11)} UTC (the strongest anomaly in ${range.label})`,
  };
}
