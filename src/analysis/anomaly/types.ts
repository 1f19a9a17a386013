/**
 * The contract every streaming detector in this folder keeps.
 *
 * A detector sees one point at a time, in time order, and returns that point's anomaly score in
 * [0, 1] computed only from the points before it and the point itself (causal: scoring a prefix of
 * a series gives exactly the scores of the same prefix of the whole series). It never sees labels.
 */
export interface AnomalyDetector {
  /**
   * Scores the next point. `t` is the timestamp in epoch milliseconds (non-decreasing), `v` the
   * value. Non-finite values score 0 and do not update the model.
   */
  update(t: number, v: number): number;
  /** What the detector concluded about the last point given to `update` (overwritten by the next one). */
  readonly last: PointAssessment;
}

/** A detector's view of one point. */
export interface PointAssessment {
  /** The score `update` returned, in [0, 1]. */
  score: number;
  /**
   * The point's own anomaly level in [0, 1]. Equal to `score` for the single-model detectors; for
   * the combined detector, the calibrated surprise before episode de-duplication (a point in the
   * middle of an already-reported incident has a high level and a score near 0).
   */
  level: number;
  /** Signed deviation from the baseline in robust standard deviations (0 while warming up). */
  z: number;
  /** What the detector expected the value to be (NaN while warming up). */
  baseline: number;
  /** The spread the deviation was measured against (NaN while warming up). */
  scale: number;
}

export function emptyAssessment(): PointAssessment {
  return { score: 0, level: 0, z: 0, baseline: Number.NaN, scale: Number.NaN };
}

/** Sets an assessment in place (detectors reuse one object: no allocation per point). */
export function setAssessment(
  target: PointAssessment,
  score: number,
  level: number,
  z: number,
  baseline: number,
  scale: number,
): void {
  target.score = score;
  target.level = level;
  target.z = z;
  target.baseline = baseline;
  target.scale = scale;
}

/** Resets an assessment in place to "nothing known": scores 0, z 0, baseline and scale NaN. */
export function resetAssessment(target: PointAssessment): void {
  setAssessment(target, 0, 0, 0, Number.NaN, Number.NaN);
}
