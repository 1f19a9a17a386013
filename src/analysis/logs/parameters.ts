import type { TokenizerOptions } from './tokens.ts';

/** The miner's parameters that the leave-one-system-out procedure chooses (bench/loghub-loso.ts). */
export interface MinerParameters extends Required<TokenizerOptions> {
  /** Similarity threshold in [0, 1] for a message to join a cluster. */
  similarity: number;
  /** Tree depth counting the root and the length layer. */
  depth: number;
  /** Distinct values at which a position of otherwise equal clusters is merged into `<*>`; 0 = never. */
  mergeDistinct: number;
}

/**
 * The shipped parameter set: the point the leave-one-system-out procedure (bench/loghub-loso.ts)
 * chooses when run on all 8 shared Loghub-2k systems (same grid, same objective, same ties rule);
 * one set for every log, no per-dataset setting.
 */
export const DEFAULT_MINER_PARAMETERS: Readonly<MinerParameters> = {
  similarity: 1,
  depth: 4,
  mergeDistinct: 3,
  attachedColonValues: true,
  dottedNames: true,
  quotedValues: false,
  collapseRuns: true,
};
