import { HybridDetector } from './hybrid.ts';
import { type AnomalyInterval, findAnomalousIntervals } from './intervals.ts';

/**
 * The anomalous intervals of one metric series (points at epoch seconds, oldest first), scored
 * causally by the default (hybrid) detector: what `detect_anomalies` reports and what
 * `explain_incident` uses to find the incident in a long range.
 */
export function anomalousIntervalsOf(points: ReadonlyArray<{ t: number; v: number }>, metric: string): AnomalyInterval[] {
  const detector = new HybridDetector();
  const scored = points.map((point) => {
    const score = detector.update(point.t * 1000, point.v);
    return { t: point.t * 1000, value: point.v, score, level: detector.last.level, baseline: detector.last.baseline };
  });
  return findAnomalousIntervals(scored, { metric, maxGap: 3 });
}
