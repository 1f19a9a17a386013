/**
 * Holt-Winters (triple exponential smoothing) in the error-correction form of Hyndman et al.,
 * "Forecasting with Exponential Smoothing" (2008): ETS(A,A,A), ETS(A,Ad,A), ETS(M,A,M), ETS(M,Ad,M),
 * and Holt's linear trend (no season) for series too short for one. Parameters minimise the
 * in-sample one-step SSE; prediction intervals are the closed form for additive errors and a
 * seeded simulation for multiplicative ones, because the latter has no simple closed form.
 */
import { minimiseOnUnitBox } from './optimise.ts';
import { gaussianBand, mean, normalSampler, seededRandom, sortedQuantile } from './stats.ts';
import type { Band, Candidate, FittedModel } from './types.ts';

export type Seasonality = 'additive' | 'multiplicative' | 'none';

export interface HoltWintersOptions {
  seasonality: Seasonality;
  /** Points per season; ignored for `none`. */
  period: number;
  damped: boolean;
}

/** Smoothing parameters in error-correction form: 0 < alpha < 1, 0 ≤ beta ≤ alpha, 0 ≤ gamma ≤ 1 − alpha, 0.8 ≤ phi ≤ 0.98. */
export interface HoltWintersParams {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

interface State {
  level: number;
  trend: number;
  /** seasonal[i] is the index for the next time t with t ≡ i (mod period). */
  seasonal: Float64Array;
}

const SIMULATED_PATHS = 2000;

/** Starting level, trend and seasonal indices from the first two seasons (or first points when there is no season). */
export function initialState(values: readonly number[], options: HoltWintersOptions): State | undefined {
  const { seasonality } = options;
  if (seasonality === 'none') {
    const k = Math.min(values.length, 10);
    const xs = Array.from({ length: k }, (_, i) => i);
    const ys = values.slice(0, k);
    const mx = mean(xs);
    const my = mean(ys);
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < k; i++) {
      sxy += (i - mx) * ((ys[i] as number) - my);
      sxx += (i - mx) ** 2;
    }
    const trend = sxx > 0 ? sxy / sxx : 0;
    return { level: my - trend * (mx + 1), trend, seasonal: new Float64Array(1) };
  }
  const m = options.period;
  if (values.length < 2 * m) return undefined;
  const mean1 = mean(values.slice(0, m));
  const mean2 = mean(values.slice(m, 2 * m));
  const trend = (mean2 - mean1) / m;
  const line = (t: number): number => mean1 + trend * (t - (m - 1) / 2);
  const seasonal = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const a = values[i] as number;
    const b = values[m + i] as number;
    if (seasonality === 'additive') seasonal[i] = (a - line(i) + b - line(m + i)) / 2;
    else {
      if (line(i) <= 0 || line(m + i) <= 0) return undefined;
      seasonal[i] = (a / line(i) + b / line(m + i)) / 2;
    }
  }
  const centre = mean(Array.from(seasonal));
  for (let i = 0; i < m; i++) {
    seasonal[i] = seasonality === 'additive' ? (seasonal[i] as number) - centre : (seasonal[i] as number) / centre;
  }
  return { level: line(-1), trend, seasonal };
}

/**
 * Runs the filter over `values` from `start` and returns the one-step squared errors' sum, the sum of
 * squared relative errors (the multiplicative model's error scale), and the final state. A state that
 * leaves the model's domain (non-positive level × season in a multiplicative model) gives Infinity.
 */
function filter(
  values: readonly number[],
  options: HoltWintersOptions,
  params: HoltWintersParams,
  start: State,
): { sse: number; relativeSse: number; state: State } {
  const { alpha, beta, gamma, phi } = params;
  const m = options.seasonality === 'none' ? 1 : options.period;
  const additive = options.seasonality !== 'multiplicative';
  const seasonal = new Float64Array(start.seasonal);
  const hasSeason = options.seasonality !== 'none';
  let level = start.level;
  let trend = start.trend;
  let sse = 0;
  let relativeSse = 0;
  for (let t = 0; t < values.length; t++) {
    const y = values[t] as number;
    const slot = t % m;
    const s = hasSeason ? (seasonal[slot] as number) : additive ? 0 : 1;
    const base = level + phi * trend;
    if (additive) {
      const e = y - base - s;
      sse += e * e;
      relativeSse += e * e;
      level = base + alpha * e;
      trend = phi * trend + beta * e;
      if (hasSeason) seasonal[slot] = s + gamma * e;
    } else {
      const mu = base * s;
      if (!(mu > 0)) return { sse: Number.POSITIVE_INFINITY, relativeSse: Number.POSITIVE_INFINITY, state: start };
      const e = (y - mu) / mu;
      sse += (y - mu) ** 2;
      relativeSse += e * e;
      level = base * (1 + alpha * e);
      trend = phi * trend + beta * base * e;
      seasonal[slot] = s * (1 + gamma * e);
    }
  }
  // Rotate so seasonal[i] serves the (n + i)-th point, i.e. forecasts index it from 0.
  const rotated = new Float64Array(seasonal.length);
  for (let i = 0; i < seasonal.length; i++) rotated[i] = seasonal[(values.length + i) % seasonal.length] as number;
  return { sse, relativeSse, state: { level, trend, seasonal: rotated } };
}

function paramsFrom(u: readonly number[], options: HoltWintersOptions): HoltWintersParams {
  const alpha = 0.0001 + 0.9998 * (u[0] as number);
  return {
    alpha,
    beta: alpha * (u[1] as number),
    gamma: options.seasonality === 'none' ? 0 : (1 - alpha) * (u[2] as number),
    phi: options.damped ? 0.8 + 0.18 * (u[3] as number) : 1,
  };
}

