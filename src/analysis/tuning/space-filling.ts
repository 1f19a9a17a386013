import type { Random } from '../../random/seeded-random.ts';
import type { Config, SearchSpace } from './search-space.ts';

/** Random candidates drawn per pick: enough to spread out, few enough not to march to the grid's corners. */
const CANDIDATES_PER_PICK = 16;

/**
 * A maximin random design, one point at a time: of a few random candidates, the one farthest
 * (in encoded features) from every config already chosen.
 */
export function pickSpreadOut(space: SearchSpace, candidates: readonly Config[], chosen: readonly Config[], random: Random) {
  if (candidates.length === 0) return undefined;
  const draw = () => candidates[Math.floor(random.next() * candidates.length)] as Config;
  if (chosen.length === 0) return draw();
  const chosenFeatures = chosen.map((config) => space.encode(config));
  let best: Config | undefined;
  let bestDistance = -1;
  for (let i = 0; i < Math.min(CANDIDATES_PER_PICK, candidates.length); i++) {
    const candidate = draw();
    const features = space.encode(candidate);
    const nearest = Math.min(...chosenFeatures.map((other) => squaredDistance(features, other)));
    if (nearest > bestDistance) {
      best = candidate;
      bestDistance = nearest;
    }
  }
  return best;
}

export function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return sum;
}
