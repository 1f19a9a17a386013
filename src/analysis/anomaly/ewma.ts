import { normalSurprise, surpriseToScore } from './calibration.ts';
import { type AnomalyDetector, emptyAssessment, type PointAssessment, resetAssessment, setAssessment } from './types.ts';

/**
 * EWMA control chart: an exponentially weighted mean m and variance s² of the series; a point is
 * scored by its distance from the mean in sigmas, z = (v − m) / s, with m and s from the points
 * before it. Update (West 1979 / Finch 2009 incremental form), with d = v − m:
 *
 *   m ← m + α·d,   s² ← (1 − α)·(s² + α·d²)
 *
 * The innovation d is Huber-clipped to ±`clip`·s before the update, so one wild point moves the
 * chart by at most α·clip·s instead of dragging it (a sustained shift still gets through: each
 * clipped step widens s, and the mean follows geometrically). The first `minPoints` points seed m
 * and s² with their plain mean and variance and score 0.
 *
 * `alpha` = 1 − 2^(−1/halfLife): the weight of a point halves every `halfLife` points.
 * Standalone score: s / (s + scoreHalf) with s = −log10 of the two-sided normal tail of z.
 */
export interface EwmaOptions {
  /** Points after which a point's weight in the mean and variance has halved; default 48. */
  halfLife?: number;
  /** Huber clip of the innovation, in sigmas; default 3. */
  clip?: number;
  /** Points used to seed the chart, scored 0; default 30. */
  minPoints?: number;
  /** Surprise (−log10 tail probability) that maps to score 0.5; default 6 (≈ 5σ). */
  scoreHalf?: number;
}

export class EwmaDetector implements AnomalyDetector {
  readonly alpha: number;
  readonly clip: number;
  readonly minPoints: number;
  readonly scoreHalf: number;
  last: PointAssessment = emptyAssessment();
  private n = 0;
  private mean = 0;
  private variance = 0;
  private seedSum = 0;
  private seedSumSq = 0;

  constructor(options: EwmaOptions = {}) {
    const halfLife = options.halfLife ?? 48;
    this.alpha = 1 - 2 ** (-1 / halfLife);
    this.clip = options.clip ?? 3;
    this.minPoints = Math.max(2, options.minPoints ?? 30);
    this.scoreHalf = options.scoreHalf ?? 6;
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

  /** Scores v against the chart (without learning it) and fills `last`; NaN while seeding. */
  zOf(v: number): number {
    if (this.n < this.minPoints) {
      resetAssessment(this.last);
      return Number.NaN;
    }
    const scale = this.sigma();
    const z = (v - this.mean) / scale;
    setAssessment(this.last, 0, 0, z, this.mean, scale);
    return z;
  }

  learn(v: number): void {
    this.n++;
    if (this.n <= this.minPoints) {
      this.seedSum += v;
      this.seedSumSq += v * v;
      if (this.n === this.minPoints) {
        this.mean = this.seedSum / this.n;
        this.variance = Math.max(0, (this.seedSumSq - this.n * this.mean * this.mean) / (this.n - 1));
      }
      return;
    }
    let d = v - this.mean;
    // A chart seeded on a constant has s = 0: let the first change through unclipped.
    const limit = this.variance > 0 ? this.clip * Math.sqrt(this.variance) : Number.POSITIVE_INFINITY;
    if (d > limit) d = limit;
    else if (d < -limit) d = -limit;
    this.mean += this.alpha * d;
    this.variance = (1 - this.alpha) * (this.variance + this.alpha * d * d);
  }

  private sigma(): number {
    const s = Math.sqrt(this.variance);
    return s > 0 ? s : 1e-9 * Math.max(1, Math.abs(this.mean));
  }
}
