import { deriveSeed, Random } from '../../random/seeded-random.ts';
import type { BestTrial, Optimizer } from './optimizer.ts';
import type { Config, SearchSpace } from './search-space.ts';
import { TrialHistory } from './trial-history.ts';

/** Uniform random configs without repetition: the baseline the model-based optimisers must beat. */
export class RandomSearch implements Optimizer {
  private readonly history: TrialHistory;
  private readonly random: Random;

  constructor(space: SearchSpace, options: { seed?: number } = {}) {
    this.history = new TrialHistory(space);
    this.random = new Random(deriveSeed(options.seed ?? 0, 'random-search'));
  }

  suggest(): Config | undefined {
    const candidates = this.history.untaken();
    if (candidates.length === 0) return undefined;
    const config = candidates[Math.floor(this.random.next() * candidates.length)] as Config;
    this.history.markPending(config);
    return { ...config };
  }

  observe(config: Config, value: number | null): void {
    this.history.record(config, value);
  }

  best(): BestTrial | undefined {
    return this.history.best();
  }
}
