/** Turns raw timestamped samples into the regular, gap-free series every model here assumes. */
import { AppError } from '../../errors.ts';
import { median } from './stats.ts';

export interface SeriesPoint {
  /** Unix seconds. */
  t: number;
  v: number;
}

export interface RegularSeries {
  /** Time of the first value, unix seconds. */
  start: number;
  /** Seconds between values: the median spacing of the input. */
  step: number;
  values: number[];
  /** Grid slots that had no finite sample and were linearly interpolated. */
  filled: number;
  notes: string[];
}

const DAY = 86_400;

/**
 * Snaps samples to a grid at their median spacing (duplicates in one slot are averaged), then fills
 * empty or NaN slots by linear interpolation between the nearest finite neighbours (the nearest one
 * at either end). Interpolation rather than skipping keeps the seasonal lag an exact number of slots.
 */
export function regularise(series: readonly SeriesPoint[]): RegularSeries {
  const points = series.filter((p) => Number.isFinite(p.t)).sort((a, b) => a.t - b.t);
  const times = [...new Set(points.map((p) => p.t))];
  if (times.length < 2) {
    throw new AppError('forecast_too_short', `A forecast needs samples at 2 or more distinct times; got ${times.length}.`);
  }
  const spacings = times.slice(1).map((t, i) => t - (times[i] as number));
  const step = median(spacings);
  const start = times[0] as number;
  const slots = Math.round(((times.at(-1) as number) - start) / step) + 1;
  if (slots > 5 * times.length + 100) {
    throw new AppError(
      'forecast_sparse',
      `At the median spacing of ${step} s the ${times.length} samples span ${slots} points: mostly gaps, nothing to forecast from.`,
    );
  }
  const sums = new Array<number>(slots).fill(0);
  const counts = new Array<number>(slots).fill(0);
  for (const p of points) {
    if (!Number.isFinite(p.v)) continue;
    const i = Math.round((p.t - start) / step);
    sums[i] = (sums[i] as number) + p.v;
    counts[i] = (counts[i] as number) + 1;
  }
  const values = sums.map((s, i) => ((counts[i] as number) > 0 ? s / (counts[i] as number) : Number.NaN));
  const known = values.flatMap((v, i) => (Number.isNaN(v) ? [] : [i]));
  if (known.length < 3) {
    throw new AppError('forecast_too_short', `A forecast needs 3 or more finite values; got ${known.length}.`);
  }
  let filled = 0;
  for (let k = 0; k <= known.length; k++) {
    const left = known[k - 1];
    const right = known[k];
    const from = left === undefined ? 0 : left + 1;
    const to = right === undefined ? slots : right;
    for (let i = from; i < to; i++) {
      const lv = left === undefined ? undefined : (values[left] as number);
      const rv = right === undefined ? undefined : (values[right] as number);
      values[i] =
        lv !== undefined && rv !== undefined && left !== undefined && right !== undefined
          ? lv + ((rv - lv) * (i - left)) / (right - left)
          : ((lv ?? rv) as number);
      filled++;
    }
  }
  const notes: string[] = [];
  if (filled > 0) {
    const share = filled / slots;
    notes.push(
      `${filled} of ${slots} points (${(share * 100).toFixed(1)} %) were missing or NaN and were linearly interpolated` +
        (share > 0.2 ? '; with so many gaps the forecast and its intervals are less trustworthy' : ''),
    );
  }
  return { start, step, values, filled, notes };
}

/**
 * Points per season when none is given: the daily rhythm (a day's worth of points) for sub-daily
 * spacing that divides a day, a week (7) for daily spacing, otherwise none (1).
 */
export function inferPeriod(step: number): { period: number; note: string } {
  if (step > 0 && step < DAY) {
    const perDay = DAY / step;
    const rounded = Math.round(perDay);
    if (rounded >= 2 && Math.abs(perDay - rounded) < 1e-6 * perDay) {
      return { period: rounded, note: `season inferred as one day = ${rounded} points at ${step} s spacing` };
    }
  }
  if (Math.abs(step - DAY) < 1) return { period: 7, note: 'daily spacing: season inferred as one week = 7 points' };
  return { period: 1, note: `spacing of ${step} s does not divide a day: no seasonality assumed` };
}
