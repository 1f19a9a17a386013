import { deriveSeed, Random } from '../../random/seeded-random.ts';
import { expectedImprovement } from './expected-improvement.ts';
import { GaussianProcess } from './gaussian-process.ts';
import type { BestTrial, Optimizer, Trial } from './optimizer.ts';
import type { Config, SearchSpace } from './search-space.ts';
import { pickSpreadOut } from './space-filling.ts';
import { TrialHistory } from './trial-history.ts';

export interface BayesianOptions {
  seed?: number;
  /** Suggestions from the space-filling random design before the model takes over. Default 5. */
  initial?: number;
  /** Improvement margin for EI, as a share of the observed values' standard deviation. Default 0.01. */
  margin?: number;
  /** How far below the worst feasible value a failed trial is modelled, as a share of the feasible range. Default 0.2. */
  failurePenalty?: number;
  /** Extra noise on a failed trial's penalty value, relative to the signal variance. Default 0.3. */
  failureNoise?: number;
}

/**
 * Bayesian optimisation on the grid: a Gaussian process over the encoded configs, and the
 * not-yet-taken config with the highest expected improvement next.
 */
export class BayesianOptimizer implements Optimizer {
  private readonly history: TrialHistory;
  private readonly random: Random;
  private readonly initial: number;
  private readonly margin: number;
  private readonly failurePenalty: number;
  private readonly failureNoise: number;
  private suggested = 0;

  constructor(
    private readonly space: SearchSpace,
    options: BayesianOptions = {},
  ) {
    this.history = new TrialHistory(space);
    this.random = new Random(deriveSeed(options.seed ?? 0, 'bayesian'));
    this.initial = options.initial ?? 5;
    this.margin = options.margin ?? 0.01;
    this.failurePenalty = options.failurePenalty ?? 0.2;
    this.failureNoise = options.failureNoise ?? 0.3;
  }

  suggest(): Config | undefined {
    const candidates = this.history.untaken();
    if (candidates.length === 0) return undefined;
    const trials = this.history.trials();
    // Until something feasible is seen there is nothing to improve on: keep spreading out.
    const modelled = this.suggested >= this.initial && trials.some((trial) => trial.value !== null);
    const config = modelled
      ? this.maximiseImprovement(candidates, trials)
      : pickSpreadOut(this.space, candidates, this.history.taken(), this.random);
    if (!config) return undefined;
    this.suggested++;
    this.history.markPending(config);
    return { ...config };
  }

  observe(config: Config, value: number | null): void {
    this.history.record(config, value);
  }

  best(): BestTrial | undefined {
    return this.history.best();
  }

  /** The model fitted on the trials so far (failed ones at their penalty value), for inspection and tests. */
  model(trials: readonly Trial[] = this.history.trials()): GaussianProcess {
    return GaussianProcess.fit(
      trials.map((trial) => this.space.encode(trial.config)),
      this.modelledValues(trials),
      {
        featureGroups: this.space.featureKnobs(),
        // A failure says "low here", not how low: its stand-in value is trusted less than a measurement.
        extraNoise: trials.map((trial) => (trial.value === null ? this.failureNoise : 0)),
      },
    );
  }

  private maximiseImprovement(candidates: readonly Config[], trials: readonly Trial[]): Config | undefined {
    const values = this.modelledValues(trials);
    const model = this.model(trials);
    const incumbent = Math.max(...values);
    const spread = standardDeviation(values);
    let best: Config | undefined;
    let bestScore = -1;
    for (const candidate of candidates) {
      const { mean, variance } = model.predict(this.space.encode(candidate));
      const score = expectedImprovement(mean, variance, incumbent, this.margin * spread);
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    return best;
  }

  /** Failed trials become a value below the worst feasible one, so the model steers away from them without a cliff. */
  private modelledValues(trials: readonly Trial[]): number[] {
    const feasible = trials.flatMap((trial) => (trial.value === null ? [] : [trial.value]));
    if (feasible.length === 0) return trials.map(() => 0);
    const worst = Math.min(...feasible);
    const range = Math.max(...feasible) - worst;
    const penalty = worst - this.failurePenalty * (range > 0 ? range : Math.abs(worst) || 1);
    return trials.map((trial) => trial.value ?? penalty);
  }
}

function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  return Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
}
