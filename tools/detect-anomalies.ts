import { z } from 'zod';
import { deploymentName, metricKind, timeRange } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'detect_anomalies',
  description:
    'Find anomalous intervals in a metric (or all curated metrics) of one deployment or the whole fleet over a range, with size against baseline and a chart.',
  input: z.object({
    deployment: deploymentName.optional(),
    metric: metricKind.optional(),
    range: timeRange.default('last 24h'),
  }),
  risk: () => 'read',
});
