/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Standard normal CDF via the complementary error function (Numerical Recipes `erfcc`, relative error < 1.2e-7, also in the tails). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/**
 * Expected improvement over `incumbent` of a normal posterior (maximisation); `margin` asks for
 * improvements larger than it, nudging the search away from re-polishing the incumbent.
 */
export function expectedImprovement(mean: number, variance: number, incumbent: number, margin = 0): number {
  const gain = mean - incumbent - margin;
  const sd = Math.sqrt(variance);
  if (sd < 1e-12) return Math.max(gain, 0);
  const z = gain / sd;
  return gain * normalCdf(z) + sd * normalPdf(z);
}
