/**
 * SARIMA(p,0,0)(0,1,0)_m with drift — an AR(p) with intercept on the seasonal difference
 * w_t = y_t − y_{t−m} — and ARIMA(p,1,0) with drift, its non-seasonal sibling (lag 1). The AR part is
 * fitted by conditional least squares for p = 0…maxP on a common sample and p is picked by AICc;
 * intervals come from the psi-weights of the full (differenced) model, σ²·Σ_{j<h} ψ_j².
 */
import { gaussianBand, solveLinear } from './stats.ts';
import type { Candidate, FittedModel } from './types.ts';

const MAX_P = 5;

interface ArFit {
  p: number;
  intercept: number;
  phi: number[];
  sigma2: number;
  aicc: number;
}

/** Least-squares AR(p) with intercept on w, using targets from index `from` so every p sees the same sample. */
function fitAr(w: readonly number[], p: number, from: number): ArFit | undefined {
  const k = p + 1;
  const xtx = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const xty = new Array<number>(k).fill(0);
  const row = new Array<number>(k).fill(0);
  for (let t = from; t < w.length; t++) {
    row[0] = 1;
    for (let i = 1; i <= p; i++) row[i] = w[t - i] as number;
    const y = w[t] as number;
    for (let a = 0; a < k; a++) {
      xty[a] = (xty[a] as number) + (row[a] as number) * y;
      const line = xtx[a] as number[];
      for (let b = 0; b < k; b++) line[b] = (line[b] as number) + (row[a] as number) * (row[b] as number);
    }
  }
  const beta = solveLinear(xtx, xty);
  if (!beta) return undefined;
  const intercept = beta[0] as number;
  const phi = beta.slice(1);
  if (!isStationary(phi)) return undefined;
  let sse = 0;
  for (let t = from; t < w.length; t++) {
    let fitted = intercept;
    for (let i = 1; i <= p; i++) fitted += (phi[i - 1] as number) * (w[t - i] as number);
    sse += ((w[t] as number) - fitted) ** 2;
  }
  const n = w.length - from;
  const params = k + 1; // AR coefficients, intercept, innovation variance
  if (n - params - 1 <= 0) return undefined;
  const sigma2 = sse / Math.max(1, n - k);
  const aicc = n * Math.log(Math.max(sse, 1e-300) / n) + 2 * params + (2 * params * (params + 1)) / (n - params - 1);
  return { p, intercept, phi, sigma2, aicc };
}

/** Stationarity check via the Schur-Cohn / Levinson step-down recursion: every partial autocorrelation inside (−1, 1). */
export function isStationary(phi: readonly number[]): boolean {
  let a = [...phi];
  for (let k = a.length; k >= 1; k--) {
    const r = a[k - 1] as number;
    if (!(Math.abs(r) < 1)) return false;
    const next: number[] = [];
    for (let i = 0; i < k - 1; i++) next.push(((a[i] as number) + r * (a[k - 2 - i] as number)) / (1 - r * r));
    a = next;
  }
  return true;
}

/** psi-weights of φ(B)(1 − B^d) inverted: the MA(∞) form that gives h-step forecast error variances. */
function psiWeights(phi: readonly number[], lag: number, horizon: number): number[] {
  // Full AR polynomial Φ*(B) = φ(B)(1 − B^lag), written as y_t = Σ coef_i y_{t−i} + e_t.
  const coef = new Array<number>(phi.length + lag + 1).fill(0);
  coef[lag] = 1;
  phi.forEach((f, i) => {
    coef[i + 1] = (coef[i + 1] as number) + f;
    coef[i + 1 + lag] = (coef[i + 1 + lag] as number) - f;
  });
  const psi = [1];
  for (let j = 1; j < horizon; j++) {
    let s = 0;
    for (let i = 1; i <= Math.min(j, coef.length - 1); i++) s += (coef[i] as number) * (psi[j - i] as number);
    psi.push(s);
  }
  return psi;
}

/** Fits the differenced AR model at lag `lag` (m for seasonal, 1 for plain ARIMA); undefined when too short. */
export function fitDifferencedAr(values: readonly number[], lag: number): FittedModel | undefined {
  const w = values.slice(lag).map((v, i) => v - (values[i] as number));
  const maxP = Math.min(MAX_P, Math.floor((w.length - 4) / 4));
  if (maxP < 0) return undefined;
  let best: ArFit | undefined;
  for (let p = 0; p <= maxP; p++) {
    const fit = fitAr(w, p, maxP);
    if (fit && (!best || fit.aicc < best.aicc)) best = fit;
  }
  if (!best) return undefined;
  const chosen = best;
  const name = lag > 1 ? 'sarima' : 'arima';
  const order = lag > 1 ? `(${chosen.p},0,0)(0,1,0)[${lag}]` : `(${chosen.p},1,0)`;
  const description =
    `${name.toUpperCase()}${order} with drift: intercept=${chosen.intercept.toPrecision(3)}` +
    (chosen.p ? ` ar=[${chosen.phi.map((f) => f.toFixed(3)).join(', ')}]` : '') +
    ` sigma=${Math.sqrt(chosen.sigma2).toPrecision(3)}`;
  return {
    name,
    description,
    forecast: (horizon) => {
      const wExt = [...w];
      const yExt = [...values];
      for (let h = 0; h < horizon; h++) {
        let next = chosen.intercept;
        chosen.phi.forEach((f, i) => {
          next += f * (wExt[wExt.length - 1 - i] as number);
        });
        wExt.push(next);
        yExt.push(next + (yExt[yExt.length - lag] as number));
      }
      const psi = psiWeights(chosen.phi, lag, horizon);
      let acc = 0;
      const sds = psi.map((q) => {
        acc += q * q;
        return Math.sqrt(chosen.sigma2 * acc);
      });
      return gaussianBand(yExt.slice(values.length), sds);
    },
  };
}

export function sarimaCandidate(period: number): Candidate {
  return {
    id: 'sarima',
    // Two seasons, so the seasonal difference has at least a season of its own to fit on.
    minLength: Math.max(2 * period, period + 24),
    fit: (values) => {
      const fitted = fitDifferencedAr(values, period);
      if (!fitted) throw new Error('sarima cannot be fitted to this series');
      return fitted;
    },
  };
}

export function arimaCandidate(): Candidate {
  return {
    id: 'arima',
    minLength: 12,
    fit: (values) => {
      const fitted = fitDifferencedAr(values, 1);
      if (!fitted) throw new Error('arima cannot be fitted to this series');
      return fitted;
    },
  };
}
