import { z } from 'zod';
import { deploymentName, environment, gpuType } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'deploy_model',
  description:
    'Deploy a model version to an environment with the given resources. Always needs a human approval in prod; the call only proposes the change.',
  input: z.object({
    model: deploymentName.describe('Model / deployment name, e.g. "llama-3-8b"'),
    version: z.string().trim().min(1).max(64).describe('Version to deploy, e.g. "v2"'),
    environment,
    replicas: z.number().int().min(1).max(64).optional().describe('Replicas to run'),
    gpu_type: gpuType.optional(),
    gpu_count: z.number().int().min(1).max(16).optional().describe('GPUs per replica'),
    quantization: z.string().trim().min(1).optional().describe('Quantisation, e.g. "awq", "fp8"'),
  }),
  risk: (args) => (args.environment === 'prod' ? 'dangerous' : 'write'),
});
