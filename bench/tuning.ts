import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WeightDtype } from '../src/analysis/resource-sizing.ts';
import {
  type Config,
  createOptimizer,
  OPTIMIZER_KINDS,
  type OptimizerKind,
  parseSearchSpace,
  type SearchSpace,
} from '../src/analysis/tuning/index.ts';
import { SimulatedServer } from '../src/demo/simulated-server.ts';
import { AppError } from '../src/errors.ts';
import { runLoadTest } from '../src/integrations/load-tester.ts';

/**
 * Serving-config optimisers on a tabular benchmark. Every config of a small vLLM grid is measured
 * once, for real: a simulated vLLM server (llama-3-8b on A100-80GB, which paces its engine steps
 * in wall-clock time) under a closed-loop load test. The optimisers then run on that table
 * (lookup, no re-measurement), so 50 seeds each cost nothing more.
 */

const GRID = {
  max_num_seqs: [8, 16, 32, 64],
  max_num_batched_tokens: [512, 2048, 8192],
  tensor_parallel_size: [1, 2, 4],
  quantization: ['bf16', 'fp8', 'int8', 'awq'],
};
const MODEL = 'llama-3-8b';
const GPU = 'A100-80GB';
const WORKLOAD = { requests: 150, concurrency: 64, promptTokens: 256, maxTokens: 64, ignoreEos: true, stream: true };
const SLO = { ttftP95Seconds: 2, tpotP95Seconds: 0.1 };
/**
 * Measuring is mostly waiting on the simulated GPU clock, so configs run side by side — in child
 * processes, not one event loop, where timers firing late would slow every server down.
 */
const PARALLEL_PROCESSES = 8;
const SEEDS = 50;
const BUDGET = 20;
const TARGET = 0.95;
const WORKER_FLAG = 'LLMOPS_TUNING_BENCH_WORKER';

interface Measurement {
  /** Output tokens/s per GPU; null when the config cannot run, a request failed or an SLO was missed. */
  value: number | null;
  /** Why the config is infeasible. */
  why?: string;
}

/** Runs one config against its own simulated server (same seeds for every config); a config the simulator refuses is infeasible, not an error. */
async function measureConfig(config: Config): Promise<Measurement> {
  const tensorParallel = config.tensor_parallel_size as number;
  let server: SimulatedServer;
  try {
    server = new SimulatedServer({
      name: 'tuning-bench',
      version: 'bench',
      seed: 7,
      model: MODEL,
      gpu: GPU,
      gpuCount: tensorParallel,
      dtype: config.quantization as WeightDtype,
      maxNumSeqs: config.max_num_seqs as number,
      maxNumBatchedTokens: config.max_num_batched_tokens as number,
    });
  } catch (error) {
    // The simulator refuses a model that does not fit in memory, as vLLM would at start-up.
    if (AppError.isInstance(error) && error.code === 'simulator_config_invalid')
      return { value: null, why: 'does not fit in GPU memory' };
    throw error;
  }
  await server.start();
  try {
    const report = await runLoadTest({ baseUrl: `${server.url}/v1`, model: 'tuning-bench', seed: 42, ...WORKLOAD });
    const ttft = report.ttft?.p95 ?? Number.POSITIVE_INFINITY;
    const tpot = report.tpot?.p95 ?? Number.POSITIVE_INFINITY;
    if (report.failed > 0) return { value: null, why: 'a request failed' };
    if (ttft > SLO.ttftP95Seconds) return { value: null, why: `p95 TTFT > ${SLO.ttftP95Seconds} s` };
    if (tpot > SLO.tpotP95Seconds) return { value: null, why: `p95 TPOT > ${SLO.tpotP95Seconds * 1000} ms` };
    return { value: report.tokensPerSecond / tensorParallel };
  } finally {
    await server.stop();
  }
}

