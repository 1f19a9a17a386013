import {
  compareWithLive,
  type FidelityDeployment,
  LOAD_LEVELS,
  liveCapacity,
  NEAR_SATURATION,
  rateAt,
} from '../src/demo/backfill-fidelity.ts';
import { DEMO_DEPLOYMENTS } from '../src/demo/demo-fleet.ts';
import type { FaultName } from '../src/demo/faults.ts';
import type { WindowStatistics } from '../src/demo/window-statistics.ts';

const COLUMNS: Array<[string, (s: WindowStatistics) => number, 'ms' | 'x']> = [
  ['TTFT p50', (s) => s.ttft.p50, 'ms'],
  ['TTFT p95', (s) => s.ttft.p95, 'ms'],
  ['ITL p50', (s) => s.itl.p50, 'ms'],
  ['ITL p95', (s) => s.itl.p95, 'ms'],
  ['E2E p50', (s) => s.e2e.p50, 'ms'],
  ['E2E p95', (s) => s.e2e.p95, 'ms'],
  ['running', (s) => s.running, 'x'],
  ['KV use %', (s) => s.kvUsage * 100, 'x'],
];

interface Row {
  deployment: FidelityDeployment;
  label: string;
  rate: number;
  faults?: FaultName[];
}

/** Servers the back-fill's model was not examined on while it was built: other models, GPUs, limits. */
const HELD_OUT_SERVERS: FidelityDeployment[] = [
  {
    name: 'llama-3-70b',
    model: 'llama-3-70b',
    gpu: 'H100',
    gpuCount: 4,
    dtype: 'bf16',
    maxNumSeqs: 128,
    maxNumBatchedTokens: 8192,
  },
  { name: 'gemma-2-9b', model: 'gemma-2-9b', gpu: 'A10G', gpuCount: 1, dtype: 'awq', maxNumSeqs: 24, maxNumBatchedTokens: 4096 },
  {
    name: 'mixtral-8x7b',
    model: 'mixtral-8x7b',
    gpu: 'A100-80GB',
    gpuCount: 2,
    dtype: 'bf16',
    maxNumSeqs: 64,
    maxNumBatchedTokens: 8192,
  },
  {
    name: 'qwen2-7b/A100',
    model: 'qwen2-7b',
    gpu: 'A100-80GB',
    gpuCount: 1,
    dtype: 'bf16',
    maxNumSeqs: 96,
    maxNumBatchedTokens: 8192,
  },
];

/**
 * The demo's back-filled history against its live servers: the live engine driven in virtual
 * time and the back-fill's model at the same constant rate, both read as `histogram_quantile`
 * over the same window of 15 s scrapes. First the cases the model was built on (each demo
 * deployment at a quiet night, its daytime peak and near saturation), then held-out cases:
 * other loads, the faults the history replays, and servers the demo does not run.
 */
export async function benchBackfillFidelity(): Promise<void> {
  console.log(
    `\nDemo back-fill vs live engine (virtual time; a constant rate for 20,000 requests or at least 1 h, 8 h from 85% of capacity up; 15 s scrapes; capacity = what the live engine completes overloaded)`,
  );
  const dev: Row[] = [];
  for (const deployment of DEMO_DEPLOYMENTS) {
    let capacity: number | undefined;
    for (const level of LOAD_LEVELS)
      dev.push({
        deployment,
        label: level,
        rate: rateAt(deployment, level, () => {
          capacity ??= liveCapacity(deployment);
          return capacity;
        }),
      });
  }
  report('Built on: the demo deployments at three loads', dev);

  const heldOut: Row[] = [];
  for (const deployment of DEMO_DEPLOYMENTS) {
    const capacity = liveCapacity(deployment);
    for (const share of [0.5, 0.7, 0.95])
      heldOut.push({ deployment, label: `${share * 100}% of capacity`, rate: share * capacity });
    heldOut.push({ deployment, label: 'bad deploy, peak', rate: deployment.peakRatePerSecond, faults: ['bad_deploy'] });
    heldOut.push({
      deployment,
      label: 'KV cache at 2%, night',
      rate: deployment.peakRatePerSecond * 0.25,
      faults: ['kv_cache_exhaustion'],
    });
  }
  for (const deployment of HELD_OUT_SERVERS) {
    const capacity = liveCapacity(deployment);
    for (const share of [0.1, 0.4, NEAR_SATURATION])
      heldOut.push({ deployment, label: `${Math.round(share * 100)}% of capacity`, rate: share * capacity });
  }
  report('Held out: other loads, faults and servers (not looked at while the model was built)', heldOut);
}

function report(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  console.log(`deployment     load                   req/s   ${COLUMNS.map(([name]) => name.padStart(17)).join(' ')}`);
  const errors: number[] = [];
  for (const row of rows) {
    const seconds =
      Math.round(
        Math.max(row.label.includes('%') || row.label.includes('saturation') ? 8 * 3600 : 3600, 20_000 / row.rate) / 15,
      ) * 15;
    const { live, backfill } = compareWithLive(row.deployment, row.rate, {
      seconds,
      intervalSeconds: 15,
      seed: 5,
      faults: row.faults,
    });
    const cells = COLUMNS.map(([, read, unit]) => {
      const a = read(live);
      const b = read(backfill);
      const error = Math.abs(b - a) / Math.max(Math.abs(a), 1e-9);
      errors.push(error);
      const format = (x: number) => (unit === 'ms' ? (x * 1000).toFixed(x < 1 ? 1 : 0) : x.toFixed(2));
      return `${format(a)}/${format(b)} ${(error * 100).toFixed(0).padStart(3)}%`.padStart(17);
    });
    console.log(
      `${row.deployment.name.padEnd(14)} ${row.label.padEnd(22)} ${row.rate.toFixed(2).padStart(5)}   ${cells.join(' ')}`,
    );
  }
  const sorted = [...errors].sort((a, b) => a - b);
  const within = errors.filter((e) => e <= 0.15).length;
  console.log(
    `cells live/back-fill and relative difference: median ${((sorted[Math.floor(sorted.length / 2)] ?? 0) * 100).toFixed(0)}%, ${within}/${errors.length} within 15%, worst ${((sorted.at(-1) ?? 0) * 100).toFixed(0)}%`,
  );
}
