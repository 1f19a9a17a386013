import { HybridDetector } from './hybrid.ts';
import { type AnomalyInterval, findAnomalousIntervals } from './intervals.ts';
import { isPracticalChange, type PracticalChange, practicalChangeFor } from './practical-size.ts';

/**
 * The anomalous intervals of one metric series (points at epoch seconds, oldest first), scored
 * causally by the default (hybrid) detector: what `detect_anomalies` reports and what
 * `explain_incident` uses to find the incident in a long range. Only moves of a practical size
 * are kept (`floor`, by default the metric's from practical-size.ts): surprise alone is not enough.
 */
export function anomalousIntervalsOf(
  points: ReadonlyArray<{ t: number; v: number }>,
  metric: string,
  floor: PracticalChange = practicalChangeFor(metric),
): AnomalyInterval[] {
  const detector = new HybridDetector();
  const scored = points.map((point) => {
    const score = detector.update(point.t * 1000, point.v);
    return { t: point.t * 1000, value: point.v, score, level: detector.last.level, baseline: detector.last.baseline };
  });
  return findAnomalousIntervals(scored, { metric, maxGap: 3 }).filter((interval) => isPracticalChange(interval, floor));
}
