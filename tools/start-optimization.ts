import { z } from 'zod';
import { AppError } from '../src/errors.ts';
import { deploymentName } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

export const startOptimizationInput = z.object({
  kind: z.enum(['quantize', 'distill', 'tune'], { error: 'must be "quantize", "distill" or "tune"' }).describe('What to do'),
  deployment: deploymentName,
  environment: z
    .enum(['staging', 'dev'], { error: 'must be "staging" or "dev": trials and candidates never run in prod' })
    .default('staging')
    .describe('Where trials and candidates run'),
  method: z.enum(['awq', 'gptq', 'fp8', 'int8']).optional().describe('Quantisation method (kind=quantize)'),
  student: z.string().trim().min(1).optional().describe('Student model (kind=distill)'),
  objective: z
    .enum(['throughput', 'cost', 'latency'])
    .optional()
    .describe('What tuning maximises (throughput) or minimises (cost per 1M tokens, latency)'),
  slo_p95_ttft_ms: z.number().positive().optional().describe('Tuning constraint: p95 time to first token, ms'),
  slo_p95_tpot_ms: z.number().positive().optional().describe('Tuning constraint: p95 time per output token, ms'),
  trials: z.number().int().min(2).max(60).optional().describe('Tuning: configurations to try (default 20)'),
  optimizer: z.enum(['bayesian', 'genetic', 'random']).optional().describe('Tuning: search method (default bayesian)'),
});
export type StartOptimizationArgs = z.infer<typeof startOptimizationInput>;

export default (services: ToolServices) => {
  const optimizations = () => {
    if (!services.optimizations) throw new AppError('jobs_unavailable', 'Optimisation jobs are not configured.');
    return services.optimizations;
  };
  return defineTool({
    name: 'start_optimization',
    description:
      'Start an optimisation job on a deployment: quantize (awq, gptq, fp8, int8), distill to a smaller student, or tune the serving config (max_num_seqs, max_num_batched_tokens, tensor parallel size, quantisation) for an objective under latency SLOs. Spends GPUs, so it needs approval; progress is posted to the thread.',
    input: startOptimizationInput,
    // Jobs spend GPUs: in staging a person approves; dev is the sandbox.
    risk: (args) => (args.environment === 'dev' ? 'write' : 'dangerous'),
    plan: async (args) => optimizations().plan(args),
    handler: async (args, context) => optimizations().start(args, context),
  });
};
