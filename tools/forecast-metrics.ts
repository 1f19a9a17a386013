import { z } from 'zod';
import { deploymentName, duration, metricKind } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'forecast_metrics',
  description:
    'Forecast a metric of a deployment with prediction intervals and, with capacity=true, the replicas and GPUs the forecast traffic needs.',
  input: z.object({
    deployment: deploymentName,
    metric: metricKind.default('request_rate'),
    horizon: duration.default('7d'),
    capacity: z.boolean().default(false).describe('Also turn the forecast into replicas and GPUs'),
  }),
  risk: () => 'read',
});
