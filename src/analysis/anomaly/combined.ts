import { ConformalCalibrator, type ConformalCalibratorOptions } from './calibration.ts';
import { EwmaDetector, type EwmaOptions } from './ewma.ts';
import { RobustZScoreDetector, type RobustZScoreOptions } from './robust-zscore.ts';
import { Ring, SlidingMax } from './rolling.ts';
import { SeasonalDetector, type SeasonalOptions } from './seasonal.ts';
import { type AnomalyDetector, emptyAssessment, type PointAssessment, resetAssessment, setAssessment } from './types.ts';

/**
 * The default detector: three baselines and a level check, each calibrated against its own past,
 * fused by a Bonferroni-corrected minimum p-value, then reported as escalation.
 *
 * 1. Statistics, each computed from the points before the one scored:
 *    - |z| of the rolling robust z-score (median and MAD of the last `robust.window` points);
 *    - |z| of the EWMA chart (mean and variance with a half-life of `ewma.halfLife` points);
 *    - |z| of the seasonal model (distance outside the daily envelope, in residual sigmas);
 *    - the value itself against its own long history, upper and lower tail separately (a level
 *      never seen before: a temperature below anything in two weeks).
 * 2. Calibration (`ConformalCalibrator`): each statistic becomes a surprise S = −log10 p against
 *    the statistic's own history (block maxima of `calibration.block` points over
 *    `calibration.window` blocks — two weeks of 5-minute data): a conformal p-value within the
 *    range seen, an exponential (peaks-over-threshold) tail beyond it. So a metric whose z routinely
 *    reaches 8 is not alarming at 8, and a flat metric's first wobble is: raw z-scores of different
 *    metrics are not comparable, these p-values are.
 * 3. Fusion: S = max_i S_i − log10(k) over the k calibrated statistics (Bonferroni: k times the
 *    smallest of k p-values is a valid p-value whatever their dependence).
 * 4. Sustained evidence: the mean of S over the last `sustain` points, calibrated the same way,
 *    catches a run of moderately unusual points (a small shift, a changed rhythm) that no single
 *    point reveals — the idea behind Numenta's anomaly likelihood. S ← max(S, S_run).
 * 5. Escalation: E = max(0, S − max(S over the previous `refractory` points)). A new episode, or a
 *    worsening one, raises the score; the continuation of an episode already reported does not:
 *    one alert per incident rather than one per point.
 * 6. Score = E / (E + `scoreHalf`): 0 for nothing new, 0.5 for a point 10^`scoreHalf` (100) times
 *    rarer than anything in the refractory window, → 1 as it grows. The first `probation` points
 *    score 0 while the baselines and calibrators fill (everything learns meanwhile).
 *
 * `last.level` maps the point's own surprise the same way, before de-duplication: the fused S, or
 * the run's S when the point is itself unusual (fused p < 0.1). Anomalous intervals extend on it.
 * `last.baseline`, `last.z` and `last.scale` come from the baseline whose statistic was most
 * surprising (the seasonal or robust one when the level check dominated).
 *
 * Parameters are counted in points and sized for 5-minute data: robust window 576 (two days), EWMA
 * half-life 288 (a day), calibration horizon 1,000 blocks × 4 (two weeks), sustained run 10,
 * refractory 288 (a day), probation 600. They are fixed constants; they were settled while looking
 * at the NAB benchmark's overall score (bench/nab.ts), but nothing reads labels at scoring time.
 *
 * Constant memory (about 200 KB whatever the series length) and no per-point allocation.
 */
