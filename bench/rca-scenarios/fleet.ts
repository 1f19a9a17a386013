import type { Random } from './random.ts';

/**
 * A fleet of vLLM deployments as a platform team runs them: names in one house style, replicas
 * spread over GPU nodes (sometimes sharing a node with a neighbour), and per deployment the
 * serving parameters that set its capacity (batch slots, KV-cache tokens, step times).
 */
export interface Pod {
  name: string;
  node: string;
  /** GPU indices on the node. */
  gpus: number[];
  ip: string;
}

export interface ServingParams {
  /** max_num_seqs per replica. */
  slots: number;
  /** KV-cache capacity per replica, in tokens. */
  kvTokens: number;
  /** Decode step time at an empty batch, seconds, and how much a full batch adds (fraction). */
  stepSeconds: number;
  batchPenalty: number;
  /** Prefill speed, tokens per second per replica. */
  prefillTokensPerSecond: number;
  /** Mean prompt and generation lengths, tokens. */
  promptTokens: number;
  generationTokens: number;
  /** max_model_len. */
  maxModelLen: number;
  /** Spread of prompt lengths (log-normal sigma): sets how much above the mean a p95 is. */
  promptSpread: number;
  /** Requests that fail on a healthy day. */
  baseErrorRate: number;
}

export interface Deployment {
  name: string;
  model: string;
  version: string;
  replicas: number;
  tensorParallel: number;
  gpuType: string;
  pods: Pod[];
  params: ServingParams;
  /** Mean requests per second over a day, and its daily swing (0 = flat) peaking at `peakHour` UTC. */
  baseRate: number;
  dailyAmplitude: number;
  peakHour: number;
  /** Day-to-day wander of traffic (log-scale random walk per step). */
  wander: number;
  /** A scheduled batch job that multiplies traffic for a while each day, if any. */
  batchJob?: { startHour: number; hours: number; factor: number } | undefined;
  /** Upstream services its requests go through. */
  dependencies: string[];
}

const MODELS: ReadonlyArray<{ id: string; short: string; sizeB: number }> = [
  { id: 'meta-llama/Llama-3.1-8B-Instruct', short: 'llama-3.1-8b', sizeB: 8 },
  { id: 'meta-llama/Llama-3.1-70B-Instruct', short: 'llama-3.1-70b', sizeB: 70 },
  { id: 'meta-llama/Llama-3.2-3B-Instruct', short: 'llama-3.2-3b', sizeB: 3 },
  { id: 'mistralai/Mistral-7B-Instruct-v0.3', short: 'mistral-7b', sizeB: 7 },
  { id: 'mistralai/Mixtral-8x7B-Instruct-v0.1', short: 'mixtral-8x7b', sizeB: 47 },
  { id: 'mistralai/Mistral-Nemo-Instruct-2407', short: 'mistral-nemo-12b', sizeB: 12 },
  { id: 'Qwen/Qwen2.5-7B-Instruct', short: 'qwen2.5-7b', sizeB: 7 },
  { id: 'Qwen/Qwen2.5-32B-Instruct', short: 'qwen2.5-32b', sizeB: 32 },
  { id: 'Qwen/Qwen2.5-Coder-14B-Instruct', short: 'qwen2.5-coder-14b', sizeB: 14 },
  { id: 'google/gemma-2-9b-it', short: 'gemma-2-9b', sizeB: 9 },
  { id: 'google/gemma-2-27b-it', short: 'gemma-2-27b', sizeB: 27 },
  { id: 'microsoft/Phi-3-mini-4k-instruct', short: 'phi-3-mini', sizeB: 4 },
  { id: 'deepseek-ai/DeepSeek-R1-Distill-Qwen-14B', short: 'r1-distill-14b', sizeB: 14 },
  { id: 'ibm-granite/granite-3.1-8b-instruct', short: 'granite-3.1-8b', sizeB: 8 },
  { id: 'meta-llama/Llama-Guard-3-8B', short: 'llama-guard-3-8b', sizeB: 8 },
  { id: '01-ai/Yi-1.5-34B-Chat', short: 'yi-34b-chat', sizeB: 34 },
];

const GPUS: ReadonlyArray<{ type: string; memoryGb: number; speed: number }> = [
  { type: 'A10G', memoryGb: 24, speed: 0.35 },
  { type: 'L4', memoryGb: 24, speed: 0.3 },
  { type: 'L40S', memoryGb: 48, speed: 0.7 },
  { type: 'A100-80GB', memoryGb: 80, speed: 1 },
  { type: 'H100-80GB', memoryGb: 80, speed: 1.8 },
];

const TEAMS = ['search', 'support', 'assist', 'copilot', 'docs', 'ml', 'platform', 'chat', 'agents', 'eval'];
const REGIONS = ['eu', 'us', 'use1', 'euw1', 'apac'];
const DEPENDENCIES = [
  'moderation',
  'guardrails',
  'vector-db',
  'qdrant',
  'retriever',
  'embeddings',
  'redis',
  'auth',
  'tokenizer-svc',
  'lora-store',
  'pgvector',
  'feature-store',
];

type NameStyle = (model: string, i: number) => string;
const NAME_STYLES: ReadonlyArray<NameStyle> = [
  (m) => m,
  (m) => `${m}-prod`,
  (m, i) => `${TEAMS[i % TEAMS.length]}-${m}`,
  (m) => `vllm-${m}`,
  (m, i) => `${m}-${REGIONS[i % REGIONS.length]}`,
  (m) => `${m.replace(/[.]/g, '')}-serving`,
  (m, i) => `${TEAMS[(i * 3) % TEAMS.length]}-llm-${m.split('-')[0]}`,
];

