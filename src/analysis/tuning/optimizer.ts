import type { Config } from './search-space.ts';

/** A measured config; `value` null when the trial failed or broke a constraint. */
export interface Trial {
  config: Config;
  value: number | null;
}

/** The best feasible config seen so far. */
export interface BestTrial {
  config: Config;
  value: number;
}

/**
 * An ask/tell optimiser that maximises a value over a search space's grid. It never suggests a
 * config that was already evaluated or is still pending; `suggest()` returns undefined once
 * every config is taken.
 */
export interface Optimizer {
  suggest(): Config | undefined;
  /** Records a trial's outcome; null (failed, infeasible) ranks below every feasible value. */
  observe(config: Config, value: number | null): void;
  best(): BestTrial | undefined;
}
