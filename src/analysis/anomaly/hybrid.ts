import { CombinedDetector, type CombinedOptions } from './combined.ts';
import { SequenceDetector, type SequenceOptions } from './sequence.ts';
import { type AnomalyDetector, emptyAssessment, type PointAssessment, resetAssessment, setAssessment } from './types.ts';

/**
 * The default detector: the combined detector (how far a value is from its baselines) and the
 * sequence detector (how improbable the recent sequence of levels is), both escalations measured
 * in decades of improbability over the same refractory window, fused by taking the larger.
 *
 * The two see different anomalies: the combined detector a spike, a shift, a missing daily peak; the
 * sequence detector a rhythm broken at values that are individually ordinary (a failing machine's
 * temperature wobbling, a key held, a holiday). Both scores are E / (E + 2) of an escalation E in
 * decades, so the larger score is the larger escalation: a point alarms when either model finds it
 * newly improbable. The assessment (baseline, z, scale) is the combined detector's; the level is
 * the larger of its level and the fused score, so an interval opened by a sequence alarm covers
 * the point that opened it.
 *
 * It scores from the 150th point (the combined detector's warm-up score until its calibrators hold
 * enough history, the sequence detector from its 300th point), so a short series is watched almost
 * from its start. bench/nab-variants.ts measures it on NAB, held out by category, and on
 * truncated and short-file proxies.
 */
export interface HybridOptions {
  combined?: CombinedOptions;
  sequence?: SequenceOptions;
}

export class HybridDetector implements AnomalyDetector {
  last: PointAssessment = emptyAssessment();
  readonly combined: CombinedDetector;
  readonly sequence: SequenceDetector;

  constructor(options: HybridOptions = {}) {
    this.combined = new CombinedDetector(options.combined);
    this.sequence = new SequenceDetector(options.sequence);
  }

  update(t: number, v: number): number {
    if (!Number.isFinite(v) || !Number.isFinite(t)) {
      this.combined.update(t, v);
      this.sequence.update(t, v);
      resetAssessment(this.last);
      return 0;
    }
    const fromValues = this.combined.update(t, v);
    const fromSequence = this.sequence.update(t, v);
    const score = Math.max(fromValues, fromSequence);
    const c = this.combined.last;
    setAssessment(this.last, score, Math.max(c.level, score), c.z, c.baseline, c.scale);
    return score;
  }
}
