import { SlidingMax } from './rolling.ts';
import { type AnomalyDetector, emptyAssessment, type PointAssessment, resetAssessment, setAssessment } from './types.ts';

/**
 * Sequence surprise: how improbable the next value is given the shape of the last few, in the
 * manner of a compressor (PPM, Cleary & Witten 1984) — the idea behind the contextual detectors
 * that do well on NAB (CAD OSE, HTM): an anomaly is a sequence never or rarely seen, not only a
 * large value.
 *
 * 1. Coarse levels: the first `warmup` points fix a grid of `levels` equal steps over their range
 *    widened by half a step each side (causal: NAB hands its detectors the whole file's min and
 *    max; we only know the past, so its extremes sit mid-level, where noise around them stays on
 *    a known level). A later value's level is its step on that grid, continued beyond the range on
 *    both sides, so a new extreme is a new symbol rather than a clipped old one.
 * 2. Code length: the probability of the new level after each of the last k levels (k = `order`
 *    down to 0), with PPM's escape method C (escape = distinct / (total + distinct)) and
 *    exclusion; a level never seen after any context costs log2(4·levels + |level| + 1) bits, more
 *    the further it lies from the grid.
 *    The cost, −log10 P in decades, is averaged over the last `span` points: a short run of
 *    unexpected moves counts, one noisy step less.
 * 2b. Shifted grids: where the grid's steps begin is arbitrary, yet a value just across a step
 *    boundary reads as a different level, and the held-out NAB score moved between 59 and 72 with
 *    fractions of a step of shift. So `grids` models run on grids offset by 1/`grids` of a step
 *    each, and P is their average (a mixture over the grid origin, as averaged shifted histograms
 *    remove a histogram's dependence on its origin).
 * 3. Escalation, as in the combined detector: E = max(0, cost − max(cost over the previous
 *    `refractory` points)); score = E / (E + `scoreHalf`). A new, more improbable sequence raises
 *    the score; its repetitions do not.
 *
 * Counts are kept for at most `maxContexts` contexts; beyond that every count is halved and the
 * empty ones dropped (old habits fade), so memory stays bounded on an endless stream. Timestamps
 * are not used: this is about the order of values, not their timing.
 *
 * Parameters are counted in points, like the combined detector's. Span, order and levels are the
 * middle of the grid bench/nab.ts lets each leave-one-category-out fold choose from; they and the
 * 300-point warm-up were settled while looking at the three shared NAB categories (the bench
 * reports how much the choice moves the score). Eight grids is the fewest whose score no longer
 * moves with the base offset (four still did, by 2.5 points); more cost time and change nothing.
 */
export interface SequenceOptions {
  /** Points whose range fixes the level grid, scored 0; default 300. */
  warmup?: number;
  /** Levels across the warm-up range; default 10. */
  levels?: number;
  /** Longest context, in levels; default 6. */
  order?: number;
  /** Points the code length is averaged over; default 2. */
  span?: number;
  /** Points whose largest cost a new point must exceed; default 288. */
  refractory?: number;
  /** Escalation (decades) that maps to score 0.5; default 2. */
  scoreHalf?: number;
  /** Points scored 0 at the start (models learn meanwhile); default 600. */
  probation?: number;
  /** Contexts kept before counts are halved; default 65,536. */
  maxContexts?: number;
  /** Shift of the level grid, in steps (the bench measures how much an arbitrary shift moves scores); default 0. */
  gridOffset?: number;
  /** Grids, each offset by 1/grids of a step, whose probabilities are averaged; default 8 (1: one grid). */
  grids?: number;
}

export const SEQUENCE_DEFAULTS = {
  warmup: 300,
  levels: 10,
  order: 6,
  span: 2,
  refractory: 288,
  scoreHalf: 2,
  probation: 600,
  maxContexts: 65_536,
  gridOffset: 0,
  grids: 8,
} as const;

const LOG10_2 = Math.LOG10E * Math.LN2;

