import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  chooseModel,
  fitDifferencedAr,
  fitHoltWinters,
  fitSeasonalNaive,
  forecast,
  inferPeriod,
  mase,
} from '../src/analysis/forecast/index.ts';
import { normalSampler, seededRandom } from '../src/analysis/forecast/stats.ts';
import { forecastCsv, formatTimestamp, parseTimestamp } from '../src/cli/forecast-command.ts';
import { AppError } from '../src/errors.ts';

const HOUR = 3600;
const START = Date.UTC(2014, 3, 1) / 1000; // 2014-04-01 00:00:00 UTC

/** Hourly series (daily period 24): level + trend·t with an additive or multiplicative daily shape and Gaussian noise. */
function synthetic(kind: 'additive' | 'multiplicative', points: number, seed: number, noise: number): number[] {
  const draw = normalSampler(seededRandom(seed));
  return Array.from({ length: points }, (_, t) => {
    const shape = Math.sin((2 * Math.PI * t) / 24) + 0.5 * Math.cos((4 * Math.PI * t) / 24);
    return kind === 'additive'
      ? 100 + 0.15 * t + 20 * shape + noise * draw()
      : (100 + 0.3 * t) * (1 + 0.3 * shape) * (1 + noise * draw());
  });
}

const timed = (values: readonly number[]) => values.map((v, i) => ({ t: START + i * HOUR, v }));

/** Forecasts the last `horizon` points from the rest and scores the chosen model against seasonal naive. */
function holdOut(values: readonly number[], horizon: number) {
  const training = values.slice(0, -horizon);
  const actual = values.slice(-horizon);
  const result = forecast(timed(training), { horizonPoints: horizon });
  const chosen = mase(
    training,
    actual,
    result.points.map((p) => p.mean),
    24,
  );
  const naive = mase(training, actual, fitSeasonalNaive(training, 24).forecast(horizon).mean, 24);
  return { result, actual, chosen, naive };
}

describe('forecast: model choice beats the seasonal-naive benchmark on held-out data', () => {
  it('additive daily season with trend and noise', () => {
    const { result, chosen, naive } = holdOut(synthetic('additive', 24 * 21 + 48, 11, 3), 48);
    expect(result.period).toBe(24);
    expect(result.notes.join(' ')).toMatch(/one day = 24 points/);
    expect(chosen).toBeLessThan(naive);
    expect(chosen).toBeLessThan(0.8 * naive);
    expect(result.backtest.map((b) => b.model)).toEqual(
      expect.arrayContaining(['holt-winters-additive', 'holt-winters-multiplicative', 'sarima', 'seasonal-naive', 'naive']),
    );
    expect(result.backtest[0]?.model).toBe(result.model);
  });

  it('multiplicative daily season (amplitude grows with the level)', () => {
    const { result, chosen, naive } = holdOut(synthetic('multiplicative', 24 * 21 + 48, 5, 0.03), 48);
    expect(chosen).toBeLessThan(naive);
    expect(chosen).toBeLessThan(0.8 * naive);
    expect(result.model).not.toMatch(/naive/);
  });
});

describe('Holt-Winters', () => {
  it('recovers a known additive pattern with a linear trend exactly', () => {
    const shape = [3, 1, -2, 5, 0, -7];
    const series = Array.from({ length: 6 * 20 + 30 }, (_, t) => 10 + 0.5 * t + (shape[t % 6] as number));
    const fitted = fitHoltWinters(series.slice(0, 120), { seasonality: 'additive', period: 6, damped: false });
    const band = fitted?.forecast(30);
    band?.mean.forEach((m, i) => {
      expect(m).toBeCloseTo(series[120 + i] as number, 6);
    });
    // No noise in sample, so no width to the intervals either.
    expect((band?.hi95[29] ?? 1) - (band?.lo95[29] ?? 0)).toBeLessThan(1e-6);
  });

  it('recovers a known multiplicative pattern to within 0.1 %', () => {
    const shape = [0.6, 0.8, 1.0, 1.3, 1.5, 1.2, 0.9, 0.7];
    const series = Array.from({ length: 8 * 10 + 24 }, (_, t) => (200 + 2 * t) * (shape[t % 8] as number));
    const fitted = fitHoltWinters(series.slice(0, 80), { seasonality: 'multiplicative', period: 8, damped: false });
    fitted?.forecast(24).mean.forEach((m, i) => {
      const actual = series[80 + i] as number;
      expect(Math.abs(m - actual) / actual).toBeLessThan(1e-3);
    });
  });

  it('is not fitted as multiplicative to a series with values ≤ 0, and forecast() says so', () => {
    const values = synthetic('additive', 24 * 10, 2, 3).map((v) => v - 120);
    expect(fitHoltWinters(values, { seasonality: 'multiplicative', period: 24, damped: false })).toBeUndefined();
    const result = forecast(timed(values), { horizonPoints: 24 });
    expect(result.backtest.some((b) => b.model.includes('multiplicative'))).toBe(false);
    expect(result.notes.join(' ')).toMatch(/multiplicative Holt-Winters skipped/);
  });
});

