import { z } from 'zod';
import { deploymentName, timeRange } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'search_logs',
  description: 'Return log lines of a deployment that match a text or a /regex/ in a time range, newest first.',
  input: z.object({
    deployment: deploymentName.optional(),
    query: z.string().max(500).optional().describe('Text to match, or /regex/'),
    level: z.enum(['error', 'warn', 'info', 'debug']).optional().describe('Lowest log level to include'),
    range: timeRange.default('last 1h'),
    limit: z.number().int().min(1).max(500).default(50).describe('Most lines to return'),
  }),
  risk: () => 'read',
});
