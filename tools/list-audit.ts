import { z } from 'zod';
import { deploymentName, timeRange } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'list_audit',
  description: 'Who proposed, approved and ran what, when: the audit trail, filtered by time, user, deployment and action.',
  input: z.object({
    range: timeRange.default('last 24h'),
    user: z.string().trim().min(1).optional().describe('Slack user ID or name'),
    deployment: deploymentName.optional(),
    action: z.string().trim().min(1).optional().describe('Tool name, e.g. "deploy_model"'),
  }),
  risk: () => 'read',
});
