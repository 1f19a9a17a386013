import { ConformalCalibrator, type ConformalCalibratorOptions } from './calibration.ts';
import { EwmaDetector, type EwmaOptions } from './ewma.ts';
import { RobustZScoreDetector, type RobustZScoreOptions } from './robust-zscore.ts';
import { Ring, SlidingMax } from './rolling.ts';
import { SeasonalDetector, type SeasonalOptions } from './seasonal.ts';
import { type AnomalyDetector, emptyAssessment, type PointAssessment, resetAssessment, setAssessment } from './types.ts';

/**
 * Three baselines and a level check, each calibrated against its own past, fused by a
 * Bonferroni-corrected minimum p-value, then reported as escalation (half of the default `hybrid`).
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
 *    metrics are not comparable, these p-values are. The level checks count their history's
 *    extremal index (`extremalIndex`): a drifting value sets a "new high of the fortnight" far
 *    more often than 1 in n, and such a record is only as rare as the history's independent runs.
 * 3. Fusion: S = max_i S_i − log10(k) over the k calibrated statistics (Bonferroni: k times the
 *    smallest of k p-values is a valid p-value whatever their dependence).
 * 4. Sustained evidence: the mean of S over the last `sustain` points, calibrated the same way,
 *    catches a run of moderately unusual points (a small shift, a changed rhythm) that no single
 *    point reveals — the idea behind Numenta's anomaly likelihood. S ← max(S, S_run). Only full
 *    runs of calibrated points are averaged and learnt: a "surprise" of 0 before any calibrator
 *    answers is no observation (a history of such zeros made the first real mean astronomically
 *    rare, and that one value then silenced the detector for a day).
 * 5. Escalation: E = max(0, S − max(S over the previous `refractory` points)). A new episode, or a
 *    worsening one, raises the score; the continuation of an episode already reported does not:
 *    one alert per incident rather than one per point. When a statistic's calibrator becomes
 *    ready (the seasonal one after two days), the last `refractory` points' statistics are
 *    re-scored with the calibrators now ready and their largest fused surprise is the baseline
 *    until they would have left the window: a model's first day is not a burst of alarms.
 * 6. Score = E / (E + `scoreHalf`): 0 for nothing new, 0.5 for a point 10^`scoreHalf` (100) times
 *    rarer than anything in the refractory window, → 1 as it grows.
 * 7. Warm-up: the first `probation` points score 0 (everything learns meanwhile). After them and
 *    until some calibrator holds its `calibration.minSamples` blocks (about 430 points), the score
 *    comes from the calibrators holding at least `warmupBlocks` blocks, each surprise weighted by
 *    the share of the minimum it holds (confidence growing with history), fused and escalated on
 *    their own; they teach nothing, so the detector is the same afterwards as without them. A short
 *    series (NAB scores a 1,500-row file from row 225) is thus watched from its 150th point.
 *
 * `last.level` maps the point's own surprise the same way, before de-duplication: the fused S, or
 * the run's S when the point is itself unusual (fused p < 0.1). Anomalous intervals extend on it.
 * `last.baseline`, `last.z` and `last.scale` come from the baseline whose statistic was most
 * surprising (the seasonal or robust one when the level check dominated).
 *
 * Parameters are counted in points and sized for 5-minute data: robust window 576 (two days), EWMA
 * half-life 288 (a day), calibration horizon 1,000 blocks × 4 (two weeks), sustained run 10,
 * refractory 288 (a day), probation 150, warm-up calibrators from 25 blocks. They are fixed
 * constants; they were settled while looking at the NAB benchmark's overall score (bench/nab.ts,
 * bench/nab-variants.ts), but nothing reads labels at scoring time.
 *
 * Constant memory (about 250 KB whatever the series length) and no per-point allocation.
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
  /** Points scored 0 at the start while models warm up; default 150. */
  probation?: number;
  /** Blocks a calibrator must hold to take part in the warm-up score (step 7); default 25, 0: no warm-up score. */
  warmupBlocks?: number;
  /** Whether the level checks count their history's extremal index (step 2); default true. */
  extremalIndex?: boolean;
}

export const COMBINED_DEFAULTS = {
  robust: { window: 576, minPoints: 30 },
  ewma: { halfLife: 288 },
  seasonal: {},
  calibration: { window: 1000, block: 4, tailFraction: 0.02, minSamples: 100, minTail: 10 },
  sustain: 10,
  refractory: 288,
  scoreHalf: 2,
  probation: 150,
  warmupBlocks: 25,
  extremalIndex: true,
} as const;

