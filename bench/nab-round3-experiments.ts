import { HybridDetector, type HybridOptions } from '../src/analysis/anomaly/hybrid.ts';
import { formatScores, heldOutStandard, loadSeries, MEASURE_HEADER, measure } from './nab-proxies.ts';

/**
 * Round 3 of issue 12, every variant tried (at the commit that adds this file; the losing options
 * were removed afterwards). Run: npx tsx -e "import('./bench/nab-round3-experiments.ts').then(m=>m.benchRound3Experiments())"
 */
const CAL = { window: 1000, block: 4, tailFraction: 0.02, minSamples: 100, minTail: 10 };
const SEQ = { warmup: 300, probation: 300, replayWarmup: true };
const D = { dependence: 'level' as const };
const S = { ...D, sustainAfterReady: true };
const C2 = { ...S, replayOnReady: true, probation: 150, earlyFrom: 25 };
const C3 = { ...C2, dependence: 'extremal' as const };

type Variant = [string, HybridOptions, boolean?];
const VARIANTS: Variant[] = [
  ['round 2 hybrid (default at 7ada9b2)', {}],
  ['level checks off', { combined: { levelCheck: 'none' } }],
  ['level checks on the margin past the window extreme', { combined: { levelCheck: 'margin' } }],
  ['level surprise recalibrated against its own history', { combined: { levelCheck: 'recalibrated' } }],
  ['level checks over 4,000 blocks (16,000 points)', { combined: { levelWindow: 4000 } }],
  ['predictive (Lomax) tail in every calibrator', { combined: { calibration: { ...CAL, tail: 'predictive' } } }],
  ['D: level checks count dependence (n_eff)', { combined: { ...D } }],
  ['D, every calibrator counts dependence', { combined: { dependence: 'all' } }],
  ['X: level checks count the extremal index (runs)', { combined: { dependence: 'extremal' } }],
  ['D + sequence from 300 (warm-up replayed)', { combined: { ...D }, sequence: SEQ }],
  ['D + seq300 + combined from 150, calibrators at 25 blocks', { combined: { ...D, probation: 150, calibration: { ...CAL, minSamples: 25 } }, sequence: SEQ }],
  ['  same, surprises weighted n/100 blocks', { combined: { ...D, probation: 150, calibration: { ...CAL, minSamples: 25, trustAll: 100 } }, sequence: SEQ }],
  ['  same, seasonal calibrator still at 100 blocks', { combined: { ...D, probation: 150, calibration: { ...CAL, minSamples: 25 }, seasonalCalibration: { minSamples: 100 } }, sequence: SEQ }],
  ['  same, + predictive tail', { combined: { ...D, probation: 150, calibration: { ...CAL, minSamples: 25, tail: 'predictive' } }, sequence: SEQ }],
  ['D + seq300 + combined from 150, 100 blocks, replay on ready', { combined: { ...D, probation: 150, replayOnReady: true }, sequence: SEQ }],
  ['D + seq300 + warm-up path from 25 blocks until 600', { combined: { ...D, earlyFrom: 25 }, sequence: SEQ }],
  ['D+S: sustained channel learns only calibrated, full runs', { combined: { ...S }, sequence: SEQ }],
  ['D+S + seq300 + combined from 150, replay on ready (A)', { combined: { ...S, probation: 150, replayOnReady: true }, sequence: SEQ }],
  ['D+S + seq300 + warm-up path until 600 (B)', { combined: { ...S, earlyFrom: 25 }, sequence: SEQ }],
  ['C2: D+S + seq300 + from 150: warm-up path until ready', { combined: C2 }, true],
  ['  C2 without dependence', { combined: { ...C2, dependence: 'none' } }, true],
  ['C3: C2 with the extremal index instead of lag-one', { combined: C3 }, true],
  ['  C3, warm-up from 10 blocks', { combined: { ...C3, earlyFrom: 10 } }, true],
  ['  C3, warm-up from 50 blocks', { combined: { ...C3, earlyFrom: 50 } }, true],
  ['  C3, probation 100', { combined: { ...C3, probation: 100 } }, true],
  ['  C3, probation 250', { combined: { ...C3, probation: 250 } }, true],
  ['  C3, sequence warm-up 250', { combined: C3, sequence: { ...SEQ, warmup: 250, probation: 250 } }, true],
  ['  C3, sequence warm-up 400', { combined: C3, sequence: { ...SEQ, warmup: 400, probation: 400 } }, true],
  ['  C3, sustained channel as in round 2', { combined: { ...C3, sustainAfterReady: false } }, true],
  ['  C3, level checks over 4,000 blocks', { combined: { ...C3, levelWindow: 4000 } }, true],
];

function factory(options: HybridOptions, untilReady = false) {
  return () => {
    const detector = new HybridDetector({ ...options, sequence: options.sequence ?? (untilReady ? SEQ : undefined) });
    if (untilReady) detector.combined.earlyUntilReady = true;
    return detector;
  };
}

export async function benchRound3Experiments(): Promise<void> {
  const corpus = loadSeries();
  console.log(`${'variant'.padEnd(60)}${MEASURE_HEADER}`);
  for (const [name, options, untilReady] of VARIANTS) {
    console.log(`${name.padEnd(60)}${formatScores(measure(corpus, factory(options, untilReady)))}`);
  }
  const shifts: string[] = [];
  for (let k = 0; k < 8; k++) {
    const options = { combined: C3, sequence: { ...SEQ, gridOffset: k / 64 } };
    shifts.push(heldOutStandard(corpus, factory(options, true)).toFixed(1));
  }
  console.log(`C3 held-out standard, sequence grid shifted by k/64 step, k = 0…7: ${shifts.join(', ')}`);
}