export interface CombinedOptions {
  robust?: RobustZScoreOptions;
  ewma?: EwmaOptions;
  seasonal?: SeasonalOptions;
  calibration?: ConformalCalibratorOptions;
  /** Points averaged for the sustained-evidence channel; default 10. */
  sustain?: number;
  /** Points whose largest surprise a new point must exceed; default 288. */
  refractory?: number;
  /** Surprise (decades) that maps to score 0.5; default 2. */
  scoreHalf?: number;
  /** Points scored 0 at the start while models warm up; default 600. */
  probation?: number;
  /**
   * What the level checks calibrate: 'value' (the value itself against its history), 'margin' (how
   * far the value passes the highest / lowest of the last window·block values, in robust sigmas),
   * or 'none'.
   */
  levelCheck?: 'value' | 'margin' | 'none' | 'recalibrated';
  /** Which calibrators count their history's dependence (ConformalCalibratorOptions.dependence); default 'none'. */
  dependence?: 'none' | 'level' | 'all' | 'extremal';
  /** Calibration of the seasonal statistic (default: calibration). */
  seasonalCalibration?: ConformalCalibratorOptions;
  /**
   * When a statistic's calibrator becomes ready, re-score the last `refractory` points' statistics
   * with the calibrators now ready and hold their largest fused surprise as the escalation's
   * baseline until they would have left the window (no burst of alarms on a model's first day);
   * default false.
   */
  replayOnReady?: boolean;
  /**
   * Score the probation too, from calibrators holding at least this many blocks, each surprise
   * weighted by the share of the calibration minimum it holds, fused and escalated on their own
   * (the sustained channel and the main escalation start after probation as before); default 0: off.
   */
  earlyFrom?: number;
  /** The sustained channel averages and learns only points where some statistic was calibrated; default false. */
  sustainAfterReady?: boolean;
  /** Seed the seasonal statistic's calibrator with the robust one's history when it first appears; default false. */
  seedSeasonal?: boolean;
  /** Blocks of history the level checks keep (default: calibration.window). */
  levelWindow?: number;
}

export const COMBINED_DEFAULTS = {
  robust: { window: 576, minPoints: 30 },
  ewma: { halfLife: 288 },
  seasonal: {},
  calibration: { window: 1000, block: 4, tailFraction: 0.02, minSamples: 100, minTail: 10 },
  sustain: 10,
  refractory: 288,
  scoreHalf: 2,
  probation: 600,
} as const;

const ROBUST = 0;
const EWMA = 1;
const SEASONAL = 2;
const LEVEL_UP = 3;
const LEVEL_DOWN = 4;

export class CombinedDetector implements AnomalyDetector {
  last: PointAssessment = emptyAssessment();
  readonly robust: RobustZScoreDetector;
  readonly ewma: EwmaDetector;
  readonly seasonal: SeasonalDetector;
  readonly sustain: number;
  readonly refractory: number;
  readonly scoreHalf: number;
  readonly probation: number;
  /** Surprise of the last point, per statistic (robust, EWMA, seasonal, level up, level down). */
  readonly surprises = new Float64Array(5);
  private readonly calibrators: ConformalCalibrator[];
  private readonly sustainedCalibrator: ConformalCalibrator;
  private readonly recentFused: Ring;
  private readonly recentMax: SlidingMax;
  private fusedSum = 0;
  private readonly zs = new Float64Array(3);
  private readonly stats = new Float64Array(5);
  private n = 0;
  readonly levelCheck: 'value' | 'margin' | 'none' | 'recalibrated';
  private readonly levelRecalibrators: ConformalCalibrator[];
  readonly seedSeasonal: boolean;
  readonly replayOnReady: boolean;
  readonly sustainAfterReady: boolean;
  readonly earlyFrom: number;
  private readonly earlyMax: SlidingMax;
  /** The last `refractory` points' statistics (5 per point, NaN: unavailable), oldest overwritten. */
  private readonly pastStats: Float64Array;
  private pastCount = 0;
  private readyCount = 0;
  private seedMax = 0;
  private seedUntil = 0;
  private readonly highs: SlidingMax;
  private readonly lows: SlidingMax;

