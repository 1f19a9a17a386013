/**
 * GPUs people serve models on. Memory is what `nvidia-smi` reports as total (MiB), which
 * is what a serving engine can plan with. `hourlyUsd` is a typical on-demand cloud price
 * per GPU, used only to rank options by cost; real prices vary by provider and contract.
 */
export interface GpuType {
  id: string;
  memoryMiB: number;
  hourlyUsd: number;
  aliases: string[];
}

export const GPU_CATALOGUE: readonly GpuType[] = [
  { id: 'L4', memoryMiB: 23_034, hourlyUsd: 0.8, aliases: ['l4'] },
  { id: 'A10G', memoryMiB: 23_028, hourlyUsd: 1.0, aliases: ['a10g', 'a10'] },
  { id: 'L40S', memoryMiB: 46_068, hourlyUsd: 1.9, aliases: ['l40s'] },
  { id: 'A100-40GB', memoryMiB: 40_960, hourlyUsd: 3.0, aliases: ['a100-40', 'a100-40gb', 'a100 40gb', 'a100_40gb'] },
  { id: 'A100-80GB', memoryMiB: 81_920, hourlyUsd: 3.7, aliases: ['a100', 'a100-80', 'a100-80gb', 'a100 80gb', 'a100_80gb'] },
  { id: 'H100', memoryMiB: 81_559, hourlyUsd: 6.0, aliases: ['h100', 'h100-80gb', 'h100 sxm', 'h100-sxm'] },
  { id: 'H200', memoryMiB: 143_771, hourlyUsd: 8.0, aliases: ['h200', 'h200-141gb'] },
];

/** Finds a GPU by id or alias, ignoring case. */
export function findGpu(name: string): GpuType | undefined {
  const key = name.trim().toLowerCase();
  return GPU_CATALOGUE.find((gpu) => gpu.id.toLowerCase() === key || gpu.aliases.includes(key));
}
