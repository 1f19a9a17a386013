import { z } from 'zod';
import { type AnomalyInterval, anomalousIntervalsOf } from '../src/analysis/anomaly/index.ts';
import { detectMultivariate } from '../src/analysis/anomaly/isolation-forest.ts';
import { saveLineChart } from '../src/charts/line-chart.ts';
import { CURATED_METRICS, LATENCY_KINDS, type MetricKind } from '../src/metrics/curated-metrics.ts';
import { formatValue } from '../src/metrics/format-value.ts';
import type { Point } from '../src/metrics/metrics-source.ts';
import { parseTimeRange } from '../src/time/time-range.ts';
import { deploymentName, metricKind, timeRange } from '../src/tools/common-fields.ts';
import { unknownDeployment } from '../src/tools/known-deployment.ts';
import { defineTool, type ToolResult } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

/** The metrics checked when none is named: latency, load, errors and saturation. */
const DEFAULT_METRICS: MetricKind[] = [
  'ttft',
  'tpot',
  'e2e_latency',
  'request_rate',
  'error_rate',
  'queue_depth',
  'kv_cache_usage',
];
/** Metrics the multivariate detector looks at together. */
const JOINT_METRICS: MetricKind[] = ['e2e_latency', 'queue_depth', 'kv_cache_usage', 'error_rate'];
/** History before the range that the streaming detectors learn from: two days (the daily rhythm) and at least 720 points, past their warm-up (their calibrators answer from about 430 points). */
const WARM_UP_MS = 2 * 86_400_000;
const WARM_UP_POINTS = 720;
const MAX_POINTS = 600;
/** Anomalies listed in the answer; beyond that it lists the strongest and says how many there are. */
const MAX_LISTED = 10;

interface Found extends AnomalyInterval {
  deployment: string;
  kind: MetricKind;
  unit: string;
}

export default (services: ToolServices) =>
  defineTool({
    name: 'detect_anomalies',
    description:
      'Find anomalous intervals in the metrics of one deployment or the whole fleet over a range (latency, traffic, errors, queue, KV cache; or one named metric), with direction, size against baseline, start time, the metrics that moved together, and a chart with the anomalies marked.',
    input: z.object({
      deployment: deploymentName.optional(),
      metric: metricKind.optional(),
      range: timeRange.default('last 24h'),
    }),
    risk: () => 'read',
    handler: async (args, context): Promise<ToolResult> => {
      const unknown = unknownDeployment(services, args.deployment);
      if (unknown) return unknown;
      const range = parseTimeRange(args.range, context.now);
      const from = range.start.getTime();
      const to = range.end.getTime();
      const step = Math.max(
        services.scrapeIntervalSeconds,
        Math.ceil((to - from) / 1000 / MAX_POINTS / services.scrapeIntervalSeconds) * services.scrapeIntervalSeconds,
      );
      const kinds = args.metric ? [args.metric] : DEFAULT_METRICS;
      const found: Found[] = [];
      const seriesByKind = new Map<string, Point[]>();
      let checked = 0;
      for (const kind of kinds) {
        let answer: Awaited<ReturnType<typeof services.metrics.curated>>;
        try {
          answer = await services.metrics.curated({
            kind,
            deployment: args.deployment,
            start: new Date(from - Math.max(WARM_UP_MS, WARM_UP_POINTS * step * 1000)),
            end: range.end,
            stepSeconds: step,
            quantile: LATENCY_KINDS.includes(kind) ? 0.95 : undefined,
          });
        } catch {
          continue; // A metric the servers do not expose is skipped, not fatal.
        }
        for (const series of answer.series) {
          checked++;
          seriesByKind.set(`${series.deployment}|${kind}`, series.points);
          for (const interval of anomalousIntervalsOf(series.points, kind)) {
            if (interval.end >= from) found.push({ ...interval, deployment: series.deployment, kind, unit: answer.unit });
          }
        }
      }
      const joint = jointAnomalies(seriesByKind, from);
      found.sort((a, b) => b.peakScore - a.peakScore);
      const where = args.deployment ?? 'the fleet';
      if (found.length === 0 && joint.length === 0) {
        return {
          status: 'ok',
          summary: `No anomalies in ${where} over ${range.label}: checked ${checked} series (${kinds.map((k) => CURATED_METRICS[k].about).join(', ')}) against their own history.`,
          data: { intervals: [], joint: [], checked },
        };
      }
      const top = found[0];
      let chart: string | undefined;
      if (top) {
        const points = (seriesByKind.get(`${top.deployment}|${top.kind}`) ?? []).filter((p) => p.t * 1000 >= from);
        chart = await saveLineChart(
          {
            title: `${CURATED_METRICS[top.kind].about} — ${top.deployment}, ${range.label}: anomalies marked`,
            yLabel: CURATED_METRICS[top.kind].about,
            unit: top.unit,
            series: [{ name: top.deployment, points }],
            marks: found
              .filter((f) => f.deployment === top.deployment && f.kind === top.kind)
              .flatMap((f) =>
                points.filter((p) => p.t * 1000 >= f.start && p.t * 1000 <= f.end).map((p) => ({ t: p.t, v: p.v })),
              ),
            legendTitle: 'deployment',
          },
          services.chartDir,
          `${top.deployment}-${top.kind}-anomalies`,
        );
      }
      // The count said is the count listed: every anomaly up to MAX_LISTED, else the strongest ones, said so.
      const lines = [...found.map((f) => `• ${describe(f)}`), ...joint.map((j) => `• ${j}`)];
      const total = lines.length;
      const shown = lines.slice(0, MAX_LISTED);
      const headline =
        total > shown.length
          ? `The ${shown.length} strongest of ${total} anomalies in ${where} over ${range.label} (all of them in the data):`
          : `${total} anomal${total === 1 ? 'y' : 'ies'} in ${where} over ${range.label}:`;
      return {
        status: 'ok',
        summary: `${headline}\n${shown.join('\n')}${chart ? `\nChart: ${chart}` : ''}`,
        data: { intervals: found, joint, chart, checked },
      };
    },
  });

