import type { Cluster } from './drain.ts';
import { PARAM, widenShape } from './tokens.ts';

/**
 * Merges clusters of one token count that agree everywhere except in one position, when that
 * position takes at least `minDistinct` distinct values among them: a position whose value changes
 * from cluster to cluster is a parameter even when its values are words (user, host, component
 * names), while two or three recurring words separate genuinely different events. Agreeing means
 * the same constant, or variable tokens of the same shape. The merged template must keep at least
 * as many constants as bare `<*>` parameters, so that messages made mostly of parameters (`<*> is
 * <*>`) are never lumped together.
 *
 * The surviving cluster (lowest id) gets `<*>` in the merged position, the union of the counts and
 * the widened template. Sweeps repeat until nothing merges, so merging one position can make
 * another mergeable. Returns `[mergedId, survivorId]` pairs in the order merged; deterministic.
 */
export function mergeVariablePositions(clusters: readonly Cluster[], minDistinct: number): [number, number][] {
  const merges: [number, number][] = [];
  const byLength = new Map<number, Cluster[]>();
  for (const cluster of [...clusters].sort((a, b) => a.id - b.id)) {
    const n = cluster.texts.length;
    const list = byLength.get(n);
    if (list) list.push(cluster);
    else byLength.set(n, [cluster]);
  }
  for (const [n, group] of byLength) {
    if (n < 2 || group.length < 2) continue;
    let live = group;
    for (let changed = true; changed; ) {
      changed = false;
      for (let p = 0; p < n && live.length > 1; p++) {
        const siblings = new Map<string, Cluster[]>();
        for (const cluster of live) {
          const key = keyWithout(cluster, p);
          if (key === undefined) continue;
          const list = siblings.get(key);
          if (list) list.push(cluster);
          else siblings.set(key, [cluster]);
        }
        const gone = new Set<number>();
        for (const list of siblings.values()) {
          if (list.length < 2) continue;
          if (distinctValues(list, p) < minDistinct) continue;
          const [survivor, ...rest] = list as [Cluster, ...Cluster[]];
          for (const other of rest) {
            absorb(survivor, other, p);
            gone.add(other.id);
            merges.push([other.id, survivor.id]);
          }
        }
        if (gone.size > 0) {
          live = live.filter((c) => !gone.has(c.id));
          changed = true;
        }
      }
    }
  }
  return merges;
}

/**
 * The template with position `p` left out; undefined when the merged template would have fewer
 * constants than bare parameters (`<*> is <*>` says nothing about which event it is).
 */
function keyWithout(cluster: Cluster, p: number): string | undefined {
  let key = '';
  let constants = 0;
  let variables = 1;
  for (let i = 0; i < cluster.texts.length; i++) {
    if (i === p) {
      key += '\u0001';
      continue;
    }
    const shape = cluster.shapes[i];
    if (cluster.wild?.[i]) {
      variables++;
      key += 'A\u0001';
    } else if (shape === undefined) {
      constants++;
      key += `W${cluster.texts[i]}\u0001`;
    } else {
      if (shape === PARAM) variables++;
      key += `V${shape}\u0001`;
    }
  }
  return constants >= variables ? key : undefined;
}

/**
 * Distinct values at `p` among sibling clusters: each literal once; positions already widened
 * count as one more value, or as two (they have seen two at least) when every literal fits their
 * shape: `[main]` beside `[<*>]` from `[pool-1]`, `[pool-2]`; `chdir(pwd)` beside a bare `<*>` from
 * paths. An empty `rhost=` does not fit `rhost=<*>`: empty and set values stay apart on a single
 * line's evidence. A position merged before has shown its many values.
 */
function distinctValues(list: readonly Cluster[], p: number): number {
  const literals = new Set<string>();
  const shapes = new Set<string>();
  for (const cluster of list) {
    if (cluster.wild?.[p]) return Number.POSITIVE_INFINITY;
    const text = cluster.texts[p];
    if (text === undefined) shapes.add(cluster.shapes[p] as string);
    else literals.add(text);
  }
  if (shapes.size === 0) return literals.size;
  const allFit = [...literals].every((text) =>
    [...shapes].some((shape) => shape === PARAM || widenShape(text, undefined, undefined, shape) === shape),
  );
  return literals.size + (allFit ? 2 : 1);
}

/** Widens `survivor` to cover `other` (same token count, differing at `p`) and adds its lines. */
function absorb(survivor: Cluster, other: Cluster, p: number): void {
  const wild = survivor.wild ?? new Array<boolean>(survivor.texts.length).fill(false);
  survivor.wild = wild;
  wild[p] = true;
  for (let i = 0; i < survivor.texts.length; i++) {
    if (other.wild?.[i]) wild[i] = true;
    const text = survivor.texts[i];
    if (i !== p && text !== undefined && text === other.texts[i]) continue;
    const shape = survivor.shapes[i];
    survivor.texts[i] = undefined;
    survivor.shapes[i] = widenShape(text, shape, other.texts[i], other.shapes[i]);
  }
  survivor.count += other.count;
}
