import { z } from 'zod';
import { deploymentName, duration, metricKind, quantile, timeRange } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'query_metrics',
  description:
    'Query a curated serving metric (latency quantiles, throughput, queue depth, KV-cache use, errors) of a deployment over a time range, with a chart; or raw PromQL when a Prometheus server is configured.',
  input: z.object({
    deployment: deploymentName.optional(),
    metric: metricKind.optional(),
    quantile: quantile.optional(),
    range: timeRange.default('last 1h'),
    step: duration.optional(),
    promql: z.string().trim().min(1).max(4000).optional().describe('Raw PromQL instead of a curated metric'),
  }),
  risk: () => 'read',
});