describe('SARIMA', () => {
  it('forecasts a noise-free seasonal pattern with drift exactly', () => {
    const shape = [4, -1, 2, 0, -5];
    const series = Array.from({ length: 60 }, (_, t) => 3 * t + (shape[t % 5] as number));
    const fitted = fitDifferencedAr(series.slice(0, 50), 5);
    expect(fitted?.description).toMatch(/SARIMA\(\d,0,0\)\(0,1,0\)\[5\] with drift/);
    fitted?.forecast(10).mean.forEach((m, i) => {
      expect(m).toBeCloseTo(series[50 + i] as number, 6);
    });
  });
});

describe('prediction intervals', () => {
  it('cover about the nominal share of held-out points on noisy series', () => {
    let in80 = 0;
    let in95 = 0;
    let total = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const kind = seed % 2 ? 'additive' : 'multiplicative';
      const { result, actual } = holdOut(synthetic(kind, 24 * 14 + 48, 100 + seed, kind === 'additive' ? 6 : 0.05), 48);
      actual.forEach((a, i) => {
        const p = result.points[i];
        if (!p) return;
        expect(p.lo95).toBeLessThanOrEqual(p.lo80);
        expect(p.lo80).toBeLessThanOrEqual(p.hi80);
        expect(p.hi80).toBeLessThanOrEqual(p.hi95);
        if (a >= p.lo80 && a <= p.hi80) in80++;
        if (a >= p.lo95 && a <= p.hi95) in95++;
        total++;
      });
    }
    expect(in95 / total).toBeGreaterThanOrEqual(0.85);
    expect(in80 / total).toBeGreaterThanOrEqual(0.65);
    expect(in80 / total).toBeLessThanOrEqual(0.95);
  });
});

describe('chooseModel', () => {
  it('reports every candidate’s back-test MASE, best first', () => {
    const choice = chooseModel(synthetic('additive', 24 * 14, 9, 3), 24, 24);
    expect(choice.origins.length).toBeGreaterThanOrEqual(4);
    expect(choice.evaluationHorizon).toBe(24);
    expect(choice.backtest.length).toBeGreaterThanOrEqual(8);
    for (const [i, score] of choice.backtest.entries()) {
      expect(Number.isFinite(score.mase)).toBe(true);
      if (i > 0) expect(score.mase).toBeGreaterThanOrEqual(choice.backtest[i - 1]?.mase ?? 0);
    }
    expect(choice.model).toBe(choice.backtest[0]?.model);
  });
});

describe('short, gappy and odd series', () => {
  it('falls back to non-seasonal models when the series is shorter than two seasons, and says so', () => {
    const values = synthetic('additive', 30, 4, 2);
    const result = forecast(timed(values), { horizonPoints: 12 });
    expect(result.points).toHaveLength(12);
    expect(result.model).not.toMatch(/holt-winters|sarima/);
    expect(result.notes.join(' ')).toMatch(/fewer than the 50 \(two seasons of 24\)/);
  });

  it('falls back to naive without a back-test when there is almost no history', () => {
    const result = forecast(timed([5, 6, 7]), { horizonPoints: 4, period: 1 });
    expect(result.model).toBe('naive');
    expect(result.backtest).toEqual([]);
    expect(result.notes.join(' ')).toMatch(/too short to back-test/);
    expect(result.points.map((p) => p.mean)).toEqual([7, 7, 7, 7]);
  });

  it('interpolates NaNs and missing timestamps, and continues at the median spacing', () => {
    const series = timed(synthetic('additive', 24 * 10, 8, 2)).filter((_, i) => i < 50 || i >= 55);
    const nan = series[100];
    if (nan) nan.v = Number.NaN;
    const result = forecast(series, { horizonPoints: 3 });
    expect(result.notes.join(' ')).toMatch(/6 of 240 points .* interpolated/);
    expect(result.points.map((p) => p.t)).toEqual([START + 240 * HOUR, START + 241 * HOUR, START + 242 * HOUR]);
    expect(result.points.every((p) => Number.isFinite(p.mean))).toBe(true);
  });

  it('infers a day for sub-daily spacing, a week for daily spacing, none otherwise', () => {
    expect(inferPeriod(300).period).toBe(288);
    expect(inferPeriod(86_400).period).toBe(7);
    expect(inferPeriod(7 * 3600).period).toBe(1);
  });

  it('keeps forecasts and intervals of a series that never goes below 0 at or above 0, and says so', () => {
    // A quiet deployment: requests per second near zero at night, noisy, with a downward trend.
    const draw = normalSampler(seededRandom(21));
    const values = Array.from({ length: 24 * 8 }, (_, t) =>
      Math.max(0, 0.4 - 0.0015 * t + 0.35 * Math.sin((2 * Math.PI * t) / 24) + 0.15 * draw()),
    );
    const result = forecast(timed(values), { horizonPoints: 48 });
    expect(result.points.every((p) => p.lo95 >= 0 && p.lo80 >= 0 && p.mean >= 0)).toBe(true);
    expect(result.points.some((p) => p.lo95 === 0)).toBe(true);
    expect(result.notes.join(' ')).toMatch(/raised to 0: the series never goes below 0/);
    // A series that does go negative (a temperature, a difference) keeps its negative forecasts.
    const signed = forecast(timed(values.map((v) => v - 1)), { horizonPoints: 48 });
    expect(signed.points.some((p) => p.lo95 < 0)).toBe(true);
  });

  it('rejects a bad horizon or period', () => {
    const series = timed([1, 2, 3, 4]);
    expect(() => forecast(series, { horizonPoints: 0 })).toThrow(AppError);
    expect(() => forecast(series, { horizonPoints: 2, period: 1.5 })).toThrow(/period must be a whole number/);
  });
});

