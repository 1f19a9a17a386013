import { BayesianOptimizer, type BayesianOptions } from './bayesian-optimizer.ts';
import { GeneticOptimizer, type GeneticOptions } from './genetic-optimizer.ts';
import type { Optimizer } from './optimizer.ts';
import { RandomSearch } from './random-search.ts';
import type { SearchSpace } from './search-space.ts';

export { BayesianOptimizer, type BayesianOptions } from './bayesian-optimizer.ts';
export { expectedImprovement, normalCdf, normalPdf } from './expected-improvement.ts';
export { GaussianProcess, type GpHyperparameters, type GpOptions, type GpPrediction, matern52 } from './gaussian-process.ts';
export { GeneticOptimizer, type GeneticOptions } from './genetic-optimizer.ts';
export type { BestTrial, Optimizer, Trial } from './optimizer.ts';
export { RandomSearch } from './random-search.ts';
export {
  type Config,
  type Knob,
  MAX_GRID_SIZE,
  parseSearchSpace,
  SearchSpace,
  type SearchSpaceDefinition,
  searchSpaceSchema,
} from './search-space.ts';

export const OPTIMIZER_KINDS = ['bayesian', 'genetic', 'random'] as const;
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

/** A fresh optimiser of the given kind over `space`, deterministic for `seed`. */
export function createOptimizer(
  kind: OptimizerKind,
  space: SearchSpace,
  options: { seed: number } & BayesianOptions & GeneticOptions = { seed: 0 },
): Optimizer {
  switch (kind) {
    case 'bayesian':
      return new BayesianOptimizer(space, options);
    case 'genetic':
      return new GeneticOptimizer(space, options);
    case 'random':
      return new RandomSearch(space, options);
  }
}
