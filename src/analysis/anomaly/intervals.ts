/**
 * From per-point scores to anomalous intervals, streaming.
 *
 * An interval opens at a point whose `score` reaches the threshold (an alert: for the combined
 * detector, the onset or escalation of an episode), then extends over the following points while
 * they stay anomalous — `level` (the point's own anomaly level; `score` when absent) at or above the
 * threshold — tolerating runs of at most `maxGap` normal points in between, which are merged in.
 * It closes at the last anomalous point once more than `maxGap` normal points follow it (or when
 * the time gap exceeds `maxGapMs`).
 *
 * Each interval reports the direction and size of the deviation at its most anomalous point (the
 * highest level; the first one on ties): `direction` is the sign of value − baseline, `size` the
 * absolute difference (signed) and the ratio value / baseline (null when the baseline is 0 or
 * unknown).
 */
export interface ScoredPoint {
  /** Epoch milliseconds. */
  t: number;
  value: number;
  /** The detector's score for the point, in [0, 1]. */
  score: number;
  /** The point's own anomaly level in [0, 1] (before de-duplication); defaults to `score`. */
  level?: number;
  /** What the detector expected (NaN when unknown). */
  baseline: number;
}

export interface AnomalyInterval {
  metric: string;
  /** Epoch milliseconds of the first and last anomalous point. */
  start: number;
  end: number;
  direction: 'up' | 'down';
  size: {
    /** value − baseline at the peak point (negative for a drop). */
    absolute: number;
    /** value / baseline at the peak point; null when the baseline is 0 or unknown. */
    ratio: number | null;
  };
  /** Highest level (or score) in the interval. */
  peakScore: number;
  /** Epoch milliseconds of the peak point. */
  peakAt: number;
  value: number;
  baseline: number;
  /** Points from start to end, gaps included. */
  points: number;
}

export interface IntervalOptions {
  /** Name reported in each interval; default "value". */
  metric?: string;
  /** Score (to open) and level (to stay open) threshold; default 0.5. */
  threshold?: number;
  /** Normal points allowed inside an interval before it closes; default 3. */
  maxGap?: number;
  /** Longest time between two points of one interval, in ms; default unbounded. */
  maxGapMs?: number;
}

interface OpenInterval {
  start: number;
  end: number;
  points: number;
  peak: ScoredPoint;
  peakLevel: number;
}

/** Streaming interval builder: push points in time order, collect closed intervals. */
export class IntervalTracker {
  readonly metric: string;
  readonly threshold: number;
  readonly maxGap: number;
  readonly maxGapMs: number;
  private open: OpenInterval | undefined;
  private pointsSinceEnd = 0;

  constructor(options: IntervalOptions = {}) {
    this.metric = options.metric ?? 'value';
    this.threshold = options.threshold ?? 0.5;
    this.maxGap = Math.max(0, options.maxGap ?? 3);
    this.maxGapMs = options.maxGapMs ?? Number.POSITIVE_INFINITY;
  }

  /** Adds a point; returns the interval it closed, if any. */
  push(point: ScoredPoint): AnomalyInterval | undefined {
    const level = point.level ?? point.score;
    const anomalous = level >= this.threshold || point.score >= this.threshold;
    let closed: AnomalyInterval | undefined;
    const open = this.open;
    if (open) {
      const tooLate = point.t - open.end > this.maxGapMs;
      if (anomalous && !tooLate) {
        open.points += this.pointsSinceEnd + 1;
        open.end = point.t;
        this.pointsSinceEnd = 0;
        if (Math.max(level, point.score) > open.peakLevel) {
          open.peak = point;
          open.peakLevel = Math.max(level, point.score);
        }
        return undefined;
      }
      this.pointsSinceEnd++;
      if (tooLate || this.pointsSinceEnd > this.maxGap) {
        closed = this.finish(open);
        this.open = undefined;
      }
    }
    if (!this.open && point.score >= this.threshold) {
      this.open = { start: point.t, end: point.t, points: 1, peak: point, peakLevel: Math.max(level, point.score) };
      this.pointsSinceEnd = 0;
    }
    return closed;
  }

  /** Closes the interval still open at the end of the data, if any. */
  flush(): AnomalyInterval | undefined {
    if (!this.open) return undefined;
    const closed = this.finish(this.open);
    this.open = undefined;
    return closed;
  }

  private finish(open: OpenInterval): AnomalyInterval {
    const { peak } = open;
    const known = Number.isFinite(peak.baseline);
    const absolute = known ? peak.value - peak.baseline : Number.NaN;
    return {
      metric: this.metric,
      start: open.start,
      end: open.end,
      direction: absolute < 0 ? 'down' : 'up',
      size: { absolute, ratio: known && peak.baseline !== 0 ? peak.value / peak.baseline : null },
      peakScore: open.peakLevel,
      peakAt: peak.t,
      value: peak.value,
      baseline: peak.baseline,
      points: open.points,
    };
  }
}

/** All anomalous intervals of a scored series (see IntervalTracker). */
export function findAnomalousIntervals(points: Iterable<ScoredPoint>, options: IntervalOptions = {}): AnomalyInterval[] {
  const tracker = new IntervalTracker(options);
  const out: AnomalyInterval[] = [];
  for (const point of points) {
    const closed = tracker.push(point);
    if (closed) out.push(closed);
  }
  const last = tracker.flush();
  if (last) out.push(last);
  return out;
}
