import { findGpu } from '../analysis/gpu-catalogue.ts';
import { findModel } from '../analysis/model-catalogue.ts';
import {
  GiB,
  KV_BYTES,
  MEMORY_UTILIZATION,
  OVERHEAD_PER_GPU_BYTES,
  WEIGHT_BYTES,
  type WeightDtype,
} from '../analysis/resource-sizing.ts';
import { AppError } from '../errors.ts';

/** What a simulated server runs: the knobs a vLLM operator sets. */
export interface ServerConfig {
  model: string;
  gpu: string;
  gpuCount: number;
  dtype: WeightDtype;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
}

/**
 * The performance of a GPU server, from first principles:
 * - a decode step reads all weights once (memory-bound) plus each running sequence's KV
 *   cache, so its time is `base + perSeq × batch`;
 * - prefill is compute-bound: 2 × parameters FLOPs per prompt token at ~50% of peak;
 * - the KV cache holds what memory is left after weights and overhead.
 */
export interface Performance {
  decodeBaseMs: number;
  decodePerSeqMs: number;
  prefillTokensPerSecond: number;
  kvCapacityTokens: number;
  /** Quality relative to the bf16 model (1 = unchanged), what quantisation costs. */
  qualityScore: number;
}

/** HBM bandwidth (GB/s) and dense bf16 TFLOPS of the GPUs in the catalogue. */
const GPU_SPEED: Record<string, { bandwidthGBs: number; tflops: number }> = {
  L4: { bandwidthGBs: 300, tflops: 121 },
  A10G: { bandwidthGBs: 600, tflops: 70 },
  L40S: { bandwidthGBs: 864, tflops: 362 },
  'A100-40GB': { bandwidthGBs: 1555, tflops: 312 },
  'A100-80GB': { bandwidthGBs: 2039, tflops: 312 },
  H100: { bandwidthGBs: 3350, tflops: 989 },
  H200: { bandwidthGBs: 4800, tflops: 989 },
};

/** Quantised kernels dequantise on the fly, so they do not reach the ideal byte saving. */
const KERNEL_EFFICIENCY: Record<WeightDtype, number> = {
  fp32: 1,
  fp16: 1,
  bf16: 1,
  fp8: 0.9,
  int8: 0.85,
  int4: 0.75,
  awq: 0.75,
  gptq: 0.7,
};
const QUALITY: Record<WeightDtype, number> = {
  fp32: 1,
  fp16: 1,
  bf16: 1,
  fp8: 0.995,
  int8: 0.99,
  int4: 0.97,
  awq: 0.975,
  gptq: 0.97,
};

export function performanceOf(config: ServerConfig): Performance {
  const model = findModel(config.model);
  const gpu = findGpu(config.gpu);
  const speed = gpu ? GPU_SPEED[gpu.id] : undefined;
  if (!model || !gpu || !speed)
    throw new AppError('simulator_config_invalid', `cannot simulate ${config.model} on ${config.gpu}`);
  const weightBytes = model.parameters * WEIGHT_BYTES[config.dtype];
  const bandwidth = speed.bandwidthGBs * 1e9 * config.gpuCount * 0.8; // ~80% of peak bandwidth is achievable
  const decodeBaseMs = (weightBytes / bandwidth / KERNEL_EFFICIENCY[config.dtype]) * 1000 + 2; // +2 ms scheduling and sampling
  const kvPerToken = 2 * model.layers * model.kvHeads * model.headDim * KV_BYTES.auto;
  // Each sequence's decode reads its KV cache; at ~1,000 tokens of context on average.
  const decodePerSeqMs = ((kvPerToken * 1000) / bandwidth) * 1000 + 0.05;
  const prefillTokensPerSecond = (speed.tflops * 1e12 * config.gpuCount * 0.5) / (2 * model.parameters);
  const usable = gpu.memoryMiB * 1024 ** 2 * MEMORY_UTILIZATION * config.gpuCount;
  const kvBytes = usable - weightBytes - OVERHEAD_PER_GPU_BYTES * config.gpuCount;
  if (kvBytes < kvPerToken * 1024) {
    throw new AppError(
      'simulator_config_invalid',
      `${config.model} in ${config.dtype} does not fit on ${config.gpuCount} × ${gpu.id} (${(weightBytes / GiB).toFixed(1)} GiB of weights)`,
    );
  }
  return {
    decodeBaseMs,
    decodePerSeqMs,
    prefillTokensPerSecond,
    kvCapacityTokens: Math.floor(kvBytes / kvPerToken),
    qualityScore: QUALITY[config.dtype],
  };
}

/** Duration of one engine step: the prefill of newly admitted prompts, then one decode token for every running sequence. */
export function stepMs(performance: Performance, batch: number, prefillTokens: number, slowdown = 1): number {
  const decode = batch > 0 ? performance.decodeBaseMs + performance.decodePerSeqMs * batch : 0;
  const prefill = (prefillTokens / performance.prefillTokensPerSecond) * 1000;
  return (decode + prefill) * slowdown;
}
