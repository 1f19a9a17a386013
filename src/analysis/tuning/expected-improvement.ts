import { normalCdf, normalPdf } from '../math/normal.ts';

// Still exported from here, where the tuning module and its tests have always found them.
export { normalCdf, normalPdf };

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
