import { normalSurprise, surpriseToScore } from './calibration.ts';
import { RobustZScoreDetector } from './robust-zscore.ts';
import { type AnomalyDetector, emptyAssessment, type PointAssessment, resetAssessment, setAssessment } from './types.ts';

export const DAY_MS = 86_400_000;

/**
 * Seasonal decomposition for a daily (or any fixed-period) rhythm, online and robust:
 *
 * 1. Sampling interval: the median of the first 16 positive gaps between timestamps; the period
 *    (a day by default) is cut into round(period / interval) phases, at most `maxPhases`, and a
 *    point's phase is its position in the period, floor((t mod period) / phase width): phases are
 *    times of day in UTC and survive gaps in the data.
 * 2. Seasonal profile at a point's phase, from the last `cycles` periods (days), today excluded:
 *    - the seasonal median: the median over past days of the value at that phase — a robust
 *      per-phase median of past days, not dragged by one bad day;
 *    - the envelope: for each past day, the lowest and highest value within ±`jitterMs` of that
 *      time of day; the envelope is [median of the daily lows, median of the daily highs]. A
 *      nightly job that spikes at 02:00 give or take a few minutes lies inside it, though it never
 *      lands twice on the same sample.
 * 3. Residual r = v − seasonal median. Residuals still carry the level (a day busier than the last
 *    week), tracked by the median of the last `residualWindow` residuals; their spread is
 *    1.4826 × their MAD (a robust z-score of the residuals).
 * 4. z = distance of v outside the envelope shifted by the residual level, in residual sigmas
 *    (0 inside it; negative below it): the normal peak of the day scores 0, the same value at 3 a.m.
 *    scores high, and so does a missing peak.
 *
 * Nothing is scored until `minCycles` days of history exist at the phase (z is NaN, score 0), and
 * when the sampling interval is longer than a quarter of the period there is no rhythm to learn.
 * Standalone score: s / (s + scoreHalf) with s = −log10 of the two-sided normal tail of z.
 */
export interface SeasonalOptions {
  /** Length of the rhythm in milliseconds; default one day. */
  periodMs?: number;
  /** Past periods kept per phase; default 7. */
  cycles?: number;
  /** Periods of history needed at a phase before it is scored; default 2. */
  minCycles?: number;
  /** Timing tolerance of the envelope, in milliseconds each side; default 15 minutes. */
  jitterMs?: number;
  /**
   * Upper bound on phases per period; default 288 (5-minute bins for a day). Finer data is binned:
   * each bin keeps the mean (for the median) and the minimum and maximum (for the envelope).
   */
  maxPhases?: number;
  /** Residuals in the rolling window that scores them; default 288. */
  residualWindow?: number;
  /** Surprise (−log10 tail probability) that maps to score 0.5; default 6 (≈ 5σ). */
  scoreHalf?: number;
}

const GAPS_FOR_INTERVAL = 16;

export class SeasonalDetector implements AnomalyDetector {
  readonly periodMs: number;
  readonly cycles: number;
  readonly minCycles: number;
  readonly jitterMs: number;
  readonly maxPhases: number;
  readonly scoreHalf: number;
  last: PointAssessment = emptyAssessment();
  /** Phases per period once the sampling interval is known (0 before; −1 when there is no rhythm). */
  phases = 0;
  private phaseWidth = 0;
  private jitter = 0;
  /** history[phase · cycles + (cycle mod cycles)]: the mean value at that phase in that cycle. */
  private history: Float64Array = new Float64Array(0);
  private historyMin: Float64Array = new Float64Array(0);
  private historyMax: Float64Array = new Float64Array(0);
  private historyCycle: Float64Array = new Float64Array(0);
  private historyCount: Uint32Array = new Uint32Array(0);
  private readonly dayMin: Float64Array;
  private readonly dayMax: Float64Array;
  private readonly scratch: Float64Array;
  private readonly gaps: number[] = [];
  private lastT = Number.NaN;
  private readonly residuals: RobustZScoreDetector;
  /** Seasonal median and envelope of the point being scored, cached between zOf and learn. */
  private cacheKey = Number.NaN;
  private cacheMedian = Number.NaN;
  private cacheLower = Number.NaN;
  private cacheUpper = Number.NaN;

