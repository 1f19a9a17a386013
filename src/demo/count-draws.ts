import type { Random } from '../random/seeded-random.ts';

/** Binomial(n, p): exact by waiting times while the expected count is small, a rounded normal draw when it is large. */
export function binomial(random: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(random, n, 1 - p);
  if (n * p < 16) {
    // Skips between successes are geometric: O(n·p) draws instead of n.
    const logQ = Math.log1p(-p);
    let successes = 0;
    let position = 0;
    for (;;) {
      position += Math.floor(Math.log(1 - random.next()) / logQ) + 1;
      if (position > n) return successes;
      successes++;
    }
  }
  const draw = Math.round(n * p + Math.sqrt(n * p * (1 - p)) * random.normal());
  return Math.min(n, Math.max(0, draw));
}

/** Splits `n` draws over categories with the given probabilities (summing to 1) by successive binomial splits. */
export function multinomial(random: Random, n: number, probability: ArrayLike<number>, into: Float64Array): void {
  const last = probability.length - 1;
  let remaining = n;
  let mass = 1;
  for (let i = 0; i < last && remaining > 0; i++) {
    const p = probability[i] as number;
    const x = p >= mass ? remaining : binomial(random, remaining, p / mass);
    into[i] = (into[i] as number) + x;
    remaining -= x;
    mass -= p;
  }
  if (remaining > 0) into[last] = (into[last] as number) + remaining;
}

/** Index of a draw from a cumulative distribution (last entry 1) by bisection. */
export function drawIndex(random: Random, cumulative: ArrayLike<number>): number {
  const u = random.next() * (cumulative[cumulative.length - 1] as number);
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((cumulative[mid] as number) > u) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Time until the `k`-th event of a Poisson process of the given rate (a gamma draw; normal when k is large). */
export function erlang(random: Random, k: number, rate: number): number {
  if (k <= 0) return 0;
  if (k > 30) return Math.max(0, (k + Math.sqrt(k) * random.normal()) / rate);
  let total = 0;
  for (let i = 0; i < k; i++) total += random.exponential(rate);
  return total;
}

/** Gamma(shape, 1) by Marsaglia and Tsang (boosted below shape 1). */
export function gamma(random: Random, shape: number): number {
  if (shape < 1) return gamma(random, shape + 1) * Math.max(random.next(), 1e-300) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = random.normal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = random.next();
    if (Math.log(Math.max(u, 1e-300)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}