/** The PPM model alone: code length of each new value given the last `order` levels. */
export class SequenceModel {
  readonly warmup: number;
  readonly levels: number;
  readonly order: number;
  readonly maxContexts: number;
  readonly gridOffset: number;
  private readonly warm: number[] = [];
  private low = Number.NaN;
  private step = Number.NaN;
  /** The last `order` levels, newest first (`seen` of them so far). */
  private readonly history: Int32Array;
  private seen = 0;
  private readonly contexts = new ContextTable();
  /** Context ids (−1: not stored yet) of orders 0 … min(order, seen) for the next value, and their hashes. */
  private readonly ids: Int32Array;
  private readonly keysA: Uint32Array;
  private readonly keysB: Uint32Array;
  private orders = 0;
  private readonly excluded: number[] = [];

  constructor(options: Pick<SequenceOptions, 'warmup' | 'levels' | 'order' | 'maxContexts' | 'gridOffset'> = {}) {
    this.warmup = Math.max(2, Math.floor(options.warmup ?? SEQUENCE_DEFAULTS.warmup));
    this.levels = Math.max(2, Math.floor(options.levels ?? SEQUENCE_DEFAULTS.levels));
    this.order = Math.max(1, Math.floor(options.order ?? SEQUENCE_DEFAULTS.order));
    this.maxContexts = Math.max(64, Math.floor(options.maxContexts ?? SEQUENCE_DEFAULTS.maxContexts));
    this.gridOffset = options.gridOffset ?? SEQUENCE_DEFAULTS.gridOffset;
    this.history = new Int32Array(this.order);
    this.ids = new Int32Array(this.order + 1);
    this.keysA = new Uint32Array(this.order + 1);
    this.keysB = new Uint32Array(this.order + 1);
  }

  /** True once the level grid is fixed. */
  get ready(): boolean {
    return !Number.isNaN(this.step);
  }

  /** Level of v on the grid: 0 … levels − 1 within the warm-up range, beyond it on either side. */
  levelOf(v: number): number {
    return Math.floor((v - this.low) / this.step);
  }

  /** Code length of v in decades given the recent levels (NaN while warming up), then learns v. */
  cost(v: number): number {
    if (!this.ready) {
      this.warm.push(v);
      if (this.warm.length >= this.warmup) this.fixGrid();
      return Number.NaN;
    }
    const level = this.levelOf(v);
    const cost = this.codeLength(level);
    this.learn(level);
    return cost;
  }

