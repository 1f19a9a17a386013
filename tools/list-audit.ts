import { z } from 'zod';
import { AppError } from '../src/errors.ts';
import { parseTimeRange } from '../src/time/time-range.ts';
import { deploymentName, timeRange } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

export default (services: ToolServices) =>
  defineTool({
    name: 'list_audit',
    description: 'Who proposed, approved and ran what, when: the audit trail, filtered by time, user, deployment and action.',
    input: z.object({
      range: timeRange.default('last 24h'),
      user: z.string().trim().min(1).optional().describe('Slack user ID or name'),
      deployment: deploymentName.optional(),
      action: z
        .string()
        .trim()
        .min(1)
        .optional()
        .describe('Tool name (deploy_model) or audit action (proposed, approved, rejected, succeeded, failed)'),
    }),
    risk: () => 'read',
    outsideText: true,
    handler: async (args, context) => {
      if (!services.audit) throw new AppError('audit_unavailable', 'The audit trail is not available.');
      const range = parseTimeRange(args.range, context.now);
      const entries = services.audit.query({
        start: range.start,
        end: range.end,
        user: args.user,
        deployment: args.deployment,
        action: args.action,
        limit: 100,
      });
      if (entries.length === 0)
        return {
          status: 'no_data',
          summary: `No audit entries over ${range.label}${args.deployment ? ` for ${args.deployment}` : ''}${args.user ? ` by ${args.user}` : ''}.`,
        };
      const lines = entries
        .slice(0, 20)
        .map(
          (e) =>
            `${e.at.toISOString().slice(0, 16).replace('T', ' ')} ${e.actor} ${e.action}${e.tool ? ` ${e.tool}` : ''}${e.deployment ? ` ${e.deployment}` : ''}${e.environment ? ` (${e.environment})` : ''}${e.proposalId ? ` #${e.proposalId}` : ''}`,
        );
      return {
        status: 'ok',
        summary: `${entries.length} audit entr${entries.length === 1 ? 'y' : 'ies'} over ${range.label} (newest first):\n${lines.map((l) => `• ${l}`).join('\n')}${entries.length > 20 ? `\n… and ${entries.length - 20} more` : ''}`,
        data: entries,
      };
    },
  });
