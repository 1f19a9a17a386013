import { AppError } from '../errors.ts';
import { findGpu, GPU_CATALOGUE, type GpuType } from './gpu-catalogue.ts';
import { findModel, type ModelArchitecture, nearestBySize, parameterCountFromName } from './model-catalogue.ts';

export const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/**
 * Bytes per weight. 4-bit AWQ/GPTQ store, per group of 128 weights, an fp16 scale and a
 * 4-bit zero point: (16 + 4) / 128 extra bits per weight.
 */
export const WEIGHT_BYTES = {
  fp32: 4,
  fp16: 2,
  bf16: 2,
  fp8: 1,
  int8: 1,
  int4: (4 + 20 / 128) / 8,
  awq: (4 + 20 / 128) / 8,
  gptq: (4 + 20 / 128) / 8,
} as const;
export type WeightDtype = keyof typeof WEIGHT_BYTES;
export const WEIGHT_DTYPES = Object.keys(WEIGHT_BYTES) as [WeightDtype, ...WeightDtype[]];

export const KV_BYTES = { auto: 2, fp16: 2, bf16: 2, fp8: 1 } as const;
export type KvDtype = keyof typeof KV_BYTES;

/** CUDA context, cuBLAS workspace, activations and CUDA graphs, per GPU. */
export const OVERHEAD_PER_GPU_BYTES = 2 * GiB;
/** Share of each GPU's memory a server may plan with (vLLM's gpu_memory_utilization default). */
export const MEMORY_UTILIZATION = 0.9;
const TENSOR_PARALLEL_SIZES = [1, 2, 4, 8] as const;
const DEFAULT_CONTEXT = 8192;
const DEFAULT_CONCURRENCY = 16;

export interface SizingRequest {
  model: string;
  dtype?: WeightDtype | undefined;
  kvCacheDtype?: KvDtype | undefined;
  contextLength?: number | undefined;
  concurrency?: number | undefined;
  gpuType?: string | undefined;
  gpuCount?: number | undefined;
}

export interface GpuOption {
  gpu: string;
  count: number;
  fits: boolean;
  usedPerGpuGiB: number;
  usablePerGpuGiB: number;
  /** Sequences of the requested context that fit in the KV space left; 0 when the weights alone do not fit. */
  maxConcurrentSequences: number;
  hourlyUsd: number;
}

export interface SizingEstimate {
  model: { id: string; displayName: string; parameters: number; estimated: boolean; layoutFrom?: string };
  assumptions: {
    dtype: WeightDtype;
    bytesPerParameter: number;
    kvCacheDtype: KvDtype;
    contextLength: number;
    concurrency: number;
    overheadPerGpuGiB: number;
    memoryUtilization: number;
  };
  memory: { weightsGiB: number; kvCacheGiB: number; kvPerTokenKiB: number; overheadGiB: number; totalGiB: number };
  recommendation: GpuOption | null;
  /** A cheaper option with more GPUs, when there is one. */
  cheapest: GpuOption | null;
  /** The smallest fitting count per GPU type (or the asked-for count), for comparison. */
  options: GpuOption[];
  warnings: string[];
}

