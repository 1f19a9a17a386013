import type { AnomalyInterval } from './intervals.ts';

/**
 * How far a metric must move from its baseline before an anomaly is worth reporting: statistical
 * surprise alone is not enough, since a metric that never moves makes a 24.1 → 24.5 ms step (1.02×)
 * wildly improbable, yet nobody would act on it.
 *
 * A move counts when both hold: its ratio to the baseline (or the baseline's to it, for a drop) is
 * at least `minRatio`, and its absolute size at least `minAbsolute` (in the metric's unit: seconds,
 * requests, a 0–1 share). The floors sit a little below the root-cause engine's (an anomaly need not
 * be an incident): a fifth for latencies and rates, and absolute floors for shares, counts and
 * levels near zero, where a ratio means little (0 → 1 waiting request is "∞×").
 */
export interface PracticalChange {
  /** Least value/baseline ratio (or baseline/value for a drop); 1 = any. */
  minRatio: number;
  /** Least |value − baseline| in the metric's unit; 0 = any. */
  minAbsolute: number;
}

export const PRACTICAL_CHANGE: Readonly<Record<string, PracticalChange>> = {
  ttft: { minRatio: 1.2, minAbsolute: 0.02 },
  tpot: { minRatio: 1.2, minAbsolute: 0.002 },
  e2e_latency: { minRatio: 1.2, minAbsolute: 0.1 },
  queue_time: { minRatio: 1.5, minAbsolute: 0.05 },
  request_rate: { minRatio: 1.2, minAbsolute: 0.05 },
  throughput: { minRatio: 1.2, minAbsolute: 1 },
  // Shares (0–1): one percentage point of failed requests, five of KV cache.
  error_rate: { minRatio: 1, minAbsolute: 0.01 },
  kv_cache_usage: { minRatio: 1.2, minAbsolute: 0.05 },
  queue_depth: { minRatio: 1.5, minAbsolute: 2 },
  running: { minRatio: 1.2, minAbsolute: 1 },
  preemptions: { minRatio: 1.5, minAbsolute: 0.05 },
};

/** For a metric not in the table: a fifth up or down, whatever its unit. */
export const DEFAULT_PRACTICAL_CHANGE: PracticalChange = { minRatio: 1.2, minAbsolute: 0 };

/** The floor for a metric by name (a curated kind), or the default. */
export function practicalChangeFor(metric: string): PracticalChange {
  return PRACTICAL_CHANGE[metric] ?? DEFAULT_PRACTICAL_CHANGE;
}

/**
 * True when the interval's move (value against baseline at its peak) clears the floor. A move whose
 * baseline is unknown cannot be sized and does not count; one from or to zero (or across it) is
 * judged by its absolute size alone.
 */
export function isPracticalChange(interval: Pick<AnomalyInterval, 'value' | 'baseline'>, floor: PracticalChange): boolean {
  const { value, baseline } = interval;
  if (!Number.isFinite(value) || !Number.isFinite(baseline)) return false;
  if (Math.abs(value - baseline) < floor.minAbsolute) return false;
  if (value === baseline) return false;
  if (baseline <= 0 || value <= 0) return true;
  const ratio = value > baseline ? value / baseline : baseline / value;
  return ratio >= floor.minRatio;
}