  private fixGrid(): void {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of this.warm) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    // A flat warm-up still needs a step: a tenth of its magnitude (or 1e-9) across the grid.
    const range = max > min ? max - min : Math.max(Math.abs(max) * 0.1, 1e-9);
    // Half a level of margin each side: the extremes seen so far lie mid-level, not on an edge
    // where the next slightly lower or higher value would read as a never-seen level.
    this.step = (range * (1 + 1 / this.levels)) / this.levels;
    this.low = (max > min ? min : min - range / 2) - (0.5 + this.gridOffset) * this.step;
    this.findContexts();
    for (const v of this.warm) this.learn(this.levelOf(v));
    this.warm.length = 0;
  }

  /**
   * Hashes of the contexts of order 0 … min(order, seen) (two 32-bit halves of the levels and the
   * order), and their ids in the table.
   */
  private findContexts(): void {
    const { keysA, keysB, ids, history } = this;
    const table = this.contexts;
    let a = 0x9e3779b9;
    let b = 0x85ebca6b;
    keysA[0] = 0;
    keysB[0] = 0;
    ids[0] = table.find(0, 0);
    const orders = Math.min(this.order, this.seen);
    for (let k = 1; k <= orders; k++) {
      const level = history[k - 1] as number;
      a = Math.imul(a ^ level, 0x01000193) ^ k;
      b = Math.imul(b + level, 0x5bd1e995) ^ (b >>> 15);
      keysA[k] = a >>> 0;
      keysB[k] = b & 0x1fffff;
      ids[k] = table.find(keysA[k] as number, keysB[k] as number);
    }
    this.orders = orders + 1;
  }

  private codeLength(level: number): number {
    const { ids, excluded } = this;
    const table = this.contexts;
    excluded.length = 0;
    let bits = 0;
    for (let k = this.orders - 1; k >= 0; k--) {
      const id = ids[k] as number;
      if (id < 0) continue;
      const counts = table.counts[id] as number[];
      let total = 0;
      let distinct = 0;
      let hit = 0;
      for (let i = 0; i < counts.length; i += 2) {
        const s = counts[i] as number;
        if (excluded.length > 0 && excluded.includes(s)) continue;
        const c = counts[i + 1] as number;
        total += c;
        distinct++;
        if (s === level) hit = c;
      }
      if (total === 0) continue;
      if (hit > 0) return (bits - Math.log2(hit / (total + distinct))) * LOG10_2;
      bits -= Math.log2(distinct / (total + distinct));
      for (let i = 0; i < counts.length; i += 2) {
        const s = counts[i] as number;
        if (!excluded.includes(s)) excluded.push(s);
      }
    }
    // A level never seen after any context: the further from the warm-up range, the less probable
    // (uniform over four grids' worth of levels plus its distance from the grid's origin).
    return (bits + Math.log2(4 * this.levels + Math.abs(level) + 1)) * LOG10_2;
  }

  private learn(level: number): void {
    const { ids, keysA, keysB, history } = this;
    const table = this.contexts;
    for (let k = 0; k < this.orders; k++) {
      let id = ids[k] as number;
      if (id < 0) id = table.add(keysA[k] as number, keysB[k] as number);
      const counts = table.counts[id] as number[];
      let found = false;
      for (let i = 0; i < counts.length; i += 2) {
        if (counts[i] === level) {
          counts[i + 1] = (counts[i + 1] as number) + 1;
          found = true;
          break;
        }
      }
      if (!found) counts.push(level, 1);
    }
    history.copyWithin(1, 0, this.order - 1);
    history[0] = level;
    this.seen++;
    // Halve until a quarter of the room is free again, so aging runs rarely, not on every point.
    if (table.size > this.maxContexts) while (table.size > 0.75 * this.maxContexts) table.age();
    this.findContexts(); // the next point's contexts, shared by its codeLength and learn
  }

  /** Contexts currently counted (at most `maxContexts`). */
  get contextCount(): number {
    return this.contexts.size;
  }
}

/**
 * Open-addressing hash table of contexts keyed by two 32-bit hashes, each holding a flat
 * [level, count, level, count, …] list (typed keys: a Map keyed by 53-bit doubles hashes slowly).
 */
class ContextTable {
  keysA: Uint32Array = new Uint32Array(256);
  keysB: Uint32Array = new Uint32Array(256);
  counts: number[][] = [];
  /** Slot → context id + 1 (0: empty); a power of two, at most half full. */
  private slots = new Int32Array(512);

  get size(): number {
    return this.counts.length;
  }

  /** The id of a context, or −1. */
  find(a: number, b: number): number {
    const mask = this.slots.length - 1;
    for (let slot = slotOf(a, b, mask); ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return -1;
      const id = entry - 1;
      if (this.keysA[id] === a && this.keysB[id] === b) return id;
    }
  }

  /** Stores a new, empty context and returns its id. */
  add(a: number, b: number): number {
    const id = this.counts.length;
    if (id >= this.keysA.length) {
      this.keysA = grow(this.keysA);
      this.keysB = grow(this.keysB);
    }
    this.keysA[id] = a;
    this.keysB[id] = b;
    this.counts.push([]);
    if (2 * (id + 1) > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  /** Halves every count and drops the contexts and levels left at zero. */
  age(): void {
    let kept = 0;
    for (let id = 0; id < this.counts.length; id++) {
      const counts = this.counts[id] as number[];
      const halved: number[] = [];
      for (let i = 0; i < counts.length; i += 2) {
        const c = Math.floor((counts[i + 1] as number) / 2);
        if (c > 0) halved.push(counts[i] as number, c);
      }
      if (halved.length === 0) continue;
      this.keysA[kept] = this.keysA[id] as number;
      this.keysB[kept] = this.keysB[id] as number;
      this.counts[kept] = halved;
      kept++;
    }
    this.counts.length = kept;
    this.rehash(this.slots.length);
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let slot = slotOf(this.keysA[id] as number, this.keysB[id] as number, mask);
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let id = 0; id < this.counts.length; id++) this.place(id);
  }
}

function slotOf(a: number, b: number, mask: number): number {
  return (Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b) >>> 15) & mask;
}

