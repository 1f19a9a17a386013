import { z } from 'zod';
import { deploymentName, timeRange } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'explain_incident',
  description:
    'Rank root-cause hypotheses for a problem of a deployment from its metrics, logs and recent changes, each with evidence and a suggested next action.',
  input: z.object({
    deployment: deploymentName,
    range: timeRange.default('last 1h'),
    symptom: z.string().max(500).optional().describe('What people noticed, e.g. "latency", "5xx errors"'),
  }),
  risk: () => 'read',
});
