import { z } from 'zod';
import { deploymentName, environment } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import { requireRollouts, type ToolServices } from '../src/tools/tool-services.ts';

export default (services: ToolServices) => {
  const rollouts = () => requireRollouts(services);
  return defineTool({
    name: 'rollback_deployment',
    description:
      'Roll a deployment back to its previous version, or to a named version, from the deployment history. Always needs a human approval; the call only proposes it.',
    input: z.object({
      deployment: deploymentName,
      environment: environment.optional(),
      to_version: z.string().trim().min(1).max(64).optional().describe('Version to return to; default the previous one'),
    }),
    // "roll back mistral-7b" means the environment it runs in; the proposal and the policy say so.
    complete: (args) => ({
      ...args,
      environment: args.environment ?? environment.parse(rollouts().environmentOf(args.deployment, undefined)),
    }),
    risk: () => 'dangerous',
    plan: async (args) => rollouts().planRollback(args.deployment, args.environment, args.to_version),
    handler: async (args, context) =>
      rollouts().apply(
        rollouts().planRollback(args.deployment, args.environment, args.to_version),
        context.userId,
        context.progress,
      ),
  });
};