function grow(array: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/** Streaming detector scoring sequence surprise (see SequenceModel), escalated over a refractory window. */
export class SequenceDetector implements AnomalyDetector {
  last: PointAssessment = emptyAssessment();
  /** One model per shifted grid (the first on the unshifted one). */
  readonly models: SequenceModel[];
  readonly span: number;
  readonly refractory: number;
  readonly scoreHalf: number;
  readonly probation: number;
  /** Averaged code length of the last point, in decades (NaN while warming up). */
  cost = Number.NaN;
  /** Escalation of the last point over the refractory window, in decades. */
  escalation = 0;
  private readonly costs: number[] = [];
  private readonly gridCosts: number[] = [];
  private readonly recentMax: SlidingMax;
  private n = 0;

  constructor(options: SequenceOptions = {}) {
    const grids = Math.max(1, Math.floor(options.grids ?? SEQUENCE_DEFAULTS.grids));
    const offset = options.gridOffset ?? SEQUENCE_DEFAULTS.gridOffset;
    this.models = Array.from({ length: grids }, (_, i) => new SequenceModel({ ...options, gridOffset: offset + i / grids }));
    this.span = Math.max(1, Math.floor(options.span ?? SEQUENCE_DEFAULTS.span));
    this.refractory = Math.max(1, Math.floor(options.refractory ?? SEQUENCE_DEFAULTS.refractory));
    this.scoreHalf = options.scoreHalf ?? SEQUENCE_DEFAULTS.scoreHalf;
    this.probation = options.probation ?? SEQUENCE_DEFAULTS.probation;
    this.recentMax = new SlidingMax(this.refractory);
  }

  update(_t: number, v: number): number {
    if (!Number.isFinite(v)) {
      resetAssessment(this.last);
      return 0;
    }
    this.n++;
    const cost = this.mixedCost(v);
    this.escalation = 0;
    this.cost = Number.NaN;
    if (!Number.isNaN(cost)) {
      this.costs.push(cost);
      if (this.costs.length > this.span) this.costs.shift();
      let sum = 0;
      for (const c of this.costs) sum += c;
      this.cost = sum / this.costs.length;
      this.escalation = Math.max(0, this.cost - this.recentMax.max());
      this.recentMax.push(this.cost);
    }
    const warming = this.n <= this.probation;
    const score = warming ? 0 : this.escalation / (this.escalation + this.scoreHalf);
    const level = warming || Number.isNaN(this.cost) ? 0 : this.cost / (this.cost + this.scoreHalf);
    setAssessment(this.last, score, level, 0, Number.NaN, Number.NaN);
    return score;
  }

  /** −log10 of the grids' mean probability of v (NaN while warming up), from the smallest cost up. */
  private mixedCost(v: number): number {
    const models = this.models;
    if (models.length === 1) return (models[0] as SequenceModel).cost(v);
    const costs = this.gridCosts;
    let least = Number.POSITIVE_INFINITY;
    for (let i = 0; i < models.length; i++) {
      const c = (models[i] as SequenceModel).cost(v);
      costs[i] = c;
      if (c < least) least = c;
    }
    if (Number.isNaN(costs[0] as number)) return Number.NaN;
    let sum = 0;
    for (let i = 0; i < models.length; i++) sum += 10 ** (least - (costs[i] as number));
    return least - Math.log10(sum / models.length);
  }
}
