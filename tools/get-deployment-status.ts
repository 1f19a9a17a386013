import { z } from 'zod';
import { deploymentName, environment } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'get_deployment_status',
  description:
    'List model deployments with version, replicas, health and endpoint. Give a deployment to see one, an environment to see what runs there, or nothing for the whole fleet.',
  input: z.object({
    deployment: deploymentName.optional(),
    environment: environment.optional(),
  }),
  risk: () => 'read',
});
