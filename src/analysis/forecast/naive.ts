/**
 * The benchmarks every real model must beat: seasonal naive (repeat the last season) and naive
 * (repeat the last value). Intervals are the textbook closed forms for these random walks
 * (Hyndman & Athanasopoulos, FPP3 §5.5): σ·√(⌊(h−1)/m⌋+1), with σ from the in-sample lag-m residuals.
 */
import { gaussianBand } from './stats.ts';
import type { Candidate, FittedModel } from './types.ts';

/** Seasonal naive at lag `period`; with period 1 it is the plain naive (random walk) forecast. */
export function fitSeasonalNaive(values: readonly number[], period: number): FittedModel {
  const m = Math.max(1, period);
  if (values.length < m + 1) throw new Error(`naive at lag ${m} needs more than ${m} points`);
  let sse = 0;
  for (let t = m; t < values.length; t++) sse += ((values[t] as number) - (values[t - m] as number)) ** 2;
  const sigma2 = sse / (values.length - m);
  const lastSeason = values.slice(values.length - m);
  return {
    name: m > 1 ? 'seasonal-naive' : 'naive',
    description: `repeats the last ${m > 1 ? `season of ${m} points` : 'value'}; sigma=${Math.sqrt(sigma2).toPrecision(3)}`,
    forecast: (horizon) => {
      const means: number[] = [];
      const sds: number[] = [];
      for (let h = 1; h <= horizon; h++) {
        means.push(lastSeason[(h - 1) % m] as number);
        sds.push(Math.sqrt(sigma2 * (Math.floor((h - 1) / m) + 1)));
      }
      return gaussianBand(means, sds);
    },
  };
}

export function seasonalNaiveCandidate(period: number): Candidate {
  return {
    id: period > 1 ? 'seasonal-naive' : 'naive',
    minLength: period + 2,
    fit: (values) => fitSeasonalNaive(values, period),
  };
}