const ROBUST = 0;
const EWMA = 1;
const SEASONAL = 2;
const LEVEL_UP = 3;
const LEVEL_DOWN = 4;
const STATISTICS = 5;
/** Values stored per point for the replay: the statistics, then the sustained mean. */
const STORED = STATISTICS + 1;

export class CombinedDetector implements AnomalyDetector {
  last: PointAssessment = emptyAssessment();
  readonly robust: RobustZScoreDetector;
  readonly ewma: EwmaDetector;
  readonly seasonal: SeasonalDetector;
  readonly sustain: number;
  readonly refractory: number;
  readonly scoreHalf: number;
  readonly probation: number;
  readonly warmupBlocks: number;
  /** Surprise of the last point, per statistic (robust, EWMA, seasonal, level up, level down). */
  readonly surprises = new Float64Array(STATISTICS);
  private readonly calibrators: ConformalCalibrator[];
  private readonly sustainedCalibrator: ConformalCalibrator;
  private readonly recentFused: Ring;
  private readonly recentMax: SlidingMax;
  private fusedSum = 0;
  private readonly zs = new Float64Array(3);
  /** This point's statistics and sustained mean (NaN: not available yet). */
  private readonly stats = new Float64Array(STORED);
  /** The last `refractory` points' statistics and sustained means, STORED per point, oldest overwritten (step 5). */
  private readonly pastStats: Float64Array;
  private pastCount = 0;
  private readyCount = 0;
  /** Baseline from the re-scored window, and the point count until which it holds. */
  private replayedMax = 0;
  private replayedUntil = 0;
  /** Escalation window of the warm-up score (step 7). */
  private readonly warmupMax: SlidingMax;
  private n = 0;

