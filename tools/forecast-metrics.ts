import { z } from 'zod';
import { forecast } from '../src/analysis/forecast/index.ts';
import { estimateResources } from '../src/analysis/resource-sizing.ts';
import { saveLineChart } from '../src/charts/line-chart.ts';
import { runLoadTest } from '../src/integrations/load-tester.ts';
import { CURATED_METRICS } from '../src/metrics/curated-metrics.ts';
import { formatValue } from '../src/metrics/format-value.ts';
import { parseDuration } from '../src/time/time-range.ts';
import { deploymentName, duration, metricKind } from '../src/tools/common-fields.ts';
import { unknownDeployment } from '../src/tools/known-deployment.ts';
import { defineTool, type ToolResult } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

/** Utilisation a replica is planned at: headroom for bursts and for losing a replica. */
const TARGET_UTILISATION = 0.7;
const HISTORY_DAYS = 14;

export default (services: ToolServices) =>
  defineTool({
    name: 'forecast_metrics',
    description:
      'Forecast a metric of a deployment (default requests per second) with 80 % and 95 % prediction intervals, from its own history with the model that back-tests best; with capacity=true, also the replicas and GPUs the forecast peak needs, from a probe of per-replica throughput.',
    input: z.object({
      deployment: deploymentName,
      metric: metricKind.default('request_rate'),
      horizon: duration.default('7d'),
      capacity: z.boolean().default(false).describe('Also turn the forecast into replicas and GPUs'),
    }),
    risk: () => 'read',
    handler: async (args, context): Promise<ToolResult> => {
      const unknown = unknownDeployment(services, args.deployment);
      if (unknown) return unknown;
      const horizonSeconds = (parseDuration(args.horizon) as number) / 1000;
      // Hourly points with a daily season for planning horizons; 5-minute points for short ones.
      const step = horizonSeconds >= 86_400 ? 3600 : Math.max(services.scrapeIntervalSeconds, 300);
      const end = context.now;
      const start = new Date(end.getTime() - HISTORY_DAYS * 86_400_000);
      const answer = await services.metrics.curated({
        kind: args.metric,
        deployment: args.deployment,
        start,
        end,
        stepSeconds: step,
        quantile: 0.95,
      });
      const history = answer.series.find((s) => s.deployment === args.deployment)?.points ?? answer.series[0]?.points ?? [];
      if (history.length < 3) {
        return {
          status: 'no_data',
          summary: `Not enough ${args.metric} history for ${args.deployment} to forecast (${history.length} points over the last ${HISTORY_DAYS} days).`,
        };
      }
      const result = forecast(history, { horizonPoints: Math.max(1, Math.round(horizonSeconds / step)) });
      const unit = answer.unit;
      const peak = result.points.reduce(
        (best, p) => (p.mean > best.mean ? p : best),
        result.points[0] as (typeof result.points)[number],
      );
      const recent = history.slice(-Math.min(history.length, Math.round((3 * 86_400) / step)));
      const chart = await saveLineChart(
        {
          title: `${CURATED_METRICS[args.metric].about} — ${args.deployment}: forecast ${args.horizon} (${result.model})`,
          yLabel: CURATED_METRICS[args.metric].about,
          unit,
          series: [
            { name: 'history', points: recent },
            { name: 'forecast', points: result.points.map((p) => ({ t: p.t, v: p.mean })) },
            { name: 'upper 95 %', points: result.points.map((p) => ({ t: p.t, v: p.hi95 })) },
            { name: 'lower 95 %', points: result.points.map((p) => ({ t: p.t, v: p.lo95 })) },
          ],
          legendTitle: 'series',
        },
        services.chartDir,
        `${args.deployment}-${args.metric}-forecast`,
      );
      const f = (v: number) => formatValue(v, unit);
      const best = result.backtest[0];
      const lines = [
        `Forecast of ${CURATED_METRICS[args.metric].about} for ${args.deployment} over the next ${args.horizon}: peak ${f(peak.mean)} (95 % interval ${f(peak.lo95)}–${f(peak.hi95)}) at ${new Date(peak.t * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC; now ${f(history.at(-1)?.v ?? Number.NaN)}.`,
        `Model: ${result.model}${best ? ` (back-test MASE ${best.mase.toFixed(2)}, ${result.backtest.length} candidates)` : ''}.`,
      ];
      let capacity: Record<string, unknown> | undefined;
      if (args.capacity && args.metric === 'request_rate') {
        capacity = await capacityAdvice(services, args.deployment, peak.hi95, context.signal);
        lines.push(String(capacity.summary));
      } else if (args.capacity) {
        lines.push('Capacity advice needs the request-rate forecast (metric request_rate).');
      }
      lines.push(`Chart: ${chart}`);
      return { status: 'ok', summary: lines.join(' '), data: { ...result, chart, capacity } };
    },
  });

/**
 * Replicas for a forecast peak: measured throughput of one replica (a short probe at half
 * its batch capacity) planned at 70 % utilisation, and GPUs per replica from the sizing engine.
 */
async function capacityAdvice(
  services: ToolServices,
  deployment: string,
  peakRequestsPerSecond: number,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const endpoint = await services.deployments.endpoint(deployment);
  const status = (await services.deployments.list()).find((d) => d.name === deployment);
  let perReplica: number | undefined;
  let basis = '';
  if (endpoint) {
    const report = await runLoadTest({
      baseUrl: endpoint.baseUrl,
      model: endpoint.model,
      requests: 32,
      concurrency: 16,
      maxTokens: 150,
      promptTokens: 300,
      stream: true,
      signal,
    });
    if (report.succeeded > 0) {
      perReplica = report.requestsPerSecond;
      basis = `a probe measured ${report.requestsPerSecond.toFixed(2)} req/s per replica at concurrency 16`;
    }
  }
  if (perReplica === undefined || perReplica <= 0) {
    return {
      summary: `I could not measure per-replica throughput of ${deployment} (no reachable endpoint), so I cannot turn the forecast into replicas.`,
    };
  }
  const replicas = Math.max(1, Math.ceil(peakRequestsPerSecond / (perReplica * TARGET_UTILISATION)));
  const model = status?.model ?? deployment;
  const dtype =
    status?.dtype && ['fp32', 'fp16', 'bf16', 'fp8', 'int8', 'int4', 'awq', 'gptq'].includes(status.dtype)
      ? status.dtype
      : undefined;
  const gpuPerReplica = /^(\d+) × (.+)$/.exec(status?.gpu ?? '');
  let gpus = gpuPerReplica ? `${replicas * Number(gpuPerReplica[1])} × ${gpuPerReplica[2]}` : undefined;
  if (!gpus) {
    const sizing = estimateResources({ model, ...(dtype ? { dtype: dtype as 'bf16' } : {}) });
    gpus = sizing.recommendation ? `${replicas * sizing.recommendation.count} × ${sizing.recommendation.gpu}` : 'unknown';
  }
  const current = status?.replicas ?? 1;
  const verdict =
    replicas > current
      ? `scale from ${current} to ${replicas} replicas before the peak`
      : `the current ${current} replica${current === 1 ? ' suffices' : 's suffice'}`;
  return {
    summary: `Capacity: the 95 % upper peak of ${peakRequestsPerSecond.toFixed(2)} req/s needs ${replicas} replica${replicas === 1 ? '' : 's'} (${gpus}) at ${TARGET_UTILISATION * 100} % utilisation, since ${basis}: ${verdict}.`,
    replicas,
    gpus,
    perReplicaRequestsPerSecond: perReplica,
    currentReplicas: current,
  };
}
