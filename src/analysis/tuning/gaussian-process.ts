import { AppError } from '../../errors.ts';
import { cholesky, choleskySolve, solveLower } from './cholesky.ts';

/** Kernel hyperparameters; features are expected in [0, 1]. */
export interface GpHyperparameters {
  /** One length scale per feature group (a knob: its one-hot features share one). */
  lengthScales: number[];
  /** Observation noise variance relative to the signal variance. */
  noiseRatio: number;
}

export interface GpOptions {
  /** Group of each feature; default: each feature its own group. */
  featureGroups?: readonly number[];
  /** Extra noise ratio per observation, e.g. for values that only stand in for a failure. */
  extraNoise?: readonly number[];
  /** Use these instead of fitting them. */
  hyperparameters?: GpHyperparameters;
}

export interface GpPrediction {
  mean: number;
  /** Variance of the latent function (without observation noise). */
  variance: number;
}

/** Candidate length scales: from "only neighbours correlate" to "nearly linear across the whole range". */
export const LENGTH_SCALE_GRID = [0.1, 0.2, 0.35, 0.6, 1, 1.7, 3] as const;
/** Candidate noise ratios: interpolation for deterministic objectives up to clearly noisy measurements. */
export const NOISE_RATIO_GRID = [1e-6, 1e-3, 0.01, 0.05, 0.2] as const;
/** Coordinate-ascent passes over the per-knob length scales after the isotropic grid search. */
const ARD_PASSES = 2;

/** Matérn 5/2 correlation at scaled distance r: smooth but less so than RBF, the usual choice for tuning. */
export function matern52(r: number): number {
  const s = Math.sqrt(5) * r;
  return (1 + s + (s * s) / 3) * Math.exp(-s);
}

interface Fit {
  hyperparameters: GpHyperparameters;
  lower: number[][];
  alpha: number[];
  signalVariance: number;
  logMarginalLikelihood: number;
}

/**
 * A Gaussian-process regression on standardised values with a Matérn 5/2 kernel. Hyperparameters
 * maximise the log marginal likelihood over a small grid: one shared length scale and a noise
 * ratio first, then each knob's own length scale by coordinate ascent. The signal variance has a
 * closed form for fixed length scales and noise ratio, so it is profiled out.
 */
export class GaussianProcess {
  readonly hyperparameters: GpHyperparameters;
  readonly logMarginalLikelihood: number;

  private constructor(
    private readonly features: readonly (readonly number[])[],
    private readonly center: number,
    private readonly scale: number,
    private readonly groups: readonly number[],
    private readonly fitted: Fit,
  ) {
    this.hyperparameters = fitted.hyperparameters;
    this.logMarginalLikelihood = fitted.logMarginalLikelihood;
  }

  static fit(features: readonly (readonly number[])[], values: readonly number[], options: GpOptions = {}): GaussianProcess {
    if (features.length === 0 || features.length !== values.length) {
      throw new AppError(
        'gaussian_process_input_invalid',
        `a Gaussian process needs at least one point and as many feature vectors as values (got ${features.length} and ${values.length})`,
      );
    }
    const dimensions = (features[0] as readonly number[]).length;
    const groups = options.featureGroups ?? Array.from({ length: dimensions }, (_, i) => i);
    const groupCount = Math.max(...groups, -1) + 1;
    if (options.hyperparameters && options.hyperparameters.lengthScales.length !== groupCount) {
      throw new AppError(
        'gaussian_process_input_invalid',
        `${options.hyperparameters.lengthScales.length} length scales given for ${groupCount} feature groups`,
      );
    }
    const center = values.reduce((sum, v) => sum + v, 0) / values.length;
    const spread = Math.sqrt(values.reduce((sum, v) => sum + (v - center) ** 2, 0) / values.length);
    const scale = spread > 0 ? spread : 1;
    const standardised = values.map((v) => (v - center) / scale);
    const distances = groupDistances(features, groups, groupCount);
    const evaluate = (hyperparameters: GpHyperparameters) =>
      fitWith(distances, standardised, hyperparameters, spread > 0, options.extraNoise);

    let best = options.hyperparameters ? evaluate(options.hyperparameters) : undefined;
    if (!options.hyperparameters) {
      const consider = (hyperparameters: GpHyperparameters) => {
        const candidate = evaluate(hyperparameters);
        if (candidate && (!best || candidate.logMarginalLikelihood > best.logMarginalLikelihood)) best = candidate;
      };
      for (const lengthScale of LENGTH_SCALE_GRID) {
        for (const noiseRatio of NOISE_RATIO_GRID)
          consider({ lengthScales: new Array(groupCount).fill(lengthScale), noiseRatio });
      }
      for (let pass = 0; pass < ARD_PASSES && best && groupCount > 1; pass++) {
        for (let group = 0; group < groupCount; group++) {
          const current = best.hyperparameters;
          for (const lengthScale of LENGTH_SCALE_GRID) {
            const lengthScales = [...current.lengthScales];
            lengthScales[group] = lengthScale;
            consider({ lengthScales, noiseRatio: current.noiseRatio });
          }
        }
        const current = best.hyperparameters;
        for (const noiseRatio of NOISE_RATIO_GRID) consider({ lengthScales: current.lengthScales, noiseRatio });
      }
    }
    if (!best) {
      throw new AppError('gaussian_process_failed', 'the kernel matrix is not positive definite for any hyperparameters tried');
    }
    return new GaussianProcess(features, center, scale, groups, best);
  }

