import { normalSurprise, surpriseToScore } from './calibration.ts';
import { MAD_TO_SIGMA, RollingWindow } from './rolling.ts';
import { type AnomalyDetector, emptyAssessment, type PointAssessment, resetAssessment, setAssessment } from './types.ts';

/**
 * Robust z-score over a rolling window: z = (v − median) / (1.4826 · MAD), where the median and
 * the MAD are those of the `window` points before v (v itself is scored, not used). Median and MAD
 * have a 50 % breakdown point, so a burst of outliers shorter than half the window cannot drag the
 * baseline or inflate the spread the way a mean and a standard deviation would.
 *
 * When more than half the window holds one value (a flat metric, a counter at 0) the MAD is 0; the
 * spread then falls back to the exponentially weighted mean absolute deviation about the median
 * (× 1.2533, its Gaussian consistency constant), and to a tiny relative epsilon if that is 0 too.
 *
 * Standalone score: s / (s + scoreHalf) with s = −log10 of the two-sided normal tail of z.
 */
export interface RobustZScoreOptions {
  /** Points in the rolling window (median and MAD); default 288 (a day of 5-minute points). */
  window?: number;
  /** Points needed before scoring; scores are 0 until then. Default 30. */
  minPoints?: number;
  /** Surprise (−log10 tail probability) that maps to score 0.5; default 6 (≈ 5σ). */
  scoreHalf?: number;
}

export class RobustZScoreDetector implements AnomalyDetector {
  readonly window: number;
  readonly minPoints: number;
  readonly scoreHalf: number;
  last: PointAssessment = emptyAssessment();
  private readonly values: RollingWindow;
  private absDev = 0;
  private absDevWeight = 0;

  constructor(options: RobustZScoreOptions = {}) {
    this.window = options.window ?? 288;
    this.minPoints = Math.min(options.minPoints ?? 30, this.window);
    this.scoreHalf = options.scoreHalf ?? 6;
    this.values = new RollingWindow(this.window);
  }

  update(_t: number, v: number): number {
    if (!Number.isFinite(v)) {
      resetAssessment(this.last);
      return 0;
    }
    const z = this.zOf(v);
    this.learn(v);
    const score = surpriseToScore(normalSurprise(z), this.scoreHalf);
    this.last.score = score;
    this.last.level = score;
    return score;
  }

  /** Scores v against the current window (without learning it) and fills `last`; NaN while warming up. */
  zOf(v: number): number {
    if (this.values.size < this.minPoints) {
      resetAssessment(this.last);
      return Number.NaN;
    }
    const median = this.values.median();
    const scale = this.spread(median);
    const z = (v - median) / scale;
    setAssessment(this.last, 0, 0, z, median, scale);
    return z;
  }

  /** Adds v to the window. */
  learn(v: number): void {
    if (this.values.size > 0) {
      // EW mean absolute deviation about the current median, the fallback spread.
      const alpha = 1 / Math.min(this.window, this.absDevWeight + 1);
      this.absDev += alpha * (Math.abs(v - this.values.median()) - this.absDev);
      this.absDevWeight++;
    }
    this.values.push(v);
  }

  private spread(median: number): number {
    const mad = MAD_TO_SIGMA * this.values.mad(median);
    if (mad > 0) return mad;
    const meanAbs = 1.2533141373155 * this.absDev;
    if (meanAbs > 0) return meanAbs;
    return 1e-9 * Math.max(1, Math.abs(median));
  }
}
