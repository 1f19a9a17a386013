import { z } from 'zod';
import { deploymentName, environment } from '../src/tools/common-fields.ts';
import { unknownDeployment } from '../src/tools/known-deployment.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

export default (services: ToolServices) =>
  defineTool({
    name: 'get_deployment_status',
    description:
      'List model deployments with version, replicas, health (asked of the servers themselves), load and endpoint. Give a deployment to see one, an environment to see what runs there, or nothing for the whole fleet.',
    input: z.object({
      deployment: deploymentName.optional(),
      environment: environment.optional(),
    }),
    risk: () => 'read',
    outsideText: true,
    handler: async (args) => {
      const unknown = unknownDeployment(services, args.deployment);
      if (unknown) return unknown;
      const all = await services.deployments.list();
      const chosen = all.filter(
        (d) => (!args.deployment || d.name === args.deployment) && (!args.environment || d.environment === args.environment),
      );
      if (chosen.length === 0) {
        const known = all.map((d) => `${d.name} (${d.environment})`).join(', ') || 'none';
        const what = args.deployment
          ? `a deployment named "${args.deployment}"`
          : `deployments in ${args.environment ?? 'any environment'}`;
        return { status: 'no_data', summary: `There are no ${what}. Known deployments: ${known}.`, data: all };
      }
      const lines = chosen.map((d) => {
        const load =
          d.running === undefined
            ? ''
            : `, ${d.running} running / ${d.waiting ?? 0} waiting, KV cache ${Math.round((d.kvCacheUsage ?? 0) * 100)}%`;
        return `${d.name} (${d.environment}) ${d.version}: ${d.replicas} replica${d.replicas === 1 ? '' : 's'} of ${d.model} on ${d.gpu ?? '?'} ${d.dtype ?? ''}, ${d.healthy ? 'healthy' : `UNHEALTHY (${d.health})`}${load}; endpoint ${d.endpoint}`;
      });
      const unhealthy = chosen.filter((d) => !d.healthy).length;
      return {
        status: 'ok',
        summary: `${chosen.length} deployment${chosen.length === 1 ? '' : 's'}${unhealthy ? `, ${unhealthy} unhealthy` : ', all healthy'}:\n${lines.map((l) => `• ${l}`).join('\n')}`,
        data: chosen,
      };
    },
  });