type NodeStyle = (r: Random, i: number) => string;
const NODE_STYLES: ReadonlyArray<NodeStyle> = [
  (_, i) => `gpu-node-${String(i + 1).padStart(2, '0')}`,
  (r) => `ip-10-${r.int(0, 9)}-${r.int(10, 250)}-${r.int(2, 250)}.ec2.internal`,
  (r) => `gke-llm-${r.pick(['a100', 'l4', 'h100'])}-pool-${r.hex(8)}-${r.podSuffix(4)}`,
  (r, i) => `aks-gpunp${r.int(1, 3)}-${r.int(10000000, 99999999)}-vmss${String(i).padStart(6, '0')}`,
  (_, i) => `dgx-${String(i + 1).padStart(2, '0')}`,
  (r, i) => `node-${r.pick(['h100', 'a100', 'l40s'])}-${i + 10}`,
  (_, i) => `worker-gpu${i + 1}.k8s.internal`,
];

export interface Fleet {
  deployments: Deployment[];
  nodes: string[];
  /** Dependency services that several deployments share. */
  dependencies: string[];
}

/** A fleet of 1–6 deployments; the first one is the one that will be affected. */
export function generateFleet(r: Random): Fleet {
  const count = r.weighted([
    [1, 1],
    [2, 3],
    [3, 4],
    [4, 4],
    [5, 2],
    [6, 2],
  ] as const);
  const nameStyle = r.pick(NAME_STYLES);
  const models = r.shuffle(MODELS).slice(0, count);
  const names = new Set<string>();
  const deployments: Deployment[] = [];
  const nodeStyle = r.pick(NODE_STYLES);
  const nodeCount = r.int(Math.max(2, Math.ceil(count / 2)), count + 3);
  const nodes = Array.from({ length: nodeCount }, (_, i) => nodeStyle(r, i));
  const gpusFree = new Map(nodes.map((n) => [n, 8]));
  const dependencies = r.shuffle(DEPENDENCIES).slice(0, r.int(2, 4));
  for (const [i, model] of models.entries()) {
    let name = nameStyle(model.short, i);
    while (names.has(name)) name = `${name}-${i}`;
    names.add(name);
    const gpu = r.pick(GPUS);
    // Weights take 2 bytes a parameter; tensor-parallel over enough GPUs to leave room for the KV cache.
    const weightsGb = model.sizeB * 2;
    let tp = 1;
    while (weightsGb / tp > gpu.memoryGb * 0.6 && tp < 8) tp *= 2;
    const replicas = r.weighted([
      [1, 2],
      [2, 4],
      [3, 2],
      [4, 2],
    ] as const);
    const pods: Pod[] = [];
    const rsHash = r.podSuffix(r.int(9, 10));
    for (let k = 0; k < replicas; k++) {
      const candidates = nodes.filter((n) => (gpusFree.get(n) ?? 0) >= tp);
      const node = candidates.length > 0 ? r.pick(candidates) : r.pick(nodes);
      const free = gpusFree.get(node) ?? 8;
      const first = Math.max(0, 8 - free);
      gpusFree.set(node, Math.max(0, free - tp));
      pods.push({
        name: `${name}-${rsHash}-${r.podSuffix(5)}`,
        node,
        gpus: Array.from({ length: tp }, (_, g) => (first + g) % 8),
        ip: `10.${r.int(0, 31)}.${r.int(0, 255)}.${r.int(2, 254)}`,
      });
    }
    const speed = gpu.speed * tp ** 0.8;
    const promptTokens = Math.round(r.logUniform(80, 3000));
    const generationTokens = Math.round(r.logUniform(60, 700));
    const slots = r.pick([32, 48, 64, 128, 128, 256, 256]);
    const maxModelLen = r.pick([4096, 8192, 8192, 16384, 32768, 32768, 131072].filter((l) => l > 3 * promptTokens));
    // Teams size the KV cache (GPU, gpu_memory_utilization, max_num_seqs) so a full batch fits 0.8–8 times over:
    // tight deployments run their cache at 50–70 % at peak, roomy ones at a few percent.
    const kvTokens = Math.max(1.1 * maxModelLen, slots * (promptTokens + generationTokens / 2) * r.logUniform(0.8, 8));
    deployments.push({
      name,
      model: model.id,
      version: `v${r.int(1, 40)}.${r.int(0, 12)}.${r.int(0, 9)}`,
      replicas,
      tensorParallel: tp,
      gpuType: gpu.type,
      pods,
      params: {
        slots,
        kvTokens: Math.round(kvTokens),
        stepSeconds: (0.006 + 0.0009 * model.sizeB) / speed,
        batchPenalty: r.uniform(0.3, 1.2),
        prefillTokensPerSecond: (r.uniform(6000, 14000) * speed) / Math.sqrt(model.sizeB / 7),
        promptTokens,
        generationTokens,
        maxModelLen,
        promptSpread: r.uniform(0.3, 0.9),
        baseErrorRate: r.chance(0.3) ? 0 : r.logUniform(0.0002, 0.008),
      },
      baseRate: 0,
      dailyAmplitude: r.chance(0.2) ? 0 : r.uniform(0.1, 0.6),
      peakHour: r.uniform(10, 18),
      wander: r.uniform(0.002, 0.02),
      batchJob: r.chance(0.2) ? { startHour: r.int(0, 23), hours: r.uniform(0.5, 2), factor: r.uniform(1.3, 2.5) } : undefined,
      dependencies: r.shuffle(dependencies).slice(0, r.int(0, Math.min(2, dependencies.length))),
    });
  }
  return { deployments, nodes, dependencies };
}
