import { z } from 'zod';
import { AppError } from '../src/errors.ts';
import { parseMatch } from '../src/integrations/logs/log-source.ts';
import { parseTimeRange } from '../src/time/time-range.ts';
import { deploymentName, timeRange } from '../src/tools/common-fields.ts';
import { unknownDeployment } from '../src/tools/known-deployment.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

export default (services: ToolServices) =>
  defineTool({
    name: 'search_logs',
    description:
      'Return log lines of a deployment (or all) that match a text or a /regex/ in a time range, newest first, optionally from a level up.',
    input: z.object({
      deployment: deploymentName.optional(),
      query: z.string().max(500).optional().describe('Text to match, or /regex/'),
      level: z.enum(['error', 'warn', 'info', 'debug']).optional().describe('Lowest log level to include'),
      range: timeRange.default('last 1h'),
      limit: z.number().int().min(1).max(500).default(50).describe('Most lines to return'),
    }),
    risk: () => 'read',
    outsideText: true,
    handler: async (args, context) => {
      const unknown = unknownDeployment(services, args.deployment);
      if (unknown) return unknown;
      if (!services.logs) throw new AppError('logs_unavailable', 'No log source is configured.');
      let match: string | RegExp | undefined;
      try {
        match = parseMatch(args.query);
      } catch (error) {
        throw new AppError('logs_query_invalid', `query ${args.query} is not a valid regex: ${(error as Error).message}`);
      }
      const range = parseTimeRange(args.range, context.now);
      const lines = await services.logs.query({
        deployment: args.deployment,
        start: range.start,
        end: range.end,
        match,
        level: args.level,
        limit: args.limit,
      });
      const what = [args.query ? `matching ${args.query}` : '', args.level ? `at ${args.level} or above` : '']
        .filter(Boolean)
        .join(' ');
      const where = args.deployment ? `${args.deployment}'s logs` : 'the logs';
      if (lines.length === 0)
        return {
          status: 'no_data',
          summary: `No lines${what ? ` ${what}` : ''} in ${where} over ${range.label} (${services.logs.name} source).`,
        };
      return {
        status: 'ok',
        summary: `${lines.length} line${lines.length === 1 ? '' : 's'}${what ? ` ${what}` : ''} in ${where} over ${range.label}, newest first:\n${lines
          .slice(0, 15)
          .map((line) => `• ${line.raw.length > 300 ? `${line.raw.slice(0, 300)}…` : line.raw}`)
          .join('\n')}${lines.length > 15 ? `\n… ${lines.length - 15} more` : ''}`,
        data: lines.map((line) => ({
          at: line.at.toISOString(),
          level: line.level,
          deployment: line.deployment,
          message: line.message,
        })),
      };
    },
  });
