import { AppError } from '../../errors.ts';
import { CombinedDetector } from './combined.ts';
import { EwmaDetector } from './ewma.ts';
import { RobustZScoreDetector } from './robust-zscore.ts';
import { SeasonalDetector } from './seasonal.ts';
import type { AnomalyDetector } from './types.ts';

export { ConformalCalibrator, normalSurprise, surpriseToScore } from './calibration.ts';
export { COMBINED_DEFAULTS, CombinedDetector, type CombinedOptions } from './combined.ts';
export { EwmaDetector, type EwmaOptions } from './ewma.ts';
export {
  type AnomalyInterval,
  findAnomalousIntervals,
  type IntervalOptions,
  IntervalTracker,
  type ScoredPoint,
} from './intervals.ts';
export { RobustZScoreDetector, type RobustZScoreOptions } from './robust-zscore.ts';
export { DAY_MS, SeasonalDetector, type SeasonalOptions } from './seasonal.ts';
export { anomalousIntervalsOf } from './series-intervals.ts';
export type { AnomalyDetector, PointAssessment } from './types.ts';

export const DETECTOR_NAMES = ['combined', 'robust-z', 'ewma', 'seasonal'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** A fresh detector by name, with its default parameters. */
export function createDetector(name: DetectorName | string = 'combined'): AnomalyDetector {
  switch (name) {
    case 'combined':
      return new CombinedDetector();
    case 'robust-z':
      return new RobustZScoreDetector();
    case 'ewma':
      return new EwmaDetector();
    case 'seasonal':
      return new SeasonalDetector();
    default:
      throw new AppError(
        'anomaly_detector_unknown',
        `unknown anomaly detector "${name}"; expected one of ${DETECTOR_NAMES.join(', ')}`,
      );
  }
}
