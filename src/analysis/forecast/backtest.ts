/**
 * Model choice by rolling-origin evaluation on the series' own history: each candidate is refitted
 * on the data before each of the last k origins, forecasts the next points, and is scored by MASE
 * (Hyndman & Koehler 2006) — scale-free, so candidates compare fairly, and < 1 beats the in-sample naive.
 */
import { AppError } from '../../errors.ts';
import { arimaCandidate, sarimaCandidate } from './arima.ts';
import { holtWintersCandidate } from './holt-winters.ts';
import { seasonalNaiveCandidate } from './naive.ts';
import type { Candidate } from './types.ts';

export interface BacktestScore {
  model: string;
  /** Mean over back-test windows of each window's MASE. */
  mase: number;
  /** Share of back-test points inside the 80 % / 95 % intervals: a check on the intervals' calibration. */
  coverage80: number;
  coverage95: number;
}

export interface ModelChoice {
  /** Id of the candidate with the lowest back-test MASE (or the fallback when no back-test fits). */
  model: string;
  /** Every candidate that completed the back-test, best first. */
  backtest: BacktestScore[];
  /** Forecast origins (indexes into the series) and the points forecast from each. */
  origins: number[];
  evaluationHorizon: number;
  notes: string[];
}

/** Candidates that make sense for this series, with a note for each family left out and why. */
export function candidatesFor(values: readonly number[], period: number): { candidates: Candidate[]; notes: string[] } {
  const notes: string[] = [];
  const candidates: Candidate[] = [seasonalNaiveCandidate(1)];
  const n = values.length;
  if (period > 1) {
    if (n >= period + 2) candidates.push(seasonalNaiveCandidate(period));
    if (n < 2 * period + 2) {
      notes.push(
        `series has ${n} points, fewer than the ${2 * period + 2} (two seasons of ${period}) seasonal models need: ` +
          'Holt-Winters and SARIMA skipped, non-seasonal models used',
      );
    } else {
      candidates.push(holtWintersCandidate({ seasonality: 'additive', period, damped: false }));
      candidates.push(holtWintersCandidate({ seasonality: 'additive', period, damped: true }));
      if (values.every((v) => v > 0)) {
        candidates.push(holtWintersCandidate({ seasonality: 'multiplicative', period, damped: false }));
        candidates.push(holtWintersCandidate({ seasonality: 'multiplicative', period, damped: true }));
      } else {
        notes.push('multiplicative Holt-Winters skipped: the series has values ≤ 0');
      }
      candidates.push(sarimaCandidate(period));
    }
  }
  candidates.push(holtWintersCandidate({ seasonality: 'none', period: 1, damped: true }));
  candidates.push(arimaCandidate());
  return { candidates: candidates.filter((c) => c.minLength <= n), notes };
}

/** Mean absolute in-sample error of the lag-`lag` naive forecast: MASE's denominator. */
export function naiveScale(values: readonly number[], lag: number): number {
  let sum = 0;
  for (let t = lag; t < values.length; t++) sum += Math.abs((values[t] as number) - (values[t - lag] as number));
  return values.length > lag ? sum / (values.length - lag) : Number.NaN;
}

/** MASE of `forecast` against `actual`, scaled by the training data's seasonal (or lag-1) naive error. */
export function mase(
  training: readonly number[],
  actual: readonly number[],
  forecast: readonly number[],
  period: number,
): number {
  const lag = period > 1 && training.length > period ? period : 1;
  let scale = naiveScale(training, lag);
  if (!(scale > 0)) scale = naiveScale(training, 1);
  if (!(scale > 0)) scale = 1; // constant training data: MASE degenerates to MAE
  let sum = 0;
  actual.forEach((a, i) => {
    sum += Math.abs(a - (forecast[i] as number));
  });
  return sum / actual.length / scale;
}

const MAX_WINDOWS = 8;
const MIN_WINDOWS = 4;