  constructor(options: CombinedOptions = {}) {
    this.robust = new RobustZScoreDetector({ ...COMBINED_DEFAULTS.robust, ...options.robust });
    this.ewma = new EwmaDetector({ ...COMBINED_DEFAULTS.ewma, ...options.ewma });
    this.seasonal = new SeasonalDetector({ ...COMBINED_DEFAULTS.seasonal, ...options.seasonal });
    const calibration = { ...COMBINED_DEFAULTS.calibration, ...options.calibration };
    const extremalIndex = options.extremalIndex ?? COMBINED_DEFAULTS.extremalIndex;
    this.calibrators = Array.from(
      { length: STATISTICS },
      (_, i) => new ConformalCalibrator({ ...calibration, extremalIndex: extremalIndex && i >= LEVEL_UP }),
    );
    this.sustainedCalibrator = new ConformalCalibrator(calibration);
    this.sustain = Math.max(1, options.sustain ?? COMBINED_DEFAULTS.sustain);
    this.refractory = Math.max(1, options.refractory ?? COMBINED_DEFAULTS.refractory);
    this.scoreHalf = options.scoreHalf ?? COMBINED_DEFAULTS.scoreHalf;
    this.probation = options.probation ?? COMBINED_DEFAULTS.probation;
    this.warmupBlocks = options.warmupBlocks ?? COMBINED_DEFAULTS.warmupBlocks;
    this.recentFused = new Ring(this.sustain);
    this.recentMax = new SlidingMax(this.refractory);
    this.warmupMax = new SlidingMax(this.refractory);
    this.pastStats = new Float64Array(STORED * this.refractory);
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
    const stats = this.stats;
    for (let i = 0; i < 3; i++) stats[i] = Math.abs(zs[i] as number);
    stats[LEVEL_UP] = v;
    stats[LEVEL_DOWN] = -v;
    stats[STATISTICS] = this.sustainedMean();
    const ready = this.replayIfReady();
    const warmup = ready === 0 && this.warmupBlocks > 0 ? this.warmupSurprise() : 0;

    // 1–3: calibrate each statistic against its own past, then fuse (Bonferroni).
    let fused = 0;
    let tests = 0;
    let dominant = -1;
    for (let i = 0; i < STATISTICS; i++) {
      const x = stats[i] as number;
      const calibrator = this.calibrators[i] as ConformalCalibrator;
      let s = 0;
      if (!Number.isNaN(x)) {
        if (calibrator.ready) {
          s = calibrator.surprise(x);
          tests++;
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

    // 4: sustained evidence, over full runs of calibrated points.
    let surprise = fused;
    if (this.sustain > 1 && tests > 0) {
      if (this.recentFused.size === this.sustain) this.fusedSum -= this.recentFused.recent(this.sustain - 1);
      this.recentFused.push(fused);
      this.fusedSum += fused;
      if (this.recentFused.size === this.sustain) {
        const mean = this.fusedSum / this.sustain;
        if (this.sustainedCalibrator.ready) surprise = Math.max(surprise, this.sustainedCalibrator.surprise(mean));
        this.sustainedCalibrator.learn(mean);
      }
    }

    // 5: escalation over the refractory window (or the re-scored one, just after a calibrator became ready).
    const recent = this.recentMax.max();
    const baseline = this.n < this.replayedUntil ? Math.max(recent, this.replayedMax) : recent;
    const escalation = Math.max(0, surprise - baseline);
    this.recentMax.push(surprise);

    this.robust.learn(v);
    this.ewma.learn(v);
    this.seasonal.learn(t, v);
    this.n++;

    // 6–7: score; the warm-up score until a calibrator is ready.
    const warming = this.n <= this.probation;
    let score = warming || ready === 0 ? 0 : escalation / (escalation + this.scoreHalf);
    if (ready === 0 && this.warmupBlocks > 0) {
      const e = Math.max(0, warmup - this.warmupMax.max());
      this.warmupMax.push(warmup);
      if (!warming) score = e / (e + this.scoreHalf);
    }
    // The point's own level: its fused surprise, or the run's when the point itself is unusual
    // (p < 0.1) — so an episode's interval ends with its last unusual point, not 10 points later.
    const own = ready === 0 ? warmup : fused >= 1 ? surprise : fused;
    const level = warming ? 0 : own / (own + this.scoreHalf);
    this.describe(score, level, dominant);
    return score;
  }

  /**
   * Step 5's replay: when more calibrators are ready than at the last point, re-scores the stored
   * statistics of the last `refractory` points with them; then stores this point's. Returns how
   * many calibrators are ready.
   */
  private replayIfReady(): number {
    let ready = 0;
    for (const c of this.calibrators) if (c.ready) ready++;
    const sustained = this.sustainedCalibrator;
    const all = ready + (sustained.ready ? 1 : 0);
    if (all > this.readyCount) {
      let most = 0;
      for (let j = 0; j < this.pastCount; j++) {
        const at = STORED * j;
        let fused = 0;
        let tests = 0;
        for (let i = 0; i < STATISTICS; i++) {
          const x = this.pastStats[at + i] as number;
          const calibrator = this.calibrators[i] as ConformalCalibrator;
          if (Number.isNaN(x) || !calibrator.ready) continue;
          tests++;
          fused = Math.max(fused, calibrator.surprise(x));
        }
        if (tests > 1) fused = Math.max(0, fused - Math.log10(tests));
        const mean = this.pastStats[at + STATISTICS] as number;
        if (!Number.isNaN(mean)) fused = Math.max(fused, sustained.surprise(mean));
        most = Math.max(most, fused);
      }
      this.replayedMax = most;
      this.replayedUntil = this.n + this.refractory;
    }
    this.readyCount = all;
    this.pastStats.set(this.stats, STORED * (this.n % this.refractory));
    this.pastCount = Math.min(this.refractory, this.pastCount + 1);
    return ready;
  }

  /** The sustained channel's mean over the last full run before this point (NaN without one). */
  private sustainedMean(): number {
    return this.recentFused.size === this.sustain ? this.fusedSum / this.sustain : Number.NaN;
  }

  /** Step 7: the fused surprise from calibrators holding at least `warmupBlocks` blocks, each weighted by its share of the minimum. */
  private warmupSurprise(): number {
    let fused = 0;
    let tests = 0;
    for (let i = 0; i < STATISTICS; i++) {
      const x = this.stats[i] as number;
      const calibrator = this.calibrators[i] as ConformalCalibrator;
      if (Number.isNaN(x) || calibrator.size < this.warmupBlocks) continue;
      tests++;
      fused = Math.max(fused, calibrator.earlySurprise(x, this.warmupBlocks));
    }
    return tests > 1 ? Math.max(0, fused - Math.log10(tests)) : fused;
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
