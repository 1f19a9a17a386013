import { negLogErfc } from '../math/normal.ts';
import { Ring } from './rolling.ts';

/**
 * Numenta's anomaly likelihood (NuPIC `nupic/algorithms/anomaly_likelihood.py`, the
 * post-processing behind HTM's NAB score; Ahmad et al., Neurocomputing 2017), ported.
 *
 * A detector's raw scores are averaged over the last `averagingWindow` points; a Gaussian is
 * fitted to those averages over the last `historicWindowSize` points (refitted every
 * `reestimationPeriod` points, skipping the first `learningPeriod` while the detector settles);
 * the likelihood of a point is the Gaussian tail probability of its average. A likelihood in the
 * red zone (≤ 1e-5) right after another one is raised to the yellow zone (1e-3), so an episode
 * alarms once. The first `learningPeriod + estimationSamples` points get likelihood 0.5.
 *
 * What it buys: a raw score that is routinely high on a noisy series and one that is rarely high
 * on a calm series become comparable probabilities, so one threshold can serve both.
 *
 * Defaults are NuPIC's own (learning 288, estimation 100, history 8,640, re-estimation 100,
 * averaging 10). One change: NuPIC declares a metric flat (and every point likely) when the
 * variance of its values is below 1.5e-5 in absolute terms; here when their standard deviation is
 * below 1e-9 of their magnitude, so a metric measured in small units (seconds, ratios) is not
 * silenced.
 */
export interface LikelihoodOptions {
  learningPeriod?: number;
  estimationSamples?: number;
  historicWindowSize?: number;
  reestimationPeriod?: number;
  averagingWindow?: number;
}

export const LIKELIHOOD_DEFAULTS = {
  learningPeriod: 288,
  estimationSamples: 100,
  historicWindowSize: 8640,
  reestimationPeriod: 100,
  averagingWindow: 10,
} as const;

const RED = 1 - 0.99999;
const YELLOW = 1 - 0.999;
const LN_1E10 = -23.02585084720009;

/** NuPIC's log scale of an anomaly probability: ln(1.0000000001 − p) / ln(1e−10), in [0, 1]. */
export function logLikelihoodScore(probability: number): number {
  return Math.log(1.0000000001 - probability) / LN_1E10;
}

/** Streaming anomaly likelihood of raw scores (see the module comment). */
export class AnomalyLikelihood {
  readonly learningPeriod: number;
  readonly probationaryPeriod: number;
  readonly reestimationPeriod: number;
  readonly averagingWindow: number;
  private readonly rawScores: Ring;
  private readonly values: Ring;
  private readonly averaged: Ring;
  private averageSum = 0;
  private iteration = 0;
  private fitted = false;
  private mean = 0.5;
  private stdev = 1e3;
  private previousLikelihood = 1;

  constructor(options: LikelihoodOptions = {}) {
    this.learningPeriod = options.learningPeriod ?? LIKELIHOOD_DEFAULTS.learningPeriod;
    const estimationSamples = options.estimationSamples ?? LIKELIHOOD_DEFAULTS.estimationSamples;
    this.probationaryPeriod = this.learningPeriod + estimationSamples;
    this.reestimationPeriod = options.reestimationPeriod ?? LIKELIHOOD_DEFAULTS.reestimationPeriod;
    this.averagingWindow = options.averagingWindow ?? LIKELIHOOD_DEFAULTS.averagingWindow;
    const window = options.historicWindowSize ?? LIKELIHOOD_DEFAULTS.historicWindowSize;
    if (window < estimationSamples) throw new RangeError('estimationSamples exceeds historicWindowSize');
    this.rawScores = new Ring(window);
    this.values = new Ring(window);
    this.averaged = new Ring(this.averagingWindow);
  }

  /** The probability (in [0, 1]) that this point is anomalous, given the raw score's history. */
  probability(value: number, rawScore: number): number {
    let probability = 0.5;
    if (this.iteration >= this.probationaryPeriod) {
      if (!this.fitted || this.iteration % this.reestimationPeriod === 0) this.estimate();
      const average = this.pushAverage(rawScore);
      const likelihood = this.tail(average);
      // Red after red becomes yellow: only the first point of a run of red likelihoods stays red.
      const filtered = likelihood <= RED && this.previousLikelihood <= RED ? YELLOW : likelihood;
      this.previousLikelihood = likelihood;
      probability = 1 - filtered;
    } else this.pushAverage(rawScore);
    this.rawScores.push(rawScore);
    this.values.push(value);
    this.iteration++;
    return probability;
  }

  /** Moving average of the raw scores including this one (NuPIC's MovingAverage). */
  private pushAverage(rawScore: number): number {
    if (this.averaged.size === this.averagingWindow) this.averageSum -= this.averaged.recent(this.averagingWindow - 1);
    this.averaged.push(rawScore);
    this.averageSum += rawScore;
    return this.averageSum / this.averaged.size;
  }

  /** NuPIC `estimateAnomalyLikelihoods`: a Gaussian over the moving averages of the kept history. */
  private estimate(): void {
    this.fitted = true;
    const n = this.rawScores.size;
    const shiftedOut = Math.max(0, this.iteration - this.rawScores.capacity);
    const skip = Math.min(this.iteration, Math.max(0, this.learningPeriod - shiftedOut));
    const w = this.averagingWindow;
    let sum = 0;
    let sumSq = 0;
    let count = 0;
    let window = 0;
    let valueSum = 0;
    let valueSumSq = 0;
    let valueMax = 0;
    let last = 0;
    for (let i = 0; i < n; i++) {
      // Oldest first: recent(n − 1) is the oldest kept score.
      const raw = this.rawScores.recent(n - 1 - i);
      window += raw;
      if (i >= w) window -= this.rawScores.recent(n - 1 - (i - w));
      const average = window / Math.min(i + 1, w);
      if (i >= skip) {
        sum += average;
        sumSq += average * average;
        count++;
        const v = this.values.recent(n - 1 - i);
        valueSum += v;
        valueSumSq += v * v;
        valueMax = Math.max(valueMax, Math.abs(v));
      }
      last = average;
    }
    if (count === 0) {
      this.mean = 0.5;
      this.stdev = 1e3;
    } else {
      const mean = sum / count;
      const variance = Math.max(0, sumSq / count - mean * mean);
      this.mean = Math.max(0.03, mean);
      this.stdev = Math.sqrt(Math.max(0.0003, variance));
      const valueMean = valueSum / count;
      const valueSd = Math.sqrt(Math.max(0, valueSumSq / count - valueMean * valueMean));
      if (valueSd <= 1e-9 * valueMax) {
        this.mean = 0.5;
        this.stdev = 1e3;
      }
    }
    // The likelihood of the newest history point under the new fit, for the red-after-red filter.
    this.previousLikelihood = n > 0 ? this.tail(last) : 1;
    // Restart the moving average from the kept history, as NuPIC's params carry it.
    this.averaged.clear();
    this.averageSum = 0;
    for (let i = Math.min(w, n) - 1; i >= 0; i--) {
      const raw = this.rawScores.recent(i);
      this.averaged.push(raw);
      this.averageSum += raw;
    }
  }

  /** NuPIC `tailProbability`: the Gaussian tail beyond x on x's side of the mean. */
  private tail(x: number): number {
    const z = Math.abs(x - this.mean) / this.stdev;
    // 0.5·erfc(z/√2) in log space, so it never underflows to 0 (NuPIC writes √2 as 1.4142).
    return 0.5 * Math.exp(-negLogErfc(z / Math.SQRT2));
  }
}
