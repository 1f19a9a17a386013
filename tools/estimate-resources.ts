import { z } from 'zod';
import { estimateResources, type SizingEstimate, WEIGHT_DTYPES } from '../src/analysis/resource-sizing.ts';
import { gpuType } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'estimate_resources',
  description:
    'Estimate GPU memory (weights + KV cache + overhead) and the GPU type and count to serve a model at a dtype or quantisation, context length and concurrency. Works for catalogue models and, as an estimate, for any size given like "13b".',
  input: z.object({
    model: z.string().trim().min(1).max(128).describe('Model name, e.g. "llama-3-70b", or a size such as "13b"'),
    dtype: z
      .enum(WEIGHT_DTYPES, { error: `must be one of ${WEIGHT_DTYPES.join(', ')}` })
      .optional()
      .describe('Weight dtype or quantisation; default bf16'),
    kv_cache_dtype: z.enum(['auto', 'fp16', 'bf16', 'fp8']).optional().describe('KV-cache dtype; default auto (16-bit)'),
    context_length: z.number().int().min(1).max(2_000_000).optional().describe('Tokens of context per sequence'),
    concurrency: z.number().int().min(1).max(4096).optional().describe('Sequences served at once'),
    gpu_type: gpuType.optional(),
    gpu_count: z.number().int().min(1).max(8).optional().describe('GPUs per replica (tensor parallel)'),
  }),
  risk: () => 'read',
  handler: async (args) => {
    const estimate = estimateResources({
      model: args.model,
      dtype: args.dtype,
      kvCacheDtype: args.kv_cache_dtype,
      contextLength: args.context_length,
      concurrency: args.concurrency,
      gpuType: args.gpu_type,
      gpuCount: args.gpu_count,
    });
    return { status: 'ok', summary: summarise(estimate), data: estimate };
  },
});

function summarise(e: SizingEstimate): string {
  const a = e.assumptions;
  const name = e.model.estimated
    ? `${e.model.displayName} (an estimate from ${(e.model.parameters / 1e9).toFixed(1)}B parameters, attention layout assumed like ${e.model.layoutFrom})`
    : e.model.displayName;
  const lines = [
    `${name} in ${a.dtype} needs ${e.memory.weightsGiB} GiB for weights + ${e.memory.kvCacheGiB} GiB KV cache (${a.concurrency} × ${a.contextLength.toLocaleString('en-US')} tokens, ${e.memory.kvPerTokenKiB} KiB/token) + ${a.overheadPerGpuGiB} GiB/GPU overhead.`,
  ];
  const r = e.recommendation;
  const only = e.options.length === 1 ? e.options[0] : undefined;
  if (r) {
    lines.push(
      `Recommended: ${r.count} × ${r.gpu} (${r.usedPerGpuGiB} of ${r.usablePerGpuGiB} usable GiB per GPU at ${a.memoryUtilization * 100}% utilisation; room for ${r.maxConcurrentSequences} concurrent sequences; ~$${r.hourlyUsd}/h).`,
    );
    if (e.cheapest) lines.push(`Cheapest: ${e.cheapest.count} × ${e.cheapest.gpu} (~$${e.cheapest.hourlyUsd}/h).`);
  } else if (only && only.maxConcurrentSequences > 0) {
    lines.push(
      `${only.count} × ${only.gpu} holds the weights, but has KV-cache room for only ${only.maxConcurrentSequences} concurrent sequences of ${a.contextLength.toLocaleString('en-US')} tokens, not ${a.concurrency} (${only.usedPerGpuGiB} GiB per GPU needed, ${only.usablePerGpuGiB} usable).`,
    );
  } else if (only) {
    lines.push(
      `It does not fit on ${only.count} × ${only.gpu}: ${only.usedPerGpuGiB} GiB per GPU needed, ${only.usablePerGpuGiB} usable.`,
    );
  } else {
    lines.push(
      'It does not fit on one node of 8 GPUs of any type in the catalogue at these settings: quantise, shorten the context or lower the concurrency.',
    );
  }
  lines.push(...e.warnings);
  return lines.join(' ');
}
