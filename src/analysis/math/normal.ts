/**
 * The standard normal distribution, on the complementary error function of Numerical Recipes
 * (`erfcc`, a Chebyshev fit with fractional error < 1.2e-7 everywhere, also in the tails):
 * erfc(x) = t · exp(−x² + C0 + rest(t)) with t = 1 / (1 + x/2), for x ≥ 0.
 */

const C0 = -1.26551223;

/** The exponent's polynomial in t past its constant term C0. */
function rest(t: number): number {
  return (
    t *
    (1.00002368 +
      t *
        (0.37409196 +
          t *
            (0.09678418 +
              t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  );
}

/** −ln erfc(x) for x ≥ 0, kept in log space (no underflow even far in the tail). */
export function negLogErfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  return x * x - (C0 + rest(t)) - Math.log(t);
}

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Standard normal CDF P(Z ≤ z). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc = t * Math.exp(-x * x + C0 + rest(t));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}
