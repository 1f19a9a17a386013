import { z } from 'zod';
import { saveLineChart } from '../src/charts/line-chart.ts';
import { CURATED_METRICS, LATENCY_KINDS, type MetricKind } from '../src/metrics/curated-metrics.ts';
import { formatValue } from '../src/metrics/format-value.ts';
import type { QueryAnswer } from '../src/metrics/metrics-source.ts';
import { parseDuration, parseTimeRange } from '../src/time/time-range.ts';
import { deploymentName, duration, metricKind, quantile, timeRange } from '../src/tools/common-fields.ts';
import { unknownDeployment } from '../src/tools/known-deployment.ts';
import { defineTool, type ToolResult } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

const OVERVIEW: MetricKind[] = ['ttft', 'tpot', 'e2e_latency', 'request_rate', 'error_rate', 'queue_depth', 'kv_cache_usage'];

export default (services: ToolServices) =>
  defineTool({
    name: 'query_metrics',
    description:
      'Query a curated serving metric (latency quantiles, throughput, queue depth, KV-cache use, errors) of a deployment over a time range, with a chart; without a metric, an overview of the main ones; or raw PromQL when a Prometheus server is configured.',
    input: z.object({
      deployment: deploymentName.optional(),
      metric: metricKind.optional(),
      quantile: quantile.optional(),
      range: timeRange.default('last 1h'),
      step: duration.optional(),
      promql: z.string().trim().min(1).max(4000).optional().describe('Raw PromQL instead of a curated metric'),
    }),
    risk: () => 'read',
    outsideText: true,
    handler: async (args, context): Promise<ToolResult> => {
      const unknown = unknownDeployment(services, args.deployment);
      if (unknown) return unknown;
      const range = parseTimeRange(args.range, context.now);
      const span = (range.end.getTime() - range.start.getTime()) / 1000;
      const stepSeconds = args.step
        ? (parseDuration(args.step) as number) / 1000
        : defaultStep(span, services.scrapeIntervalSeconds);
      if (args.promql) {
        const answer = await services.metrics.raw(args.promql, range.start, range.end, stepSeconds);
        const latest = answer.series.map((s) => `${JSON.stringify(s.labels)} = ${s.points.at(-1)?.v ?? 'n/a'}`);
        return answer.series.length === 0
          ? { status: 'no_data', summary: `PromQL ${args.promql} returned no series over ${range.label}.` }
          : {
              status: 'ok',
              summary: `PromQL ${args.promql} over ${range.label}: ${answer.series.length} series; latest ${latest.slice(0, 5).join('; ')}.`,
              data: answer,
            };
      }
      if (!args.metric) return overview(services, args.deployment, range, stepSeconds);

      const q = LATENCY_KINDS.includes(args.metric) ? (args.quantile ?? 0.95) : undefined;
      const answer = await services.metrics.curated({
        kind: args.metric,
        deployment: args.deployment,
        start: range.start,
        end: range.end,
        stepSeconds,
        quantile: q,
      });
      const label = metricLabel(args.metric, q);
      const who = args.deployment ?? 'the fleet';
      const withData = answer.series.filter((s) => s.points.length > 0);
      if (withData.length === 0) {
        return {
          status: 'no_data',
          summary: `No ${label} data for ${who} over ${range.label} (${answer.source}: ${answer.query}).`,
          data: answer,
        };
      }
      const chart = await saveLineChart(
        {
          title: `${label} — ${who}, ${range.label}`,
          yLabel: label,
          unit: answer.unit,
          series: withData.map((s) => ({ name: s.deployment, points: s.points })),
          legendTitle: 'deployment',
        },
        services.chartDir,
        `${args.deployment ?? 'fleet'}-${args.metric}`,
      );
      const lines = withData.map((s) => {
        const values = s.points.map((p) => p.v);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const f = (v: number) => formatValue(v, answer.unit);
        return `${s.deployment}: ${f(values.at(-1) as number)} now (min ${f(Math.min(...values))}, mean ${f(mean)}, max ${f(Math.max(...values))})`;
      });
      return {
        status: 'ok',
        summary: `${label} over ${range.label}: ${lines.join('; ')}. Source: ${answer.source} (${answer.metricName}). Chart: ${chart}`,
        data: { ...answer, chart, range: { start: range.start.toISOString(), end: range.end.toISOString(), stepSeconds } },
      };
    },
  });

async function overview(
  services: ToolServices,
  deployment: string | undefined,
  range: ReturnType<typeof parseTimeRange>,
  stepSeconds: number,
): Promise<ToolResult> {
  const parts: string[] = [];
  const data: Record<string, QueryAnswer | string> = {};
  for (const kind of OVERVIEW) {
    const q = LATENCY_KINDS.includes(kind) ? 0.95 : undefined;
    try {
      const answer = await services.metrics.curated({
        kind,
        deployment,
        start: range.start,
        end: range.end,
        stepSeconds,
        quantile: q,
      });
      data[kind] = answer;
      const latest = answer.series.map(
        (s) => `${deployment ? '' : `${s.deployment} `}${formatValue(s.points.at(-1)?.v ?? Number.NaN, answer.unit)}`,
      );
      parts.push(`${metricLabel(kind, q)} ${latest.join(', ')}`);
    } catch (error) {
      data[kind] = (error as Error).message;
    }
  }
  if (parts.length === 0)
    return { status: 'no_data', summary: `No metrics for ${deployment ?? 'the fleet'} over ${range.label}.`, data };
  return { status: 'ok', summary: `${deployment ?? 'Fleet'} now (${range.label}): ${parts.join('; ')}.`, data };
}

function metricLabel(kind: MetricKind, q: number | undefined): string {
  const about = CURATED_METRICS[kind].about;
  return q === undefined ? about : `p${Math.round(q * 1000) / 10} ${kind === 'ttft' ? 'TTFT' : kind === 'tpot' ? 'TPOT' : about}`;
}

/** About 120 points per chart, never finer than the scrape interval. */
function defaultStep(spanSeconds: number, scrapeIntervalSeconds: number): number {
  return Math.max(scrapeIntervalSeconds, Math.ceil(spanSeconds / 120 / scrapeIntervalSeconds) * scrapeIntervalSeconds);
}