  constructor(options: SeasonalOptions = {}) {
    this.periodMs = options.periodMs ?? DAY_MS;
    this.cycles = options.cycles ?? 7;
    this.minCycles = Math.min(options.minCycles ?? 2, this.cycles);
    this.jitterMs = options.jitterMs ?? 15 * 60_000;
    this.maxPhases = options.maxPhases ?? 288;
    this.scoreHalf = options.scoreHalf ?? 6;
    this.dayMin = new Float64Array(this.cycles + 1);
    this.dayMax = new Float64Array(this.cycles + 1);
    this.scratch = new Float64Array(this.cycles + 1);
    this.residuals = new RobustZScoreDetector({ window: options.residualWindow ?? 288, minPoints: 30 });
  }

  update(t: number, v: number): number {
    if (!Number.isFinite(v) || !Number.isFinite(t)) {
      resetAssessment(this.last);
      return 0;
    }
    const z = this.zOf(t, v);
    this.learn(t, v);
    const score = surpriseToScore(normalSurprise(z), this.scoreHalf);
    this.last.score = score;
    this.last.level = score;
    if (Number.isNaN(z)) this.last.z = 0;
    return score;
  }

  /**
   * Scores (t, v) against the seasonal model (without learning it) and fills `last`: the distance
   * outside the envelope shifted by the residual level, in residual sigmas; NaN while warming up.
   */
  zOf(t: number, v: number): number {
    this.profile(t);
    const median = this.cacheMedian;
    if (Number.isNaN(median)) {
      resetAssessment(this.last);
      return Number.NaN;
    }
    const r = v - median;
    const rz = this.residuals.zOf(r);
    if (Number.isNaN(rz)) {
      resetAssessment(this.last);
      return Number.NaN;
    }
    const level = this.residuals.last.baseline;
    const scale = this.residuals.last.scale;
    const upper = this.cacheUpper + level;
    const lower = this.cacheLower + level;
    const z = v > upper ? (v - upper) / scale : v < lower ? (v - lower) / scale : 0;
    setAssessment(this.last, 0, 0, z, median + level, scale);
    return z;
  }

  learn(t: number, v: number): void {
    this.observeTime(t);
    if (this.phases <= 0) return;
    this.profile(t);
    if (!Number.isNaN(this.cacheMedian)) this.residuals.learn(v - this.cacheMedian);
    const phase = this.phaseOf(t);
    const cycle = Math.floor(t / this.periodMs);
    const slot = phase * this.cycles + (cycle % this.cycles);
    if (this.historyCycle[slot] === cycle) {
      // Several points in one phase bin of one period (data finer than the bins): keep their
      // mean, minimum and maximum.
      const count = (this.historyCount[slot] as number) + 1;
      this.historyCount[slot] = count;
      this.history[slot] = (this.history[slot] as number) + (v - (this.history[slot] as number)) / count;
      if (v < (this.historyMin[slot] as number)) this.historyMin[slot] = v;
      if (v > (this.historyMax[slot] as number)) this.historyMax[slot] = v;
    } else {
      this.history[slot] = v;
      this.historyMin[slot] = v;
      this.historyMax[slot] = v;
      this.historyCycle[slot] = cycle;
      this.historyCount[slot] = 1;
    }
  }

  /** The seasonal median at t's phase over past cycles (NaN until `minCycles` of them exist). */
  seasonalBaseline(t: number): number {
    this.profile(t);
    return this.cacheMedian;
  }

