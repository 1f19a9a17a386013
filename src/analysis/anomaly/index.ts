import { AppError } from '../../errors.ts';
import { CombinedDetector } from './combined.ts';
import { ContextualDetector } from './contextual.ts';
import { EwmaDetector } from './ewma.ts';
import { HybridDetector } from './hybrid.ts';
import { RobustZScoreDetector } from './robust-zscore.ts';
import { SeasonalDetector } from './seasonal.ts';
import { SequenceDetector } from './sequence.ts';
import type { AnomalyDetector } from './types.ts';

export { ConformalCalibrator, normalSurprise, surpriseToScore } from './calibration.ts';
export { COMBINED_DEFAULTS, CombinedDetector, type CombinedOptions } from './combined.ts';
export { CONTEXTUAL_DEFAULTS, ContextualDetector, ContextualModel, type ContextualOptions } from './contextual.ts';
export { EwmaDetector, type EwmaOptions } from './ewma.ts';
export { HybridDetector, type HybridOptions } from './hybrid.ts';
export {
  type AnomalyInterval,
  findAnomalousIntervals,
  type IntervalOptions,
  IntervalTracker,
  type ScoredPoint,
} from './intervals.ts';
export { AnomalyLikelihood, LIKELIHOOD_DEFAULTS, type LikelihoodOptions, logLikelihoodScore } from './likelihood.ts';
export { RobustZScoreDetector, type RobustZScoreOptions } from './robust-zscore.ts';
export { DAY_MS, SeasonalDetector, type SeasonalOptions } from './seasonal.ts';
export { SEQUENCE_DEFAULTS, SequenceDetector, SequenceModel, type SequenceOptions } from './sequence.ts';
export { anomalousIntervalsOf } from './series-intervals.ts';
export type { AnomalyDetector, PointAssessment } from './types.ts';

export const DETECTOR_NAMES = ['hybrid', 'combined', 'sequence', 'cad', 'robust-z', 'ewma', 'seasonal'] as const;
/** The detector used when none is named: `hybrid` (combined + sequence; bench/nab.ts measures why). */
export const DEFAULT_DETECTOR: DetectorName = 'hybrid';
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** A fresh detector by name, with its default parameters. */
export function createDetector(name: DetectorName | string = DEFAULT_DETECTOR): AnomalyDetector {
  switch (name) {
    case 'hybrid':
      return new HybridDetector();
    case 'sequence':
      return new SequenceDetector();
    case 'combined':
      return new CombinedDetector();
    case 'cad':
      return new ContextualDetector();
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