  /** Posterior mean and variance of the function at `x`, in the units of the fitted values. */
  predict(x: readonly number[]): GpPrediction {
    const { lengthScales } = this.fitted.hyperparameters;
    const correlations = this.features.map((row) => matern52(scaledDistance(x, row, this.groups, lengthScales)));
    let mean = 0;
    for (let i = 0; i < correlations.length; i++) mean += (correlations[i] as number) * (this.fitted.alpha[i] as number);
    const v = solveLower(this.fitted.lower, correlations);
    const explained = v.reduce((sum, value) => sum + value * value, 0);
    const variance = Math.max(0, this.fitted.signalVariance * (1 - explained));
    return { mean: this.center + this.scale * mean, variance: this.scale * this.scale * variance };
  }
}

/** Squared feature differences summed within each group, for every pair of points. */
function groupDistances(features: readonly (readonly number[])[], groups: readonly number[], groupCount: number): number[][][] {
  const n = features.length;
  const distances = Array.from({ length: groupCount }, () => Array.from({ length: n }, () => new Array<number>(n).fill(0)));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const a = features[i] as readonly number[];
      const b = features[j] as readonly number[];
      for (let f = 0; f < a.length; f++) {
        const matrix = distances[groups[f] as number] as number[][];
        const d = ((a[f] as number) - (b[f] as number)) ** 2;
        (matrix[i] as number[])[j] = ((matrix[i] as number[])[j] as number) + d;
        (matrix[j] as number[])[i] = ((matrix[j] as number[])[i] as number) + d;
      }
    }
  }
  return distances;
}

function scaledDistance(a: readonly number[], b: readonly number[], groups: readonly number[], lengthScales: readonly number[]) {
  let sum = 0;
  for (let f = 0; f < a.length; f++) {
    const lengthScale = lengthScales[groups[f] as number] as number;
    sum += (((a[f] as number) - (b[f] as number)) / lengthScale) ** 2;
  }
  return Math.sqrt(sum);
}

function fitWith(
  distances: readonly (readonly (readonly number[])[])[],
  values: readonly number[],
  hyperparameters: GpHyperparameters,
  varies: boolean,
  extraNoise: readonly number[] | undefined,
): Fit | undefined {
  const n = values.length;
  const { lengthScales, noiseRatio } = hyperparameters;
  const kernel: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(n);
    for (let j = 0; j < n; j++) {
      let r2 = 0;
      for (let g = 0; g < distances.length; g++) {
        const lengthScale = lengthScales[g] as number;
        r2 +=
          (((distances[g] as readonly (readonly number[])[])[i] as readonly number[])[j] as number) / (lengthScale * lengthScale);
      }
      row[j] = matern52(Math.sqrt(r2)) + (i === j ? noiseRatio + (extraNoise?.[i] ?? 0) : 0);
    }
    kernel.push(row);
  }
  const lower = cholesky(kernel);
  if (!lower) return undefined;
  const alpha = choleskySolve(lower, values);
  const quadratic = values.reduce((sum, value, i) => sum + value * (alpha[i] as number), 0);
  // Profiled signal variance; with constant values there is nothing to estimate, so keep the prior scale.
  const signalVariance = varies ? Math.max(quadratic / n, 1e-12) : 1;
  let logDeterminant = 0;
  for (let i = 0; i < n; i++) logDeterminant += 2 * Math.log((lower[i] as number[])[i] as number);
  const logMarginalLikelihood =
    -0.5 * n * Math.log(2 * Math.PI * signalVariance) - 0.5 * logDeterminant - quadratic / (2 * signalVariance);
  return { hyperparameters, lower, alpha, signalVariance, logMarginalLikelihood };
}