/**
 * Back-tests the candidates over the last windows of `values` and picks the lowest mean MASE. Windows
 * do not overlap, each `evaluationHorizon` long (the requested horizon, shortened when the history is
 * too short — then the most demanding candidates are dropped first so the rest keep a fair test).
 */
export function chooseModel(values: readonly number[], period: number, horizon: number): ModelChoice {
  const n = values.length;
  const { candidates: all, notes } = candidatesFor(values, period);
  let candidates = [...all].sort((a, b) => a.minLength - b.minLength);
  let evaluationHorizon = 0;
  let minLength = 0;
  while (candidates.length) {
    minLength = Math.max(...candidates.map((c) => c.minLength));
    evaluationHorizon = Math.min(horizon, n - minLength);
    // Back-test at least half the horizon (a quarter of the history when that is less), or drop the hungriest models.
    const enough = candidates.length === 1 ? 1 : Math.max(1, Math.min(Math.ceil(horizon / 2), Math.floor(n / 4)));
    if (evaluationHorizon >= enough) break;
    const dropped = candidates.filter((c) => c.minLength === minLength);
    notes.push(
      `${dropped.map((c) => c.id).join(', ')} left out: back-testing ${enough}+ points needs ${minLength} points of history before them, the series has ${n}`,
    );
    candidates = candidates.filter((c) => c.minLength < minLength);
  }
  if (!candidates.length || evaluationHorizon < 1) {
    const fallback = all.find((c) => c.id === 'seasonal-naive') ?? all.find((c) => c.id === 'naive');
    notes.push(`series too short to back-test any model: using ${fallback?.id ?? 'naive'} without a back-test`);
    return { model: fallback?.id ?? 'naive', backtest: [], origins: [], evaluationHorizon: 0, notes };
  }
  if (evaluationHorizon < horizon) {
    notes.push(`back-test horizon shortened to ${evaluationHorizon} of the ${horizon} points asked for: the history is short`);
  }
  if (horizon > n) {
    notes.push(
      `the horizon (${horizon} points) is longer than the history (${n}): far-out points and intervals rest on the model's assumptions alone`,
    );
  }
  const wanted = Math.min(MAX_WINDOWS, Math.max(MIN_WINDOWS, Math.ceil(48 / evaluationHorizon)));
  const origins: number[] = [];
  for (let i = 0; i < wanted; i++) {
    const origin = n - evaluationHorizon * (i + 1);
    if (origin < minLength) break;
    origins.push(origin);
  }
  const scores: BacktestScore[] = [];
  for (const candidate of candidates) {
    try {
      let maseSum = 0;
      let in80 = 0;
      let in95 = 0;
      for (const origin of origins) {
        const training = values.slice(0, origin);
        const actual = values.slice(origin, origin + evaluationHorizon);
        const band = candidate.fit(training).forecast(evaluationHorizon);
        maseSum += mase(training, actual, band.mean, period);
        actual.forEach((a, i) => {
          if (a >= (band.lo80[i] as number) && a <= (band.hi80[i] as number)) in80++;
          if (a >= (band.lo95[i] as number) && a <= (band.hi95[i] as number)) in95++;
        });
      }
      const points = origins.length * evaluationHorizon;
      const score = maseSum / origins.length;
      if (!Number.isFinite(score)) throw new Error('non-finite forecast');
      scores.push({ model: candidate.id, mase: score, coverage80: in80 / points, coverage95: in95 / points });
    } catch (error) {
      notes.push(`${candidate.id} left out: ${error instanceof Error ? error.message : String(error)} in the back-test`);
    }
  }
  scores.sort((a, b) => a.mase - b.mase);
  const best = scores[0];
  if (!best) throw new AppError('forecast_failed', `No forecasting model could be back-tested: ${notes.join('; ')}`);
  return { model: best.model, backtest: scores, origins, evaluationHorizon, notes };
}
