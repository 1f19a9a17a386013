import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recogniseMetric } from '../src/analysis/rca/metric-names.ts';
import { runCli } from '../src/cli/run-cli.ts';

describe('metric names', () => {
  it('recognise the README kinds, vLLM names, recording rules, common and camelCase names, with their units', () => {
    const cases: Array<[string, string, number]> = [
      ['ttft.json', 'ttft', 1],
      ['vllm:time_to_first_token_seconds.json', 'ttft', 1],
      ['vllm_time_per_output_token_seconds_p99.json', 'tpot', 1],
      ['vllm:inter_token_latency_seconds', 'tpot', 1],
      ['model:vllm_e2e_request_latency_seconds:p95_5m', 'e2e_latency', 1],
      ['p95_latency_ms', 'e2e_latency', 0.001],
      ['vllm_num_requests_waiting', 'queue_depth', 1],
      ['queue_waiting', 'queue_depth', 1],
      ['requests_running', 'running', 1],
      ['vllm:gpu_cache_usage_perc', 'kv_cache_usage', 1],
      ['kv_cache_util', 'kv_cache_usage', 1],
      ['preemptions_rate', 'preemptions', 1],
      ['prompt_tokens_mean', 'prompt_length', 1],
      ['vllm:prompt_tokens_total', 'prompt_throughput', 1],
      ['generation_tokens_rate', 'throughput', 1],
      ['vllm:request_generation_tokens_mean', 'generation_length', 1],
      ['gpu_utilization', 'gpu_utilization', 1],
      ['DCGM_FI_DEV_GPU_TEMP', 'gpu_temperature', 1],
      ['http_requests_5xx_ratio', 'error_rate', 1],
      ['vllm:request_success_total', 'request_rate', 1],
    ];
    for (const [name, kind, scale] of cases) expect(recogniseMetric(name), name).toEqual({ kind, known: true, scale });
  });

  it('recognise names written by nobody in the generator: other separators, case, units and word orders', () => {
    const cases: Array<[string, string, number]> = [
      ['TTFT-P50-ms', 'ttft', 0.001],
      ['FirstTokenLatencySeconds', 'ttft', 1],
      ['avgInputTokens', 'prompt_length', 1],
      ['num_waiting_requests', 'queue_depth', 1],
      ['pending.requests.count', 'queue_depth', 1],
      ['gpu_busy_percent', 'gpu_utilization', 0.01],
      ['output-tokens-per-second', 'throughput', 1],
      ['e2e.latency.p999.us', 'e2e_latency', 1e-6],
      ['failedRequestsRatio', 'error_rate', 1],
      ['QueueTimeMilliseconds', 'queue_time', 0.001],
    ];
    for (const [name, kind, scale] of cases) expect(recogniseMetric(name), name).toEqual({ kind, known: true, scale });
  });

  it('leave alone what does not plainly mean a known metric, however close its words are', () => {
    for (const name of [
      'prefix_cache_hit_rate',
      'vllm:num_requests_swapped',
      'vllm:lora_requests_info',
      'nfs_bytes_read',
      'disk_io_wait',
    ])
      expect(recogniseMetric(name), name).toMatchObject({ known: false });
  });
});

describe('llmops rca with files named the way people name them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmops-rca-names-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const T0 = Date.UTC(2026, 4, 11, 6, 0, 0) / 1000;
  const matrix = (result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }>) =>
    JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } });
  const values = (base: number, level: number, from = 150) =>
    Array.from({ length: 240 }, (_, i): [number, string] => [
      T0 + i * 60,
      String((i >= from ? level : base) * (1 + 0.03 * Math.sin(i))),
    ]);

  it('reads milliseconds as seconds, percentages as shares, per-GPU series by their pod, and says what it did not know', async () => {
    const metrics = join(dir, 'metrics');
    mkdirSync(metrics, { recursive: true });
    writeFileSync(join(metrics, 'p95_latency_ms.json'), matrix([{ metric: { app: 'chat-llm' }, values: values(2100, 6900) }]));
    writeFileSync(
      join(metrics, 'vllm_num_requests_waiting.json'),
      matrix([{ metric: { app: 'chat-llm' }, values: values(0.4, 35) }]),
    );
    writeFileSync(join(metrics, 'kv_usage_pct.json'), matrix([{ metric: { app: 'chat-llm' }, values: values(40, 97) }]));
    writeFileSync(
      join(metrics, 'DCGM_FI_DEV_GPU_UTIL.json'),
      matrix([{ metric: { Hostname: 'gpu-node-4', gpu: '0', pod: 'chat-llm-6c9f7b8d4f-zx8qp' }, values: values(95, 99) }]),
    );
    writeFileSync(join(metrics, 'nfs_bytes_read.json'), matrix([{ metric: { app: 'chat-llm' }, values: values(1e6, 1e6) }]));
    let stdout = '';
    let stderr = '';
    const sink = (append: (s: string) => void) =>
      ({
        write: (s: string) => {
          append(s);
          return true;
        },
      }) as unknown as NodeJS.WritableStream;
    const io = {
      stdin: process.stdin,
      stdout: sink((s) => {
        stdout += s;
      }),
      stderr: sink((s) => {
        stderr += s;
      }),
    };
    const code = await runCli(['rca', '--metrics', metrics, '--json'], io);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('"nfs_bytes_read" is not a metric the engine knows');
    expect(stderr).toContain('p95_latency_ms.json as e2e_latency (× 0.001)');
    expect(stderr).toContain('vllm_num_requests_waiting.json as queue_depth');
    const { hypotheses } = JSON.parse(stdout) as {
      hypotheses: Array<{ kind: string; evidence: Array<Record<string, unknown>> }>;
    };
    expect(hypotheses[0]?.kind).toBe('resource_exhaustion');
    const kv = hypotheses[0]?.evidence.find((e) => e.metric === 'kv_cache_usage');
    expect(kv).toMatchObject({ deployment: 'chat-llm', from: expect.closeTo(0.4, 1), to: expect.closeTo(0.97, 1) });
  });
});
