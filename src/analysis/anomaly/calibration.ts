import { negLogErfc } from '../math/normal.ts';
import { RollingWindow } from './rolling.ts';

/**
 * From z-like statistics to scores in [0, 1].
 *
 * - `normalSurprise(z)` = −log10 P(|Z| ≥ |z|) for a standard normal Z: the two-sided tail
 *   probability in bans (decades), computed in log space (no underflow even at z = 100). 3σ → 2.57,
 *   4σ → 4.20, 5σ → 6.24, 6σ → 8.71.
 * - `surpriseToScore(s, half)` = s / (s + half): a monotone map of [0, ∞) onto [0, 1) that is 0.5
 *   at `half`, keeps resolution for very large surprises (unlike 1 − p, which saturates at 1 for
 *   anything past ~8σ) and is exactly 0 for "no evidence".
 * - `ConformalCalibrator`: a statistic's surprise against the statistic's own history.
 */

const LN10 = Math.LN10;

/** −log10 of the two-sided standard-normal tail probability of z (0 at z = 0). */
export function normalSurprise(z: number): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? 0 : Number.POSITIVE_INFINITY;
  const x = Math.abs(z) / Math.SQRT2;
  return Math.max(0, negLogErfc(x) / LN10);
}

/** Two-sided standard-normal tail probability P(|Z| ≥ |z|). */
export function normalTwoSidedTail(z: number): number {
  return 10 ** -normalSurprise(z);
}

/** Maps a surprise s ≥ 0 onto [0, 1): s / (s + half), 0.5 at s = half. */
export function surpriseToScore(surprise: number, half: number): number {
  if (!(surprise > 0)) return 0;
  if (surprise === Number.POSITIVE_INFINITY) return 1;
  return surprise / (surprise + half);
}

export interface ConformalCalibratorOptions {
  /** Blocks of history kept; default 1,000. */
  window?: number;
  /** Points per block: the history holds each block's maximum; default 4. */
  block?: number;
  /** Share of the history whose excesses fit the exponential tail beyond the maximum; default 0.02. */
  tailFraction?: number;
  /** Blocks needed before the calibrator answers; default 20. */
  minSamples?: number;
  /**
   * Fewest top values the exponential tail is fitted on; default 10. Two or three block maxima that
   * happen to lie close together give a tiny scale, and then a −2σ point of Gaussian noise beyond
   * them reads as 20 decades rare.
   */
  minTail?: number;
  /**
   * Count the history's top values by their independent runs (the extremal index θ, below) so
   * that a record is only 1/(θ·n + 1) rare; default false (records are 1/(n + 1) rare).
   */
  extremalIndex?: boolean;
}

/**
 * Turns a statistic into a surprise −log10 p calibrated against the statistic's own history.
 *
 * The history is the maximum of each block of `block` consecutive values (block maxima, so a
 * one-point spike is never lost to subsampling), for the last `window` blocks. For a new value x:
 *
 * - within the range seen, the conformal p-value (#{block maxima ≥ x} + 1) / (n + 1), divided by
 *   `block` to turn a per-block rate into a per-point one — exact under exchangeability, and
 *   honest: a spike that happened every day of the last two weeks is not rare, however large;
 * - beyond the largest value seen, p continues below 1/(n + 1) with an exponential tail (peaks
 *   over threshold, as in SPOT — Siffer et al., KDD 2017): p = 1/((n + 1)·block) ·
 *   exp(−(x − max)/β), with β the mean excess of the top `tailFraction` of the history (at least
 *   `minTail` values) over its threshold, the maximum-likelihood scale of an exponential tail.
 *
 * With `extremalIndex`, n is replaced by θ·n in the floor 1/(n + 1): θ, the extremal index of the
 * history (Leadbetter 1983), is estimated by the runs estimator — the top values that start a run
 * of consecutive top values, over all top values. A value that drifts makes its top values one
 * long run (θ ≪ 1: a new high of the fortnight comes every time the drift resumes), isolated peaks
 * make θ ≈ 1; either way the tail beyond the maximum is added on top.
 */
export class ConformalCalibrator {
  readonly window: number;
  readonly block: number;
  readonly tailFraction: number;
  readonly minSamples: number;
  readonly minTail: number;
  readonly extremalIndex: boolean;
  /** Extremal index of the history (1 until estimated, or without `extremalIndex`). */
  private theta = 1;
  private readonly history: RollingWindow;
  private seen = 0;
  private blockMax = Number.NEGATIVE_INFINITY;

  constructor(options: ConformalCalibratorOptions = {}) {
    this.window = options.window ?? 1000;
    this.block = Math.max(1, Math.floor(options.block ?? 4));
    this.tailFraction = options.tailFraction ?? 0.02;
    this.minSamples = Math.max(2, options.minSamples ?? 20);
    this.minTail = Math.max(2, options.minTail ?? 10);
    this.extremalIndex = options.extremalIndex ?? false;
    this.history = new RollingWindow(this.window);
  }

  /** Block maxima held. */
  get size(): number {
    return this.history.size;
  }

  get ready(): boolean {
    return this.history.size >= this.minSamples;
  }

  /** −log10 of the per-point tail probability of x (0 until `minSamples` blocks are held). */
  surprise(x: number): number {
    if (this.history.size < this.minSamples || Number.isNaN(x)) return 0;
    return this.surpriseOf(x);
  }

  /**
   * The surprise of x before the calibrator is ready: from `least` blocks on, weighted by the share
   * of `minSamples` held (confidence growing with history); the plain surprise once ready.
   */
  earlySurprise(x: number, least: number): number {
    const n = this.history.size;
    if (n >= this.minSamples) return this.surprise(x);
    if (n < Math.max(2, least) || Number.isNaN(x)) return 0;
    return (this.surpriseOf(x) * n) / this.minSamples;
  }

  private surpriseOf(x: number): number {
    const h = this.history;
    const n = h.size;
    const perBlock = Math.log10(this.block);
    const max = h.at(n - 1);
    // The rarest a value within the history can be: 1/(θ·n + 1).
    const floor = Math.log10(Math.max(1, this.theta * n) + 1);
    if (x <= max) return Math.max(0, perBlock + Math.min(floor, -Math.log10((n - h.countBelow(x) + 1) / (n + 1))));
    const k = this.tailCount(n);
    const u = h.at(n - 1 - k);
    let excess = 0;
    for (let i = n - k; i < n; i++) excess += h.at(i) - u;
    const beta = Math.max(excess / k, 1e-9 * (1 + Math.abs(max)));
    return perBlock + floor + (x - max) / beta / LN10;
  }

  /** Top values the tail is fitted on (and the extremal index counted over). */
  private tailCount(n: number): number {
    return Math.min(n - 1, Math.max(this.minTail, Math.round(this.tailFraction * n)));
  }

  /** Adds x to the current block; a full block adds its maximum to the history. */
  learn(x: number): void {
    if (Number.isNaN(x)) return;
    if (x > this.blockMax) this.blockMax = x;
    if (++this.seen % this.block === 0) {
      this.history.push(this.blockMax);
      if (this.extremalIndex) this.estimateTheta();
      this.blockMax = Number.NEGATIVE_INFINITY;
    }
  }

  /** Runs estimator of the extremal index over the top block maxima (once per block, O(window)). */
  private estimateTheta(): void {
    const n = this.history.size;
    const k = this.tailCount(n);
    if (k >= 2) this.theta = this.history.runShareAbove(this.history.at(n - 1 - k));
  }
}