function describe(f: Found): string {
  const ratio =
    f.size.ratio !== null && Number.isFinite(f.size.ratio)
      ? ` ${f.size.ratio >= 1 ? `${f.size.ratio.toFixed(1)}×` : `to ${(f.size.ratio * 100).toFixed(0)} %`}`
      : '';
  const clock = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  return `${CURATED_METRICS[f.kind].about} of ${f.deployment} ${f.direction}${ratio} (${formatValue(f.baseline, f.unit)} → ${formatValue(f.value, f.unit)}) from ${clock(f.start)} to ${clock(f.end).slice(11)} UTC`;
}

/** Metrics that moved together, by an isolation forest over each deployment's aligned metrics. */
function jointAnomalies(seriesByKind: Map<string, Point[]>, from: number): string[] {
  const byDeployment = new Map<string, Map<number, Record<string, number>>>();
  for (const [key, points] of seriesByKind) {
    const [deployment, kind] = key.split('|') as [string, MetricKind];
    if (!JOINT_METRICS.includes(kind)) continue;
    const rows = byDeployment.get(deployment) ?? new Map<number, Record<string, number>>();
    for (const point of points) rows.set(point.t, { ...rows.get(point.t), [kind]: point.v });
    byDeployment.set(deployment, rows);
  }
  const out: string[] = [];
  for (const [deployment, rows] of byDeployment) {
    const series = [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([t, values]) => ({ t, values }));
    const training = series.filter((row) => row.t * 1000 < from).length;
    if (series.length < 50 || training < 30 || Object.keys(series[0]?.values ?? {}).length < 2) continue;
    const detection = detectMultivariate(series, { trainFraction: training / series.length, seed: 7 });
    for (const interval of detection.intervals) {
      const drivers = interval.drivers
        .filter((d) => Math.abs(d.z) >= 2)
        .map((d) => `${CURATED_METRICS[d.metric as MetricKind]?.about ?? d.metric} ${d.direction}`);
      if (drivers.length < 2) continue;
      const clock = (s: number) => new Date(s * 1000).toISOString().slice(11, 16);
      out.push(
        `${deployment}: ${drivers.join(' and ')} together from ${clock(interval.start)} to ${clock(interval.end)} UTC (isolation forest score ${interval.peakScore.toFixed(2)})`,
      );
    }
  }
  return out;
}
