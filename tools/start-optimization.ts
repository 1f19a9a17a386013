import { z } from 'zod';
import { deploymentName } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'start_optimization',
  description:
    'Start an optimisation job on a deployment: quantize (awq, gptq, fp8, int8), distill to a smaller student, or tune the serving config for an objective under latency SLOs.',
  input: z.object({
    kind: z.enum(['quantize', 'distill', 'tune'], { error: 'must be "quantize", "distill" or "tune"' }).describe('What to do'),
    deployment: deploymentName,
    method: z.enum(['awq', 'gptq', 'fp8', 'int8']).optional().describe('Quantisation method (kind=quantize)'),
    student: z.string().trim().min(1).optional().describe('Student model (kind=distill)'),
    objective: z
      .enum(['throughput', 'cost', 'latency'])
      .optional()
      .describe('What tuning maximises (throughput) or minimises (cost per 1M tokens, latency)'),
    slo_p95_ttft_ms: z.number().positive().optional().describe('Tuning constraint: p95 time to first token, ms'),
    slo_p95_tpot_ms: z.number().positive().optional().describe('Tuning constraint: p95 time per output token, ms'),
  }),
  risk: () => 'write',
});