  constructor(options: CombinedOptions = {}) {
    this.robust = new RobustZScoreDetector({ ...COMBINED_DEFAULTS.robust, ...options.robust });
    this.ewma = new EwmaDetector({ ...COMBINED_DEFAULTS.ewma, ...options.ewma });
    this.seasonal = new SeasonalDetector({ ...COMBINED_DEFAULTS.seasonal, ...options.seasonal });
    const calibration = { ...COMBINED_DEFAULTS.calibration, ...options.calibration };
    const dependence = options.dependence ?? 'none';
    const levelCalibration = {
      ...calibration,
      window: options.levelWindow ?? calibration.window,
      dependence: dependence === 'extremal' ? ('extremal' as const) : dependence !== 'none',
    };
    const seasonalCalibration = { ...calibration, ...options.seasonalCalibration, dependence: dependence === 'all' };
    this.calibrators = Array.from(
      { length: 5 },
      (_, i) =>
        new ConformalCalibrator(
          i === SEASONAL ? seasonalCalibration : i < 3 ? { ...calibration, dependence: dependence === 'all' } : levelCalibration,
        ),
    );
    this.levelRecalibrators = [new ConformalCalibrator(calibration), new ConformalCalibrator(calibration)];
    this.sustainedCalibrator = new ConformalCalibrator({ ...calibration, dependence: dependence === 'all' });
    this.sustain = options.sustain ?? COMBINED_DEFAULTS.sustain;
    this.refractory = options.refractory ?? COMBINED_DEFAULTS.refractory;
    this.scoreHalf = options.scoreHalf ?? COMBINED_DEFAULTS.scoreHalf;
    this.probation = options.probation ?? COMBINED_DEFAULTS.probation;
    this.recentFused = new Ring(Math.max(1, this.sustain));
    this.recentMax = new SlidingMax(Math.max(1, this.refractory));
    this.levelCheck = options.levelCheck ?? 'value';
    this.seedSeasonal = options.seedSeasonal ?? false;
    this.replayOnReady = options.replayOnReady ?? false;
    this.sustainAfterReady = options.sustainAfterReady ?? false;
    this.earlyFrom = options.earlyFrom ?? 0;
    this.earlyMax = new SlidingMax(Math.max(1, this.refractory));
    this.pastStats = new Float64Array(this.replayOnReady ? 5 * Math.max(1, this.refractory) : 0);
    const span = this.levelCheck === 'margin' ? calibration.window * calibration.block : 1;
    this.highs = new SlidingMax(span);
    this.lows = new SlidingMax(span);
  }

  update(t: number, v: number): number {
    if (!Number.isFinite(v) || !Number.isFinite(t)) {
      resetAssessment(this.last);
      return 0;
    }
    const zs = this.zs;
    zs[ROBUST] = this.robust.zOf(v);
    zs[EWMA] = this.ewma.zOf(v);
    zs[SEASONAL] = this.seasonal.zOf(t, v);

    // 1–3: calibrate each statistic against its own past, then fuse (Bonferroni).
    let fused = 0;
    let tests = 0;
    let dominant = -1;
    const checks = this.levelCheck === 'none' ? 3 : 5;
    let up = v;
    let down = -v;
    if (this.levelCheck === 'margin') {
      const scale = this.robust.last.scale;
      up = this.n > 0 ? (v - this.highs.max()) / scale : Number.NaN;
      down = this.n > 0 ? (-this.lows.max() - v) / scale : Number.NaN;
      this.highs.push(v);
      this.lows.push(-v);
    }
    const stats = this.stats;
    for (let i = 0; i < 5; i++)
      stats[i] = i >= checks ? Number.NaN : i < 3 ? Math.abs(zs[i] as number) : i === LEVEL_UP ? up : down;
    if (this.replayOnReady) this.replayIfReady();
    let anyReady = false;
    for (let i = 0; i < checks; i++) if ((this.calibrators[i] as ConformalCalibrator).ready) anyReady = true;
    const untilReady = this.earlyUntilReady && !anyReady;
    const early = this.earlyFrom > 0 && (this.earlyUntilReady ? untilReady : this.n < this.probation) ? this.earlyFused(checks) : 0;
    for (let i = 0; i < checks; i++) {
      const x = stats[i] as number;
      const calibrator = this.calibrators[i] as ConformalCalibrator;
      let s = 0;
      if (i === SEASONAL && this.seedSeasonal && !Number.isNaN(x) && calibrator.size === 0)
        calibrator.seedFrom(this.calibrators[ROBUST] as ConformalCalibrator);
      if (!Number.isNaN(x)) {
        if (calibrator.ready) {
          s = calibrator.surprise(x);
          tests++;
          if (i >= 3 && this.levelCheck === 'recalibrated') {
            const again = this.levelRecalibrators[i - 3] as ConformalCalibrator;
            const raw = s;
            if (again.ready) s = again.surprise(raw);
            again.learn(raw);
          }
        }
        calibrator.learn(x);
      }
      this.surprises[i] = s;
      if (s > fused) {
        fused = s;
        dominant = i;
      }
    }
    if (tests > 1) fused = Math.max(0, fused - Math.log10(tests));

    // 4: sustained evidence.
    let surprise = fused;
    // Only once some statistic is calibrated: before that, fused is 0 by default, not an observation
    // (a history of zeros would make the first real mean look astronomically rare).
    if (this.sustain > 1 && (tests > 0 || !this.sustainAfterReady)) {
      if (this.recentFused.size === this.sustain) this.fusedSum -= this.recentFused.recent(this.sustain - 1);
      this.recentFused.push(fused);
      this.fusedSum += fused;
      const mean = this.fusedSum / this.recentFused.size;
      if (!this.sustainAfterReady || this.recentFused.size === this.sustain) {
        if (this.sustainedCalibrator.ready) surprise = Math.max(surprise, this.sustainedCalibrator.surprise(mean));
        this.sustainedCalibrator.learn(mean);
      }
    }

    // 5: escalation over the refractory window.
    const baseline = this.n < this.seedUntil ? Math.max(this.seedMax, this.recentMax.max()) : this.recentMax.max();
    const escalation = Math.max(0, surprise - baseline);
    if (this.refractory > 0) this.recentMax.push(surprise);

    this.robust.learn(v);
    this.ewma.learn(v);
    this.seasonal.learn(t, v);
    this.n++;

    // 6: score.
    const warming = this.n <= this.probation;
    let score = warming ? 0 : escalation / (escalation + this.scoreHalf);
    if (this.earlyUntilReady) {
      if (untilReady && this.earlyFrom > 0) {
        const e = Math.max(0, early - this.earlyMax.max());
        this.earlyMax.push(early);
        if (!warming) score = e / (e + this.scoreHalf);
      }
    } else if (warming && this.earlyFrom > 0) {
      const e = Math.max(0, early - this.earlyMax.max());
      this.earlyMax.push(early);
      if (this.n > this.earlyStart) score = e / (e + this.scoreHalf);
    }
    // The point's own level: its fused surprise, or the run's when the point itself is unusual
    // (p < 0.1) — so an episode's interval ends with its last unusual point, not 10 points later.
    const own = fused >= 1 ? surprise : fused;
    const level = warming ? 0 : own / (own + this.scoreHalf);
    this.describe(score, level, dominant);
    return score;
  }