function csvOf(values: readonly number[], spacing = HOUR): string {
  return `timestamp,value\n${values.map((v, i) => `${formatTimestamp(START + i * spacing)},${v}`).join('\n')}\n`;
}

async function runCsv(text: string, horizon: number): Promise<{ out: string; rows: number; model: string }> {
  const chunks: string[] = [];
  const output = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const { rows, model } = await forecastCsv(Readable.from([text]), output, { horizon });
  return { out: chunks.join(''), rows, model };
}

describe('forecastCsv', () => {
  it('writes timestamp,forecast,lo80,hi80,lo95,hi95 for the next points at the median spacing', async () => {
    const values = synthetic('additive', 24 * 7, 3, 2);
    const { out, rows, model } = await runCsv(csvOf(values), 5);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('timestamp,forecast,lo80,hi80,lo95,hi95');
    expect(rows).toBe(5);
    expect(lines).toHaveLength(6);
    expect(model).toMatch(/\w/);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual([
      '2014-04-08 00:00:00',
      '2014-04-08 01:00:00',
      '2014-04-08 02:00:00',
      '2014-04-08 03:00:00',
      '2014-04-08 04:00:00',
    ]);
    for (const line of lines.slice(1)) {
      const [, mean, lo80, hi80, lo95, hi95] = line.split(',').map(Number) as number[];
      expect(line).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(,-?[\d.e+-]+){5}$/);
      expect(lo95).toBeLessThanOrEqual(lo80 as number);
      expect(lo80).toBeLessThanOrEqual(mean as number);
      expect(mean).toBeLessThanOrEqual(hi80 as number);
      expect(hi80).toBeLessThanOrEqual(hi95 as number);
    }
  });

  it('accepts CRLF, no header, quoted fields and empty values as gaps', async () => {
    const text = csvOf(synthetic('additive', 48, 1, 1))
      .split('\n')
      .slice(1)
      .map((l, i) => (i === 10 ? `${l.split(',')[0]},` : i === 11 ? `"${l.split(',')[0]}","${l.split(',')[1]}"` : l))
      .join('\r\n');
    const { rows } = await runCsv(text, 2);
    expect(rows).toBe(2);
  });

  it('parses and formats UTC timestamps', () => {
    expect(parseTimestamp('2014-04-01 00:00:00')).toBe(START);
    expect(parseTimestamp('2014-02-30 00:00:00')).toBeUndefined();
    expect(formatTimestamp(START + 3600 * 25 + 61)).toBe('2014-04-02 01:01:01');
  });

  it.each([
    [
      'a bad timestamp',
      'timestamp,value\n2014-04-01 00:00:00,1\n01/04/2014 01:00,2\n',
      /line 3: expected .*"01\/04\/2014 01:00" is not such a timestamp/,
    ],
    [
      'a value that is not a number',
      'timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 01:00:00,lots\n',
      /line 3: .*"lots" is not a number/,
    ],
    [
      'a missing value column',
      '2014-04-01 00:00:00,1\n2014-04-01 01:00:00\n',
      /line 2: expected "timestamp,value".*got 1 fields/,
    ],
    ['extra columns', 'timestamp,value\n2014-04-01 00:00:00,1,2\n', /line 2: .*got 3 fields/],
    ['a first data line that is not data', 'abc,1\n', /line 1: .*"abc" is not such a timestamp/],
    ['no rows at all', 'timestamp,value\n\n', /no data rows/],
    ['too few values', 'timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 01:00:00,2\n', /2 finite values|3 or more/],
  ])('rejects %s with an AppError that names the line and what is expected', async (_name, text, message) => {
    const error = await runCsv(text, 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(message);
  });

  it('rejects a horizon that is not a whole positive number', async () => {
    await expect(runCsv(csvOf([1, 2, 3, 4]), 0)).rejects.toThrow(/horizon must be a whole number/);
  });
});