/** Fits the smoothing parameters by minimising in-sample one-step SSE; undefined when the series is too short or out of the model's domain. */
export function fitHoltWinters(values: readonly number[], options: HoltWintersOptions): FittedModel | undefined {
  const start = initialState(values, options);
  if (!start) return undefined;
  const grid: number[][] = [
    [0.05, 0.2, 0.4, 0.6, 0.85],
    [0.01, 0.1, 0.3],
    options.seasonality === 'none' ? [0] : [0.01, 0.1, 0.3, 0.6],
    options.damped ? [0.3, 0.9] : [0],
  ];
  const { x, value } = minimiseOnUnitBox((u) => filter(values, options, paramsFrom(u, options), start).sse, grid);
  if (!Number.isFinite(value)) return undefined;
  const params = paramsFrom(x, options);
  const run = filter(values, options, params, start);
  const m = options.seasonality === 'none' ? 0 : options.period;
  // Degrees of freedom: smoothing parameters plus initial level, trend and m − 1 free seasonal indices.
  const k = 2 + (options.damped ? 1 : 0) + (m ? 1 : 0) + 2 + Math.max(0, m - 1);
  const dof = values.length - k > 0 ? values.length - k : values.length;
  const sigma2 = (options.seasonality === 'multiplicative' ? run.relativeSse : run.sse) / dof;
  const name = holtWintersName(options);
  const description =
    `alpha=${params.alpha.toFixed(3)} beta=${params.beta.toFixed(3)}` +
    (m ? ` gamma=${params.gamma.toFixed(3)}` : '') +
    (options.damped ? ` phi=${params.phi.toFixed(3)}` : '') +
    ` sigma=${Math.sqrt(sigma2).toPrecision(3)}${options.seasonality === 'multiplicative' ? ' (relative)' : ''}`;
  return {
    name,
    description,
    forecast: (horizon) =>
      options.seasonality === 'multiplicative'
        ? simulateMultiplicative(run.state, params, sigma2, horizon)
        : additiveBand(run.state, params, sigma2, horizon, m),
  };
}

function pointForecast(state: State, params: HoltWintersParams, horizon: number, multiplicative: boolean): number[] {
  const out: number[] = [];
  let damp = 0;
  for (let h = 1; h <= horizon; h++) {
    damp += params.phi ** h;
    const s = state.seasonal.length > 1 || multiplicative ? (state.seasonal[(h - 1) % state.seasonal.length] as number) : 0;
    const base = state.level + damp * state.trend;
    out.push(multiplicative ? base * s : base + s);
  }
  return out;
}

/** ETS(A,Ad,A) h-step variance: σ²[1 + Σ_{j<h} (α + βφ_j + γ·[j ≡ 0 mod m])²], φ_j = φ + … + φ^j. */
function additiveBand(state: State, params: HoltWintersParams, sigma2: number, horizon: number, m: number): Band {
  const means = pointForecast(state, params, horizon, false);
  const sds: number[] = [];
  let acc = 1;
  let phiJ = 0;
  for (let h = 1; h <= horizon; h++) {
    sds.push(Math.sqrt(sigma2 * acc));
    const j = h;
    phiJ += params.phi ** j;
    const c = params.alpha + params.beta * phiJ + (m && j % m === 0 ? params.gamma : 0);
    acc += c * c;
  }
  return gaussianBand(means, sds);
}

/** ETS(M,Ad,M) intervals by simulating future paths with Gaussian relative errors (Hyndman et al. 2008, §6.4). */
function simulateMultiplicative(state: State, params: HoltWintersParams, sigma2: number, horizon: number): Band {
  const means = pointForecast(state, params, horizon, true);
  const sigma = Math.sqrt(sigma2);
  const draw = normalSampler(seededRandom(0x5eed));
  const m = state.seasonal.length;
  const paths: Float64Array[] = Array.from({ length: horizon }, () => new Float64Array(SIMULATED_PATHS));
  const seasonal = new Float64Array(m);
  for (let p = 0; p < SIMULATED_PATHS; p++) {
    seasonal.set(state.seasonal);
    let level = state.level;
    let trend = state.trend;
    for (let h = 0; h < horizon; h++) {
      const slot = h % m;
      const s = seasonal[slot] as number;
      const base = level + params.phi * trend;
      const e = sigma * draw();
      (paths[h] as Float64Array)[p] = base * s * (1 + e);
      level = base * (1 + params.alpha * e);
      trend = params.phi * trend + params.beta * base * e;
      seasonal[slot] = s * (1 + params.gamma * e);
    }
  }
  const band: Band = { mean: means, lo80: [], hi80: [], lo95: [], hi95: [] };
  for (const column of paths) {
    const sorted = Array.from(column).sort((a, b) => a - b);
    band.lo95.push(sortedQuantile(sorted, 0.025));
    band.lo80.push(sortedQuantile(sorted, 0.1));
    band.hi80.push(sortedQuantile(sorted, 0.9));
    band.hi95.push(sortedQuantile(sorted, 0.975));
  }
  return band;
}

export function holtWintersName(options: HoltWintersOptions): string {
  const base = options.seasonality === 'none' ? 'holt' : `holt-winters-${options.seasonality}`;
  return options.damped ? `${base}-damped` : base;
}

/** A back-test candidate for one Holt-Winters variant. */
export function holtWintersCandidate(options: HoltWintersOptions): Candidate {
  const id = holtWintersName(options);
  return {
    id,
    minLength: options.seasonality === 'none' ? 4 : 2 * options.period + 2,
    fit: (values) => {
      const fitted = fitHoltWinters(values, options);
      if (!fitted) throw new Error(`${id} cannot be fitted to this series`);
      return fitted;
    },
  };
}
