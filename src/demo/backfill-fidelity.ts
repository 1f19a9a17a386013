import { Random } from '../random/seeded-random.ts';
import type { DemoDeployment } from './demo-fleet.ts';
import { effectsOf, type FaultName } from './faults.ts';
import { DeploymentHistoryModel } from './history-model.ts';
import type { ServerConfig } from './serving-model.ts';
import { runVirtualLoad } from './virtual-load.ts';
import { VllmMetrics } from './vllm-metrics.ts';
import { WindowRecorder, type WindowStatistics } from './window-statistics.ts';

/** The load levels the back-fill is checked at: the rhythm's weekday trough, its peak, and most of what the engine can serve. */
export const LOAD_LEVELS = ['quiet night', 'daytime peak', 'near saturation'] as const;
export type LoadLevel = (typeof LOAD_LEVELS)[number];

/** A server to compare: any configuration the serving model knows, named. */
export type FidelityDeployment = ServerConfig & { name: string };

/** Share of the live engine's capacity called "near saturation". */
export const NEAR_SATURATION = 0.85;

export interface FidelityOptions {
  /** Scraped seconds at a constant rate (after a warm-up for the live server). */
  seconds: number;
  intervalSeconds: number;
  seed: number;
  /** Faults active on both sides (those that change the engine: a bad deploy's slowdown, a smaller KV cache). */
  faults?: readonly FaultName[];
}

/**
 * Requests per second the live engine completes when overloaded (a queue always waiting), measured in virtual time:
 * what "saturation" means for the comparison, independent of the back-fill's own model.
 */
export function liveCapacity(deployment: FidelityDeployment, seed = 1, faults: readonly FaultName[] = []): number {
  let first: number | undefined;
  let last = 0;
  const seconds = 300;
  runVirtualLoad({ deployment, rate: 1000, warmUpSeconds: 60, seconds, intervalSeconds: seconds, seed, faults }, (metrics) => {
    const completed = completedRequests(metrics);
    first ??= completed;
    last = completed;
  });
  return (last - (first ?? 0)) / seconds;
}

/** Requests per second at a load level. */
export function rateAt(deployment: Pick<DemoDeployment, 'peakRatePerSecond'>, level: LoadLevel, capacity: () => number): number {
  if (level === 'quiet night') return deployment.peakRatePerSecond * 0.25;
  if (level === 'daytime peak') return deployment.peakRatePerSecond;
  return NEAR_SATURATION * capacity();
}

/** What the live engine records at a constant rate (virtual time), and what the back-fill writes for the same rate and time. */
export function compareWithLive(
  deployment: FidelityDeployment,
  rate: number,
  options: FidelityOptions,
): { live: WindowStatistics; backfill: WindowStatistics } {
  const live = new WindowRecorder();
  runVirtualLoad(
    {
      deployment,
      rate,
      warmUpSeconds: 120,
      seconds: options.seconds,
      intervalSeconds: options.intervalSeconds,
      seed: options.seed,
      faults: options.faults,
    },
    (metrics) => live.add(metrics),
  );
  const backfill = new WindowRecorder();
  const model = new DeploymentHistoryModel(deployment, options.seed);
  const metrics = new VllmMetrics(deployment.name);
  const random = new Random(options.seed);
  const effects = effectsOf(options.faults ?? []);
  backfill.add(metrics);
  for (let t = options.intervalSeconds; t <= options.seconds; t += options.intervalSeconds) {
    model.interval(metrics, random, rate, effects, options.intervalSeconds);
    backfill.add(metrics);
  }
  return { live: live.statistics(), backfill: backfill.statistics() };
}

function completedRequests(metrics: VllmMetrics): number {
  let total = 0;
  for (const [key, value] of metrics.snapshot()) if (key.startsWith('vllm:request_success_total{')) total += value;
  return total;
}
