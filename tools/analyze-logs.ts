import { z } from 'zod';
import { deploymentName, timeRange } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'analyze_logs',
  description:
    "Mine a deployment's logs into templates: the most common with counts, and those that are new or spiking against the preceding window.",
  input: z.object({
    deployment: deploymentName,
    range: timeRange.default('last 1h'),
  }),
  risk: () => 'read',
});
