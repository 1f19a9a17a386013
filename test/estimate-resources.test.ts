import { describe, expect, it } from 'vitest';
import { estimateResources } from '../src/analysis/resource-sizing.ts';
import { testAssistant } from './support/test-assistant.ts';

const GiB = 1024 ** 3;

// Each figure below is worked by hand from the models' config.json numbers:
// weights = parameters × bytes per weight; KV = 2 × layers × KV heads × head dim × 2 bytes
// × context × sequences; 2 GiB overhead per GPU; a GPU may use 90% of its memory.
describe('estimate_resources: hand-computed figures', () => {
  it('Llama 3 8B, bf16, 16 × 8,192 tokens: 14.96 GiB weights, exactly 16 GiB KV, one 80 GB GPU', () => {
    const e = estimateResources({ model: 'llama-3-8b', dtype: 'bf16', contextLength: 8192, concurrency: 16 });
    expect(e.memory.weightsGiB).toBe(14.96); // 8.03e9 × 2 B = 16.06e9 B
    expect(e.memory.kvPerTokenKiB).toBe(128); // 2 × 32 × 8 × 128 × 2 B = 131,072 B
    expect(e.memory.kvCacheGiB).toBe(16); // 128 KiB × 8,192 × 16
    const a100 = estimateResources({
      model: 'llama-3-8b',
      dtype: 'bf16',
      contextLength: 8192,
      concurrency: 16,
      gpuType: 'A100-80GB',
    });
    expect(a100.recommendation).toMatchObject({ gpu: 'A100-80GB', count: 1, fits: true, usablePerGpuGiB: 72 });
    expect(a100.recommendation?.usedPerGpuGiB).toBe(32.96); // 14.96 + 16 + 2
    // (72 − 14.957 − 2) GiB of room / 1 GiB per 8,192-token sequence = 55
    expect(a100.recommendation?.maxConcurrentSequences).toBe(55);
  });

  it('Llama 3 70B, fp16, 8 × 8,192 tokens on H100s: 2 are too few, 4 fit', () => {
    const e = estimateResources({
      model: 'meta-llama/Llama-3-70B',
      dtype: 'fp16',
      contextLength: 8192,
      concurrency: 8,
      gpuType: 'h100',
    });
    expect(e.model.id).toBe('llama-3-70b');
    expect(e.memory.weightsGiB).toBe(131.41); // 70.55e9 × 2 B
    expect(e.memory.kvPerTokenKiB).toBe(320); // 2 × 80 × 8 × 128 × 2 B
    expect(e.memory.kvCacheGiB).toBe(20); // 320 KiB × 8,192 × 8
    // Per GPU on 2: 65.70 + 10 + 2 = 77.70 GiB > 71.68 usable (81,559 MiB × 0.9); on 4: 32.85 + 5 + 2.
    expect(e.recommendation).toMatchObject({ gpu: 'H100', count: 4, usedPerGpuGiB: 39.85, usablePerGpuGiB: 71.68 });
    const two = estimateResources({
      model: 'llama-3-70b',
      dtype: 'fp16',
      contextLength: 8192,
      concurrency: 8,
      gpuType: 'H100',
      gpuCount: 2,
    });
    expect(two.recommendation).toBeNull();
    expect(two.options[0]).toMatchObject({ count: 2, fits: false, usedPerGpuGiB: 77.7 });
  });

  it('Mixtral 8x7B, AWQ int4, 4 × 32k tokens: just too big for one L40S, fits on two', () => {
    const e = estimateResources({ model: 'mixtral-8x7b', dtype: 'awq', contextLength: 32768, concurrency: 4, gpuType: 'L40S' });
    // 4 bits + (16-bit scale + 4-bit zero) per 128 weights = 4.156 bits; 46.7e9 × 0.5195 B
    expect(e.assumptions.bytesPerParameter).toBeCloseTo(0.51953125, 8);
    expect(e.memory.weightsGiB).toBe(22.6);
    expect(e.memory.kvCacheGiB).toBe(16); // 128 KiB × 32,768 × 4
    // One L40S: 22.60 + 16 + 2 = 40.60 GiB > 40.49 usable (46,068 MiB × 0.9).
    expect(e.recommendation).toMatchObject({ gpu: 'L40S', count: 2, usedPerGpuGiB: 21.3 });
  });

  it('keeps a whole KV head on each GPU when GPUs outnumber KV heads (Qwen2 7B has 4)', () => {
    const e = estimateResources({
      model: 'qwen2-7b',
      dtype: 'bf16',
      contextLength: 32768,
      concurrency: 1,
      gpuType: 'L4',
      gpuCount: 4,
    });
    expect(e.memory.kvCacheGiB).toBe(1.75); // 2 × 28 × 4 × 128 × 2 B × 32,768
    expect(
      estimateResources({ model: 'qwen2-7b', dtype: 'bf16', contextLength: 32768, concurrency: 1, gpuType: 'L4', gpuCount: 4 })
        .options[0]?.usedPerGpuGiB,
    ).toBe(round((7.62e9 * 2) / GiB / 4 + 1.75 / 4 + 2));
  });

  it('estimates an unknown model from its size and says so', () => {
    const e = estimateResources({ model: 'acme-chat-13b', dtype: 'fp16' });
    expect(e.model).toMatchObject({ estimated: true, parameters: 13e9, layoutFrom: 'Llama 2 13B' });
    expect(e.memory.weightsGiB).toBe(24.21);
  });

  it('refuses a model with no size and an unknown GPU, saying what is expected', () => {
    expect(() => estimateResources({ model: 'my-secret-model' })).toThrow(/give the size, e.g. "13b"/);
    expect(() => estimateResources({ model: 'llama-3-8b', gpuType: 'TPUv5' })).toThrow(
      /Unknown GPU type "TPUv5": expected one of L4, A10G/,
    );
  });

  it('warns when the context exceeds what the model supports', () => {
    expect(estimateResources({ model: 'llama-3-8b', contextLength: 32768 }).warnings[0]).toMatch(/supports 8,192 tokens/);
  });
});

describe('estimate_resources as a tool', () => {
  it('answers through the executor with a summary a person can act on', async () => {
    const assistant = await testAssistant();
    try {
      const result = await assistant.executor.execute(
        'estimate_resources',
        { model: '13b', dtype: 'int4', gpu_type: 'L4' },
        { threadId: 't', userId: 'u', now: new Date() },
      );
      expect(result.status).toBe('ok');
      expect(result.summary).toMatch(/^13b \(an estimate from 13\.0B parameters/);
      expect(result.summary).toMatch(/Recommended: \d × L4/);
    } finally {
      await assistant.dispose();
    }
  });

  it('names the wrong field of invalid arguments', async () => {
    const assistant = await testAssistant();
    try {
      const result = await assistant.executor.execute(
        'estimate_resources',
        { model: 'llama-3-8b', dtype: 'int3', context_length: -5 },
        { threadId: 't', userId: 'u', now: new Date() },
      );
      expect(result).toMatchObject({ status: 'error', code: 'invalid_arguments' });
      expect(result.summary).toContain('field `dtype`: must be one of fp32, fp16');
      expect(result.summary).toContain('field `context_length`');
    } finally {
      await assistant.dispose();
    }
  });
});

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
