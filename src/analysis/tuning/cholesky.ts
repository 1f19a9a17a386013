/** Dense symmetric positive-definite solves for small Gaussian-process systems (n ≲ a few hundred). */

/** Lower-triangular L with A = L·Lᵀ (rows of a square matrix), or undefined if A is not positive definite. */
export function cholesky(a: readonly (readonly number[])[]): number[][] | undefined {
  const n = a.length;
  const lower = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const row = lower[i] as number[];
    for (let j = 0; j <= i; j++) {
      const other = lower[j] as number[];
      let sum = (a[i] as readonly number[])[j] as number;
      for (let k = 0; k < j; k++) sum -= (row[k] as number) * (other[k] as number);
      if (i === j) {
        if (!(sum > 0)) return undefined;
        row[i] = Math.sqrt(sum);
      } else {
        row[j] = sum / (other[j] as number);
      }
    }
  }
  return lower;
}

/** Solves L·x = b by forward substitution. */
export function solveLower(lower: readonly (readonly number[])[], b: readonly number[]): number[] {
  const x = new Array<number>(b.length);
  for (let i = 0; i < b.length; i++) {
    const row = lower[i] as readonly number[];
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= (row[k] as number) * (x[k] as number);
    x[i] = sum / (row[i] as number);
  }
  return x;
}

/** Solves Lᵀ·x = b by back substitution. */
export function solveUpperTransposed(lower: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = b[i] as number;
    for (let k = i + 1; k < n; k++) sum -= ((lower[k] as readonly number[])[i] as number) * (x[k] as number);
    x[i] = sum / ((lower[i] as readonly number[])[i] as number);
  }
  return x;
}

/** Solves (L·Lᵀ)·x = b. */
export function choleskySolve(lower: readonly (readonly number[])[], b: readonly number[]): number[] {
  return solveUpperTransposed(lower, solveLower(lower, b));
}
