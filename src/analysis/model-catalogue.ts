/**
 * Architecture numbers of common open models, from each model's published
 * `config.json` (num_hidden_layers, num_key_value_heads, head_dim or
 * hidden_size / num_attention_heads, max_position_embeddings). Parameter counts are
 * the published totals (Mixtral: all experts, since all of them sit in memory).
 */
export interface ModelArchitecture {
  id: string;
  displayName: string;
  /** Total parameters. */
  parameters: number;
  layers: number;
  attentionHeads: number;
  kvHeads: number;
  headDim: number;
  maxContext: number;
  /** Other spellings people use, lower case. */
  aliases: string[];
}

const B = 1e9;

export const MODEL_CATALOGUE: readonly ModelArchitecture[] = [
  {
    id: 'llama-3-8b',
    displayName: 'Llama 3 8B',
    parameters: 8.03 * B,
    layers: 32,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128,
    maxContext: 8192,
    aliases: ['llama3-8b', 'meta-llama-3-8b', 'llama-3-8b-instruct'],
  },
  {
    id: 'llama-3.1-8b',
    displayName: 'Llama 3.1 8B',
    parameters: 8.03 * B,
    layers: 32,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128,
    maxContext: 131072,
    aliases: ['llama3.1-8b', 'llama-3.1-8b-instruct'],
  },
  {
    id: 'llama-3-70b',
    displayName: 'Llama 3 70B',
    parameters: 70.55 * B,
    layers: 80,
    attentionHeads: 64,
    kvHeads: 8,
    headDim: 128,
    maxContext: 8192,
    aliases: ['llama3-70b', 'meta-llama-3-70b', 'llama-3-70b-instruct'],
  },
  {
    id: 'llama-3.1-70b',
    displayName: 'Llama 3.1 70B',
    parameters: 70.55 * B,
    layers: 80,
    attentionHeads: 64,
    kvHeads: 8,
    headDim: 128,
    maxContext: 131072,
    aliases: ['llama3.1-70b', 'llama-3.1-70b-instruct'],
  },
  {
    id: 'llama-3.1-405b',
    displayName: 'Llama 3.1 405B',
    parameters: 405.85 * B,
    layers: 126,
    attentionHeads: 128,
    kvHeads: 8,
    headDim: 128,
    maxContext: 131072,
    aliases: ['llama3.1-405b'],
  },
  {
    id: 'llama-2-7b',
    displayName: 'Llama 2 7B',
    parameters: 6.74 * B,
    layers: 32,
    attentionHeads: 32,
    kvHeads: 32,
    headDim: 128,
    maxContext: 4096,
    aliases: ['llama2-7b'],
  },
  {
    id: 'llama-2-13b',
    displayName: 'Llama 2 13B',
    parameters: 13.02 * B,
    layers: 40,
    attentionHeads: 40,
    kvHeads: 40,
    headDim: 128,
    maxContext: 4096,
    aliases: ['llama2-13b'],
  },
  {
    id: 'mistral-7b',
    displayName: 'Mistral 7B',
    parameters: 7.24 * B,
    layers: 32,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128,
    maxContext: 32768,
    aliases: ['mistral-7b-instruct', 'mistral-7b-v0.3'],
  },
  {
    id: 'mixtral-8x7b',
    displayName: 'Mixtral 8x7B',
    parameters: 46.7 * B,
    layers: 32,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128,
    maxContext: 32768,
    aliases: ['mixtral-8x7b-instruct'],
  },
  {
    id: 'qwen2-7b',
    displayName: 'Qwen2 7B',
    parameters: 7.62 * B,
    layers: 28,
    attentionHeads: 28,
    kvHeads: 4,
    headDim: 128,
    maxContext: 32768,
    aliases: ['qwen2-7b-instruct', 'qwen2.5-7b'],
  },
  {
    id: 'qwen2-72b',
    displayName: 'Qwen2 72B',
    parameters: 72.71 * B,
    layers: 80,
    attentionHeads: 64,
    kvHeads: 8,
    headDim: 128,
    maxContext: 32768,
    aliases: ['qwen2-72b-instruct', 'qwen2.5-72b'],
  },
  {
    id: 'gemma-2-9b',
    displayName: 'Gemma 2 9B',
    parameters: 9.24 * B,
    layers: 42,
    attentionHeads: 16,
    kvHeads: 8,
    headDim: 256,
    maxContext: 8192,
    aliases: ['gemma2-9b', 'gemma-2-9b-it'],
  },
  {
    id: 'gemma-2-27b',
    displayName: 'Gemma 2 27B',
    parameters: 27.23 * B,
    layers: 46,
    attentionHeads: 32,
    kvHeads: 16,
    headDim: 128,
    maxContext: 8192,
    aliases: ['gemma2-27b', 'gemma-2-27b-it'],
  },
  {
    id: 'phi-3-mini',
    displayName: 'Phi-3 mini (3.8B)',
    parameters: 3.82 * B,
    layers: 32,
    attentionHeads: 32,
    kvHeads: 32,
    headDim: 96,
    maxContext: 4096,
    aliases: ['phi-3-mini-4k', 'phi3-mini', 'phi-3-mini-4k-instruct'],
  },
];

/** Finds a catalogue model by id or alias, ignoring case and a leading organisation ("meta-llama/"). */
export function findModel(name: string): ModelArchitecture | undefined {
  const key = name.trim().toLowerCase().split('/').pop() ?? '';
  return MODEL_CATALOGUE.find((model) => model.id === key || model.aliases.includes(key));
}

/** Reads a parameter count written into a name, e.g. "13b", "my-model-1.5B", "500m". */
export function parameterCountFromName(name: string): number | undefined {
  const match = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z])/i.exec(name.toLowerCase());
  if (!match) return undefined;
  const value = Number(match[1]) * (match[2] === 'b' ? 1e9 : 1e6);
  return value > 0 ? value : undefined;
}

/** The catalogue model nearest in size, whose attention layout stands in for an unknown model's. */
export function nearestBySize(parameters: number): ModelArchitecture {
  let best = MODEL_CATALOGUE[0] as ModelArchitecture;
  for (const model of MODEL_CATALOGUE) {
    if (Math.abs(Math.log(model.parameters / parameters)) < Math.abs(Math.log(best.parameters / parameters))) best = model;
  }
  return best;
}
