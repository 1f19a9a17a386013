import { z } from 'zod';
import { deploymentName, environment } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import { requireRollouts, type ToolServices } from '../src/tools/tool-services.ts';

export default (services: ToolServices) => {
  const rollouts = () => requireRollouts(services);
  return defineTool({
    name: 'scale_deployment',
    description:
      'Change the number of replicas of a deployment. Scaling to zero, or in prod, needs a human approval; the call only proposes it.',
    input: z.object({
      deployment: deploymentName,
      environment: environment.optional(),
      replicas: z.number().int().min(0).max(256).describe('Target replica count'),
    }),
    // An unnamed environment may be prod, so it is treated as prod.
    // "scale mistral-7b to 3" means the environment it runs in; risk, the proposal and the policy say so.
    complete: (args) => ({
      ...args,
      environment: args.environment ?? environment.parse(rollouts().environmentOf(args.deployment, undefined)),
    }),
    risk: (args) =>
      args.replicas === 0 || (args.environment !== 'staging' && args.environment !== 'dev') ? 'dangerous' : 'write',
    plan: async (args) => rollouts().planScale(args.deployment, args.environment, args.replicas),
    handler: async (args, context) =>
      rollouts().apply(rollouts().planScale(args.deployment, args.environment, args.replicas), context.userId, context.progress),
  });
};
