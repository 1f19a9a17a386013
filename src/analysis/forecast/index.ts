/**
 * Forecasting for capacity planning: regularise the series, back-test Holt-Winters, SARIMA and naive
 * benchmarks on its own history, refit the winner on all of it and forecast with 80 % / 95 % intervals.
 */
import { AppError } from '../../errors.ts';
import { candidatesFor, chooseModel } from './backtest.ts';
import { inferPeriod, regularise, type SeriesPoint } from './prepare.ts';

export { fitDifferencedAr } from './arima.ts';
export { type BacktestScore, chooseModel, type ModelChoice, mase } from './backtest.ts';
export { fitHoltWinters, type HoltWintersOptions } from './holt-winters.ts';
export { fitSeasonalNaive } from './naive.ts';
export { inferPeriod, type RegularSeries, regularise, type SeriesPoint } from './prepare.ts';
export type { Band, FittedModel } from './types.ts';

export interface ForecastOptions {
  /** Points to forecast past the last sample, at the series' median spacing. */
  horizonPoints: number;
  /** Points per season; when absent, a day's worth of points (see `inferPeriod`). 1 means no season. */
  period?: number;
}

export interface ForecastPoint {
  t: number;
  mean: number;
  lo80: number;
  hi80: number;
  lo95: number;
  hi95: number;
}

export interface ForecastResult {
  /** Id of the chosen candidate, e.g. `holt-winters-additive-damped`, `sarima`, `seasonal-naive`. */
  model: string;
  /** The chosen model's fitted parameters in words. */
  description: string;
  period: number;
  /** Seconds between points, the input's median spacing. */
  step: number;
  points: ForecastPoint[];
  /** Back-test error of every candidate tried, best first. */
  backtest: Array<{ model: string; mase: number; coverage80: number; coverage95: number }>;
  /** What was inferred, interpolated, skipped or shortened, in words. */
  notes: string[];
}

/** Largest horizon accepted: beyond this, memory for simulated intervals grows without use for planning. */
const MAX_HORIZON = 100_000;

export function forecast(series: ReadonlyArray<SeriesPoint>, options: ForecastOptions): ForecastResult {
  const { horizonPoints } = options;
  if (!Number.isInteger(horizonPoints) || horizonPoints < 1 || horizonPoints > MAX_HORIZON) {
    throw new AppError(
      'forecast_bad_horizon',
      `horizonPoints must be an integer from 1 to ${MAX_HORIZON}, not ${horizonPoints}.`,
    );
  }
  if (options.period !== undefined && (!Number.isInteger(options.period) || options.period < 1)) {
    throw new AppError(
      'forecast_bad_period',
      `period must be a whole number of points ≥ 1 (1 = no season), not ${options.period}.`,
    );
  }
  const regular = regularise(series);
  const notes = [...regular.notes];
  let period = options.period;
  if (period === undefined) {
    const inferred = inferPeriod(regular.step);
    period = inferred.period;
    notes.push(inferred.note);
  }
  const choice = chooseModel(regular.values, period, horizonPoints);
  notes.push(...choice.notes);
  const candidate = candidatesFor(regular.values, period).candidates.find((c) => c.id === choice.model);
  if (!candidate) throw new AppError('forecast_failed', `Model ${choice.model} is not available for this series.`);
  const fitted = candidate.fit(regular.values);
  const band = fitted.forecast(horizonPoints);
  const last = regular.start + (regular.values.length - 1) * regular.step;
  // A series that never went below zero is a non-negative quantity (a rate, a latency, a count): so are its forecasts.
  const floor = regular.values.every((v) => Number.isNaN(v) || v >= 0) ? 0 : Number.NEGATIVE_INFINITY;
  let clipped = 0;
  const atFloor = (v: number) => {
    if (v >= floor) return v;
    clipped++;
    return floor;
  };
  const points = band.mean.map((m, i) => ({
    t: last + (i + 1) * regular.step,
    mean: atFloor(m),
    lo80: atFloor(band.lo80[i] as number),
    hi80: atFloor(band.hi80[i] as number),
    lo95: atFloor(band.lo95[i] as number),
    hi95: atFloor(band.hi95[i] as number),
  }));
  if (clipped > 0) notes.push(`${clipped} forecast or interval values below 0 were raised to 0: the series never goes below 0.`);
  return {
    model: choice.model,
    description: fitted.description,
    period,
    step: regular.step,
    points,
    backtest: choice.backtest,
    notes,
  };
}
