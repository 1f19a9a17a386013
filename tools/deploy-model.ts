import { z } from 'zod';
import { deploymentName, environment, gpuType } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import { requireRollouts, type ToolServices } from '../src/tools/tool-services.ts';

export default (services: ToolServices) => {
  const rollouts = () => requireRollouts(services);
  return defineTool({
    name: 'deploy_model',
    description:
      'Deploy a model version to an environment with the given resources (sized from the model when not given). Needs a human approval per the policy (always in prod); the call only proposes the change and shows the plan.',
    input: z.object({
      model: deploymentName.describe('Model / deployment name, e.g. "llama-3-8b"'),
      version: z
        .string()
        .trim()
        .min(1)
        .max(64)
        .regex(/^[\w.+-]+$/, { error: 'must be a version tag such as v2 or 2024-11-29.1' })
        .describe('Version to deploy, e.g. "v2"'),
      environment,
      replicas: z.number().int().min(1).max(64).optional().describe('Replicas to run'),
      gpu_type: gpuType.optional(),
      gpu_count: z.number().int().min(1).max(16).optional().describe('GPUs per replica'),
      quantization: z.string().trim().min(1).optional().describe('Quantisation, e.g. "awq", "fp8"'),
      model_id: z
        .string()
        .trim()
        .min(1)
        .optional()
        .describe('Catalogue model served, when the deployment name is not the model (mistral-7b-awq serves mistral-7b)'),
      max_num_seqs: z.number().int().min(1).max(4096).optional().describe('vLLM max_num_seqs'),
      max_num_batched_tokens: z.number().int().min(256).max(1_048_576).optional().describe('vLLM max_num_batched_tokens'),
    }),
    risk: (args) => (args.environment === 'prod' ? 'dangerous' : 'write'),
    plan: async (args) => rollouts().planDeploy(args),
    handler: async (args, context) => rollouts().apply(rollouts().planDeploy(args), context.userId, context.progress),
  });
};
