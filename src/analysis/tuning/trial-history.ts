import { AppError } from '../../errors.ts';
import type { BestTrial, Trial } from './optimizer.ts';
import type { Config, SearchSpace } from './search-space.ts';

/** What an optimiser has seen and handed out: observed trials by key, and suggestions still awaiting a value. */
export class TrialHistory {
  private readonly observed = new Map<string, Trial>();
  private readonly pending = new Map<string, Config>();

  constructor(readonly space: SearchSpace) {}

  /** Validates and stores a trial; observing a config again replaces its value. */
  record(config: Config, value: number | null): Trial {
    this.space.assertContains(config);
    if (value !== null && !Number.isFinite(value)) {
      throw new AppError(
        'tuning_value_invalid',
        `value for ${this.space.key(config)} is ${value}; expected a finite number or null`,
      );
    }
    const key = this.space.key(config);
    const trial: Trial = { config: { ...config }, value };
    this.observed.set(key, trial);
    this.pending.delete(key);
    return trial;
  }

  markPending(config: Config): void {
    this.pending.set(this.space.key(config), config);
  }

  /** Configs observed or handed out and awaiting their value. */
  taken(): Config[] {
    return [...[...this.observed.values()].map((trial) => trial.config), ...this.pending.values()];
  }

  /** Evaluated or handed out and not yet observed. */
  isTaken(config: Config): boolean {
    const key = this.space.key(config);
    return this.observed.has(key) || this.pending.has(key);
  }

  get(config: Config): Trial | undefined {
    return this.observed.get(this.space.key(config));
  }

  /** Observed trials in the order they were first observed. */
  trials(): Trial[] {
    return [...this.observed.values()];
  }

  /** Grid configs neither evaluated nor pending, in grid order. */
  untaken(): Config[] {
    return this.space.configs().filter((config) => !this.isTaken(config));
  }

  best(): BestTrial | undefined {
    let best: BestTrial | undefined;
    for (const { config, value } of this.observed.values()) {
      if (value !== null && (best === undefined || value > best.value)) best = { config, value };
    }
    return best;
  }
}