/** Measures every config once, spread over child processes running this file. */
async function measureGrid(configs: readonly Config[]): Promise<Measurement[]> {
  const results = new Array<Measurement>(configs.length);
  let next = 0;
  const runChild = () =>
    new Promise<void>((resolve, reject) => {
      const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
        env: { ...process.env, [WORKER_FLAG]: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let pending: number | undefined;
      const feed = () => {
        pending = next < configs.length ? next++ : undefined;
        if (pending === undefined) {
          child.disconnect();
          resolve();
        } else child.send({ index: pending, config: configs[pending] });
      };
      child.on('message', (message: { index: number; measurement: Measurement }) => {
        results[message.index] = message.measurement;
        feed();
      });
      child.once('spawn', feed);
      child.once('error', reject);
      child.once('exit', (code) => {
        if (pending !== undefined)
          reject(new Error(`tuning bench worker exited (code ${code}) while measuring config ${pending}`));
      });
    });
  await Promise.all(Array.from({ length: Math.min(PARALLEL_PROCESSES, configs.length) }, runChild));
  return results;
}

/** Trials until an optimiser first evaluates a config within TARGET of the grid best (it always gets there once the grid is exhausted). */
function trialsToTarget(kind: OptimizerKind, space: SearchSpace, table: ReadonlyMap<string, number | null>, seed: number) {
  const values = [...table.values()].filter((value): value is number => value !== null);
  const goal = TARGET * Math.max(...values);
  const optimizer = createOptimizer(kind, space, { seed });
  for (let trial = 1; ; trial++) {
    const config = optimizer.suggest();
    if (!config) return trial;
    const value = table.get(space.key(config)) ?? null;
    optimizer.observe(config, value);
    if (value !== null && value >= goal) return trial;
  }
}

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1] as number;
}

export async function benchTuning(): Promise<void> {
  const space = parseSearchSpace(GRID);
  const configs = space.configs();
  const started = performance.now();
  const measurements = await measureGrid(configs);
  const seconds = (performance.now() - started) / 1000;
  const table = new Map(configs.map((config, i) => [space.key(config), (measurements[i] as Measurement).value]));

  const feasible = configs.flatMap((config, i) => {
    const value = (measurements[i] as Measurement).value;
    return value === null ? [] : [{ config, value }];
  });
  const best = feasible.reduce((a, b) => (b.value > a.value ? b : a));
  const nearBest = feasible.filter((entry) => entry.value >= TARGET * best.value).length;
  const reasons = new Map<string, number>();
  for (const measurement of measurements) {
    if (measurement.value !== null) continue;
    const reason = measurement.why ?? 'unknown';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }

  console.log(
    `Serving-config tuning, tabular benchmark: ${configs.length} configs of ${MODEL} on ${GPU} (${Object.entries(GRID)
      .map(([knob, values]) => `${knob} ${values.join('/')}`)
      .join(', ')})`,
  );
  console.log(
    `  each measured once for real (simulated vLLM + load tester, closed loop ${WORKLOAD.concurrency} × ${WORKLOAD.requests} requests, ${WORKLOAD.promptTokens}-token prompts, ${WORKLOAD.maxTokens} output tokens): ${seconds.toFixed(1)} s in ${PARALLEL_PROCESSES} processes`,
  );
  console.log(
    `  objective: output tokens/s per GPU; infeasible when p95 TTFT > ${SLO.ttftP95Seconds} s, p95 TPOT > ${SLO.tpotP95Seconds * 1000} ms or a request failed: ${configs.length - feasible.length} configs (${[
      ...reasons,
    ]
      .map(([reason, count]) => `${count} × ${reason}`)
      .join(', ')})`,
  );
  console.log(
    `  grid best ${best.value.toFixed(0)} tok/s/GPU at ${space.key(best.config)}; ${nearBest} configs within ${Math.round((1 - TARGET) * 100)}% of it`,
  );
  console.log(
    `  optimisers run on the measured table (lookup, no re-measurement), ${SEEDS} seeds each; trials = configs evaluated until one is within ${Math.round((1 - TARGET) * 100)}% of the grid best`,
  );
  console.log(`  ${'optimiser'.padEnd(10)} ${'median'.padStart(7)} ${'p90'.padStart(5)}   within ${BUDGET} trials`);
  for (const kind of OPTIMIZER_KINDS) {
    const trials = Array.from({ length: SEEDS }, (_, seed) => trialsToTarget(kind, space, table, seed + 1));
    const share = trials.filter((count) => count <= BUDGET).length / SEEDS;
    console.log(
      `  ${kind.padEnd(10)} ${String(percentile(trials, 0.5)).padStart(7)} ${String(percentile(trials, 0.9)).padStart(5)}   ${(share * 100).toFixed(0)}%`,
    );
  }
}

/** A child process started by measureGrid: measures the configs it is sent, one at a time. */
function serveMeasurements(): void {
  process.on('message', async (message: { index: number; config: Config }) => {
    const measurement = await measureConfig(message.config);
    process.send?.({ index: message.index, measurement });
  });
}

if (process.env[WORKER_FLAG] === '1') serveMeasurements();