  /**
   * For t's phase: the median over past cycles of the value at that phase, and the envelope
   * [median of each cycle's minimum, median of each cycle's maximum] over phases within
   * ±jitter of it. It depends on past cycles only, so it is cached per (phase, cycle).
   */
  private profile(t: number): void {
    if (this.phases <= 0) {
      this.cacheMedian = Number.NaN;
      return;
    }
    const phase = this.phaseOf(t);
    const cycle = Math.floor(t / this.periodMs);
    // Only past cycles enter the profile, so it is fixed for a (phase, cycle) pair.
    const key = cycle * this.phases + phase;
    if (key === this.cacheKey) return;
    this.cacheKey = key;
    this.cacheMedian = Number.NaN;
    const cycles = this.cycles;
    const dayMin = this.dayMin.fill(Number.POSITIVE_INFINITY);
    const dayMax = this.dayMax.fill(Number.NEGATIVE_INFINITY);
    let n = 0;
    const scratch = this.scratch;
    for (let k = -this.jitter; k <= this.jitter; k++) {
      const p = (((phase + k) % this.phases) + this.phases) % this.phases;
      // A neighbour across midnight belongs to the neighbouring cycle.
      const shift = phase + k < 0 ? -1 : phase + k >= this.phases ? 1 : 0;
      for (let j = 0; j < cycles; j++) {
        const slot = p * cycles + j;
        const age = cycle + shift - (this.historyCycle[slot] as number);
        if (!(age >= 1 && age <= cycles)) continue;
        if (k === 0) scratch[n++] = this.history[slot] as number;
        const low = this.historyMin[slot] as number;
        const high = this.historyMax[slot] as number;
        if (low < (dayMin[age] as number)) dayMin[age] = low;
        if (high > (dayMax[age] as number)) dayMax[age] = high;
      }
    }
    if (n < this.minCycles) return;
    this.cacheMedian = medianOf(scratch, n);
    let m = 0;
    for (let a = 1; a <= cycles; a++) if ((dayMin[a] as number) !== Number.POSITIVE_INFINITY) scratch[m++] = dayMin[a] as number;
    this.cacheLower = medianOf(scratch, m);
    m = 0;
    for (let a = 1; a <= cycles; a++) if ((dayMax[a] as number) !== Number.NEGATIVE_INFINITY) scratch[m++] = dayMax[a] as number;
    this.cacheUpper = medianOf(scratch, m);
  }

  private phaseOf(t: number): number {
    const inPeriod = ((t % this.periodMs) + this.periodMs) % this.periodMs;
    return Math.min(this.phases - 1, Math.floor(inPeriod / this.phaseWidth));
  }

  private observeTime(t: number): void {
    if (this.phases !== 0) return;
    if (!Number.isNaN(this.lastT) && t > this.lastT) this.gaps.push(t - this.lastT);
    this.lastT = t;
    if (this.gaps.length < GAPS_FOR_INTERVAL) return;
    const sorted = [...this.gaps].sort((a, b) => a - b);
    const interval = sorted[sorted.length >> 1] as number;
    if (interval * 4 > this.periodMs) {
      this.phases = -1;
      return;
    }
    this.phases = Math.max(1, Math.min(this.maxPhases, Math.round(this.periodMs / interval)));
    this.phaseWidth = this.periodMs / this.phases;
    this.jitter = Math.min(Math.floor(this.phases / 2), Math.round(this.jitterMs / this.phaseWidth));
    this.history = new Float64Array(this.phases * this.cycles);
    this.historyMin = new Float64Array(this.phases * this.cycles);
    this.historyMax = new Float64Array(this.phases * this.cycles);
    this.historyCycle = new Float64Array(this.phases * this.cycles).fill(Number.NaN);
    this.historyCount = new Uint32Array(this.phases * this.cycles);
  }
}

/** Median of the first n entries of a small scratch array (insertion sort, in place); NaN when n = 0. */
function medianOf(values: Float64Array, n: number): number {
  if (n === 0) return Number.NaN;
  for (let i = 1; i < n; i++) {
    const x = values[i] as number;
    let j = i - 1;
    while (j >= 0 && (values[j] as number) > x) {
      values[j + 1] = values[j] as number;
      j--;
    }
    values[j + 1] = x;
  }
  const mid = n >> 1;
  return n & 1 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}