  /** Points before the warm-up scoring starts (its escalation window fills meanwhile). */
  earlyStart = 150;
  /** Experimental: the early path scores while no calibrator is ready (after probation), the main path after. */
  earlyUntilReady = false;

  /** The fused surprise of the current statistics from calibrators not yet ready (see earlyFrom). */
  private earlyFused(checks: number): number {
    let fused = 0;
    let tests = 0;
    for (let i = 0; i < checks; i++) {
      const x = this.stats[i] as number;
      if (Number.isNaN(x)) continue;
      const calibrator = this.calibrators[i] as ConformalCalibrator;
      if (calibrator.size < this.earlyFrom) continue;
      tests++;
      fused = Math.max(fused, calibrator.earlySurprise(x, this.earlyFrom));
    }
    return tests > 1 ? Math.max(0, fused - Math.log10(tests)) : fused;
  }

  /** Re-scores the stored statistics when another calibrator has become ready; then stores this point's. */
  private replayIfReady(): void {
    let ready = 0;
    for (const c of this.calibrators) if (c.ready) ready++;
    const capacity = this.pastStats.length / 5;
    if (ready > this.readyCount) {
      let most = 0;
      for (let j = 0; j < this.pastCount; j++) {
        let fused = 0;
        let tests = 0;
        for (let i = 0; i < 5; i++) {
          const x = this.pastStats[5 * j + i] as number;
          const calibrator = this.calibrators[i] as ConformalCalibrator;
          if (Number.isNaN(x) || !calibrator.ready) continue;
          tests++;
          fused = Math.max(fused, calibrator.surprise(x));
        }
        if (tests > 1) fused = Math.max(0, fused - Math.log10(tests));
        most = Math.max(most, fused);
      }
      this.seedMax = most;
      this.seedUntil = this.n + capacity;
    }
    this.readyCount = ready;
    this.pastStats.set(this.stats, 5 * (this.n % capacity));
    this.pastCount = Math.min(capacity, this.pastCount + 1);
  }

  /** Fills `last` from the baseline that explains the point worst (or the robust one by default). */
  private describe(score: number, level: number, dominant: number): void {
    let source: PointAssessment = this.robust.last;
    if (dominant === EWMA) source = this.ewma.last;
    else if (dominant === SEASONAL) source = this.seasonal.last;
    else if (dominant === LEVEL_UP || dominant === LEVEL_DOWN) {
      // A level never seen: measure it against whichever baseline is available.
      source = !Number.isNaN(this.seasonal.last.baseline) ? this.seasonal.last : this.robust.last;
    }
    setAssessment(this.last, score, level, Number.isNaN(source.z) ? 0 : source.z, source.baseline, source.scale);
  }
}