/** Sizes GPU memory and count for serving a model; deterministic, no I/O. */
export function estimateResources(request: SizingRequest): SizingEstimate {
  const { architecture, estimated, parameters } = resolveModel(request.model);
  const dtype = request.dtype ?? 'bf16';
  const kvCacheDtype = request.kvCacheDtype ?? 'auto';
  const contextLength =
    request.contextLength ?? (estimated ? DEFAULT_CONTEXT : Math.min(DEFAULT_CONTEXT, architecture.maxContext));
  const concurrency = request.concurrency ?? DEFAULT_CONCURRENCY;
  const warnings: string[] = [];
  if (!estimated && contextLength > architecture.maxContext) {
    warnings.push(
      `${architecture.displayName} supports ${architecture.maxContext.toLocaleString('en-US')} tokens of context; ${contextLength.toLocaleString('en-US')} needs RoPE scaling and a model variant trained for it.`,
    );
  }

  const weightsBytes = parameters * WEIGHT_BYTES[dtype];
  const kvPerTokenBytes = 2 * architecture.layers * architecture.kvHeads * architecture.headDim * KV_BYTES[kvCacheDtype];
  const kvBytes = kvPerTokenBytes * contextLength * concurrency;

  const sizeOn = (gpu: GpuType, count: number): GpuOption => {
    const usable = gpu.memoryMiB * MiB * MEMORY_UTILIZATION;
    // With more GPUs than KV heads, each GPU still holds one whole head (vLLM replicates them).
    const kvShare = Math.max(1, architecture.kvHeads / count) / architecture.kvHeads;
    const perSequenceBytes = kvPerTokenBytes * contextLength * kvShare;
    const fixedPerGpu = weightsBytes / count + OVERHEAD_PER_GPU_BYTES;
    const used = fixedPerGpu + perSequenceBytes * concurrency;
    return {
      gpu: gpu.id,
      count,
      fits: used <= usable,
      usedPerGpuGiB: round(used / GiB),
      usablePerGpuGiB: round(usable / GiB),
      maxConcurrentSequences: Math.max(0, Math.floor((usable - fixedPerGpu) / perSequenceBytes)),
      hourlyUsd: round(gpu.hourlyUsd * count),
    };
  };

  const validCounts = TENSOR_PARALLEL_SIZES.filter((n) => architecture.attentionHeads % n === 0);
  const smallestFit = (gpu: GpuType): GpuOption => {
    for (const count of validCounts) {
      const option = sizeOn(gpu, count);
      if (option.fits) return option;
    }
    return sizeOn(gpu, validCounts[validCounts.length - 1] ?? 1);
  };

  let options: GpuOption[];
  if (request.gpuType !== undefined) {
    const gpu = findGpu(request.gpuType);
    if (!gpu) {
      throw new AppError(
        'gpu_unknown',
        `Unknown GPU type "${request.gpuType}": expected one of ${GPU_CATALOGUE.map((g) => g.id).join(', ')}`,
      );
    }
    options = [request.gpuCount !== undefined ? sizeOn(gpu, request.gpuCount) : smallestFit(gpu)];
  } else if (request.gpuCount !== undefined) {
    const count = request.gpuCount;
    options = GPU_CATALOGUE.map((gpu) => sizeOn(gpu, count));
  } else {
    options = GPU_CATALOGUE.map(smallestFit);
  }
  if (request.gpuCount !== undefined && architecture.attentionHeads % request.gpuCount !== 0) {
    warnings.push(
      `Tensor parallelism over ${request.gpuCount} GPUs needs the ${architecture.attentionHeads} attention heads to divide evenly; vLLM will refuse it.`,
    );
  }

  // Fewest GPUs first (tensor parallelism costs interconnect time and widens the failure
  // domain), then the cheapest; the cheapest overall is reported beside it.
  const fitting = options.filter((o) => o.fits);
  const recommendation = [...fitting].sort((a, b) => a.count - b.count || a.hourlyUsd - b.hourlyUsd)[0] ?? null;
  const cheapest = [...fitting].sort((a, b) => a.hourlyUsd - b.hourlyUsd || a.count - b.count)[0] ?? null;
  const overheadCount = recommendation?.count ?? 1;

  return {
    model: {
      id: estimated ? request.model.trim().toLowerCase() : architecture.id,
      displayName: estimated ? request.model.trim() : architecture.displayName,
      parameters,
      estimated,
      ...(estimated ? { layoutFrom: architecture.displayName } : {}),
    },
    assumptions: {
      dtype,
      bytesPerParameter: WEIGHT_BYTES[dtype],
      kvCacheDtype,
      contextLength,
      concurrency,
      overheadPerGpuGiB: OVERHEAD_PER_GPU_BYTES / GiB,
      memoryUtilization: MEMORY_UTILIZATION,
    },
    memory: {
      weightsGiB: round(weightsBytes / GiB),
      kvCacheGiB: round(kvBytes / GiB),
      kvPerTokenKiB: round(kvPerTokenBytes / 1024),
      overheadGiB: round((OVERHEAD_PER_GPU_BYTES * overheadCount) / GiB),
      totalGiB: round((weightsBytes + kvBytes + OVERHEAD_PER_GPU_BYTES * overheadCount) / GiB),
    },
    recommendation,
    cheapest: cheapest && recommendation && cheapest.hourlyUsd < recommendation.hourlyUsd ? cheapest : null,
    options: options.sort((a, b) => a.hourlyUsd - b.hourlyUsd),
    warnings,
  };
}

function resolveModel(name: string): { architecture: ModelArchitecture; estimated: boolean; parameters: number } {
  const known = findModel(name);
  if (known) return { architecture: known, estimated: false, parameters: known.parameters };
  const parameters = parameterCountFromName(name);
  if (parameters === undefined) {
    throw new AppError(
      'model_unknown',
      `I do not know the model "${name}" and its name gives no size: name a catalogue model (llama-3-8b, mistral-7b, mixtral-8x7b, qwen2-72b, …) or give the size, e.g. "13b"`,
    );
  }
  return { architecture: nearestBySize(parameters), estimated: true, parameters };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
