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
   * Tail beyond the largest value: 'exponential' (the fitted scale taken as known) or 'predictive'
   * (the exponential's posterior predictive over its unknown rate, a Lomax tail (1 + y/Σexcess)^−k:
   * heavier when few values were fitted, so a short history cannot call a value 20 decades rare).
   */
  tail?: 'exponential' | 'predictive';
  /**
   * Count the history as its effective number of independent values, n·(1 − ρ)/(1 + ρ) with ρ the
   * lag-one autocorrelation of the block maxima: a slowly drifting statistic sets records far more
   * often than 1 in n, so a value at or past the top of its history is only 1/(n_eff + 1) rare
   * before the tail beyond it is added. Default false.
   */
  dependence?: boolean | 'extremal';
  /** Blocks of history before the tail beyond the maximum is trusted fully (weight n/ramp until then); default 0. */
  ramp?: number;
  /** Blocks of history before any surprise is trusted fully (all of it weighted n/trustAll until then); default 0. */
  trustAll?: number;
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
 */
export class ConformalCalibrator {
  readonly window: number;
  readonly block: number;
  readonly tailFraction: number;
  readonly minSamples: number;
  readonly minTail: number;
  readonly tail: 'exponential' | 'predictive';
  readonly ramp: number;
  readonly trustAll: number;
  /** Experimental: the early surprise uses the predictive tail. */
  earlyPredictive = false;
  readonly dependence: boolean | 'extremal';
  /** Extremal index of the history (share of its top values that start a new run), when dependence is 'extremal'. */
  private theta = 1;
  /** Exponentially weighted mean, variance and lag-one covariance of the block maxima. */
  private mean = 0;
  private variance = 0;
  private covariance = 0;
  private previous = Number.NaN;
  private blocks = 0;
  private readonly history: RollingWindow;
  private seen = 0;
  private blockMax = Number.NEGATIVE_INFINITY;

  constructor(options: ConformalCalibratorOptions = {}) {
    this.window = options.window ?? 1000;
    this.block = Math.max(1, Math.floor(options.block ?? 4));
    this.tailFraction = options.tailFraction ?? 0.02;
    this.minSamples = Math.max(2, options.minSamples ?? 20);
    this.minTail = Math.max(2, options.minTail ?? 10);
    this.tail = options.tail ?? 'exponential';
    this.ramp = options.ramp ?? 0;
    this.trustAll = options.trustAll ?? 0;
    this.dependence = options.dependence ?? false;
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
    const n = this.history.size;
    const raw = this.rawSurprise(x);
    return n >= this.trustAll ? raw : (raw * n) / this.trustAll;
  }

  /**
   * The surprise of x before the calibrator is ready: answered from `least` blocks on, weighted by
   * the share of `minSamples` held (confidence growing with history); the plain surprise once ready.
   */
  earlySurprise(x: number, least: number): number {
    const n = this.history.size;
    if (n >= this.minSamples) return this.surprise(x);
    if (n < Math.max(2, least) || Number.isNaN(x)) return 0;
    return (this.rawSurprise(x, true) * n) / this.minSamples;
  }

  private rawSurprise(x: number, early = false): number {
    const h = this.history;
    const n = h.size;
    if ((!early && n < this.minSamples) || Number.isNaN(x)) return 0;
    const perBlock = Math.log10(this.block);
    const max = h.at(n - 1);
    // The rarest a value within the history can be: 1/(n + 1), or 1/(n_eff + 1) for a dependent history.
    const floor = Math.log10(this.effectiveSize(n) + 1);
    if (x <= max) return Math.max(0, perBlock + Math.min(floor, -Math.log10((n - h.countBelow(x) + 1) / (n + 1))));
    const k = Math.min(n - 1, Math.max(this.minTail, Math.round(this.tailFraction * n)));
    const u = h.at(n - 1 - k);
    let excess = 0;
    for (let i = n - k; i < n; i++) excess += h.at(i) - u;
    const beta = Math.max(excess / k, 1e-9 * (1 + Math.abs(max)));
    const beyond =
      this.tail === 'predictive' || (early && this.earlyPredictive)
        ? k * Math.log10(1 + (x - max) / (k * beta))
        : (x - max) / beta / LN10;
    const trust = n >= this.ramp ? 1 : n / this.ramp;
    return perBlock + floor + trust * beyond;
  }

  /** n, or n·(1 − ρ)/(1 + ρ) when dependence is counted. */
  private effectiveSize(n: number): number {
    if (this.dependence === 'extremal') return Math.max(1, this.theta * n);
    if (!this.dependence || !(this.variance > 0)) return n;
    const rho = Math.min(0.999, Math.max(0, this.covariance / this.variance));
    return Math.max(1, (n * (1 - rho)) / (1 + rho));
  }

  /**
   * Starts an empty calibrator from another's history (its block maxima, oldest first), which its
   * own values then push out: a prior for a statistic that appears late, borrowed from a mature one.
   */
  seedFrom(other: ConformalCalibrator): void {
    if (this.history.size > 0) return;
    const h = other.history;
    for (let i = Math.max(0, h.size - this.window); i < h.size; i++) this.history.push(h.inOrder(i));
  }

  /** Adds x to the current block; a full block adds its maximum to the history. */
  learn(x: number): void {
    if (Number.isNaN(x)) return;
    if (x > this.blockMax) this.blockMax = x;
    if (++this.seen % this.block === 0) {
      this.history.push(this.blockMax);
      if (this.dependence === 'extremal') this.runs();
      else if (this.dependence) this.track(this.blockMax);
      this.blockMax = Number.NEGATIVE_INFINITY;
    }
  }

  /** Runs estimator of the extremal index: clusters of consecutive top-k block maxima over k. */
  private runs(): void {
    const h = this.history;
    const n = h.size;
    const k = Math.min(n - 1, Math.max(this.minTail, Math.round(this.tailFraction * n)));
    if (k < 2) return;
    const u = h.at(n - 1 - k);
    let exceed = 0;
    let clusters = 0;
    let last = -2;
    for (let i = 0; i < n; i++) {
      if (h.inOrder(i) <= u) continue;
      exceed++;
      if (i > last + 1) clusters++;
      last = i;
    }
    this.theta = exceed > 0 ? clusters / exceed : 1;
  }

  /** Updates the weighted moments of the block maxima (weights 1/blocks, at least 1/window). */
  private track(x: number): void {
    this.blocks++;
    const alpha = 1 / Math.min(this.blocks, this.window);
    const d = x - this.mean;
    const prevDev = Number.isNaN(this.previous) ? 0 : this.previous - this.mean;
    this.mean += alpha * d;
    if (this.blocks > 1) {
      this.variance = (1 - alpha) * (this.variance + alpha * d * d);
      this.covariance = (1 - alpha) * (this.covariance + alpha * d * prevDev);
    }
    this.previous = x;
  }
}
