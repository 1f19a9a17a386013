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
 * 4. Warm-up: once the grid is fixed, the warm-up values are coded in order as they are learnt and
 *    their costs fill the refractory window, so scoring starts right after the warm-up (300
 *    points): a model that has seen little finds everything costly, and only a sequence costlier
 *    than all of that escalates — confidence grows with history without a separate probation.
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
  /** Points scored 0 at the start (models learn meanwhile); default 300, the warm-up. */
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
  probation: 300,
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
  /** Code lengths of the warm-up values, coded in order once the grid was fixed (decades). */
  readonly warmCosts: number[] = [];
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
    // The warm-up values are coded in order as they are learned, so the detector can seed its
    // refractory window with what they cost (a model that knows little finds everything costly).
    this.warmCosts.length = 0;
    for (const v of this.warm) {
      const level = this.levelOf(v);
      this.warmCosts.push(this.codeLength(level));
      this.learn(level);
    }
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
      const n = table.distinct(id);
      let total = 0;
      let distinct = 0;
      let hit = 0;
      for (let j = 0; j < n; j++) {
        const s = table.levelAt(id, j);
        if (excluded.length > 0 && excluded.includes(s)) continue;
        const c = table.countAt(id, j);
        total += c;
        distinct++;
        if (s === level) hit = c;
      }
      if (total === 0) continue;
      if (hit > 0) return (bits - Math.log2(hit / (total + distinct))) * LOG10_2;
      bits -= Math.log2(distinct / (total + distinct));
      for (let j = 0; j < n; j++) {
        const s = table.levelAt(id, j);
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
      table.increment(id, level);
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

/** Level/count pairs stored in a context's record; more go to an overflow list. */
const INLINE = 4;
/** A record: hash halves a and b, the number of pairs, then INLINE (level, count) pairs. */
const STRIDE = 3 + 2 * INLINE;

/**
 * Open-addressing hash table of contexts keyed by two 32-bit hashes. Each context is one record
 * of a typed array holding its key and its first level/count pairs, so a lookup touches two cache
 * lines (slot, record) rather than chasing a Map entry and a list (the 8 grids make this the
 * detector's hot path).
 */
class ContextTable {
  private records = new Int32Array(256 * STRIDE);
  private overflow: Array<number[] | undefined> = [];
  /** Slot → context id + 1 (0: empty); a power of two, at most half full. */
  private slots = new Int32Array(512);
  size = 0;

  /** The id of a context, or −1. */
  find(a: number, b: number): number {
    const mask = this.slots.length - 1;
    const records = this.records;
    const ka = a | 0;
    const kb = b | 0;
    for (let slot = slotOf(a, b, mask); ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return -1;
      const base = (entry - 1) * STRIDE;
      if (records[base] === ka && records[base + 1] === kb) return entry - 1;
    }
  }

  /** Stores a new, empty context and returns its id. */
  add(a: number, b: number): number {
    const id = this.size++;
    if ((id + 1) * STRIDE > this.records.length) {
      const bigger = new Int32Array(this.records.length * 2);
      bigger.set(this.records);
      this.records = bigger;
    }
    const base = id * STRIDE;
    this.records[base] = a | 0;
    this.records[base + 1] = b | 0;
    this.records[base + 2] = 0;
    this.overflow[id] = undefined;
    if (2 * this.size > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  /** Distinct levels counted after the context. */
  distinct(id: number): number {
    return this.records[id * STRIDE + 2] as number;
  }

  /** The j-th level counted after the context. */
  levelAt(id: number, j: number): number {
    return j < INLINE
      ? (this.records[id * STRIDE + 3 + 2 * j] as number)
      : ((this.overflow[id] as number[])[2 * (j - INLINE)] as number);
  }

  /** The count of the j-th level. */
  countAt(id: number, j: number): number {
    return j < INLINE
      ? (this.records[id * STRIDE + 4 + 2 * j] as number)
      : ((this.overflow[id] as number[])[2 * (j - INLINE) + 1] as number);
  }

  /** Counts one more `level` after the context. */
  increment(id: number, level: number): void {
    const records = this.records;
    const base = id * STRIDE;
    const n = records[base + 2] as number;
    for (let j = 0; j < n && j < INLINE; j++) {
      if (records[base + 3 + 2 * j] === level) {
        records[base + 4 + 2 * j] = (records[base + 4 + 2 * j] as number) + 1;
        return;
      }
    }
    if (n < INLINE) {
      records[base + 3 + 2 * n] = level;
      records[base + 4 + 2 * n] = 1;
      records[base + 2] = n + 1;
      return;
    }
    let more = this.overflow[id];
    if (!more) {
      more = [];
      this.overflow[id] = more;
    }
    for (let i = 0; i < more.length; i += 2) {
      if (more[i] === level) {
        more[i + 1] = (more[i + 1] as number) + 1;
        return;
      }
    }
    more.push(level, 1);
    records[base + 2] = n + 1;
  }

  /** Halves every count and drops the contexts and levels left at zero (keeping their order). */
  age(): void {
    const records = this.records;
    const pairs: number[] = [];
    let kept = 0;
    for (let id = 0; id < this.size; id++) {
      const n = this.distinct(id);
      pairs.length = 0;
      for (let j = 0; j < n; j++) {
        const c = Math.floor(this.countAt(id, j) / 2);
        if (c > 0) pairs.push(this.levelAt(id, j), c);
      }
      if (pairs.length === 0) continue;
      const from = id * STRIDE;
      const to = kept * STRIDE;
      records[to] = records[from] as number;
      records[to + 1] = records[from + 1] as number;
      records[to + 2] = pairs.length / 2;
      for (let i = 0; i < pairs.length && i < 2 * INLINE; i++) records[to + 3 + i] = pairs[i] as number;
      this.overflow[kept] = pairs.length > 2 * INLINE ? pairs.slice(2 * INLINE) : undefined;
      kept++;
    }
    this.size = kept;
    this.overflow.length = kept;
    this.rehash(this.slots.length);
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    const base = id * STRIDE;
    let slot = slotOf(this.records[base] as number, this.records[base + 1] as number, mask);
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let id = 0; id < this.size; id++) this.place(id);
  }
}

/** A slot for a key: the halves mixed (multiply, fold the high bits down) and masked. */
function slotOf(a: number, b: number, mask: number): number {
  const h = Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b);
  return (h ^ (h >>> 15)) & mask;
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
    const wasReady = (this.models[0] as SequenceModel).ready;
    const cost = this.mixedCost(v);
    if (!wasReady && (this.models[0] as SequenceModel).ready) this.replay();
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

  /**
   * Pushes the warm-up values' code lengths (mixed over the grids) through the span average into
   * the refractory window, so the first scored point escalates over what the warm-up cost.
   */
  private replay(): void {
    const first = this.models[0] as SequenceModel;
    for (let j = 0; j < first.warmCosts.length; j++) {
      let least = Number.POSITIVE_INFINITY;
      for (const m of this.models) least = Math.min(least, m.warmCosts[j] as number);
      let sum = 0;
      for (const m of this.models) sum += 10 ** (least - (m.warmCosts[j] as number));
      const c = least - Math.log10(sum / this.models.length);
      this.costs.push(c);
      if (this.costs.length > this.span) this.costs.shift();
      let mean = 0;
      for (const x of this.costs) mean += x;
      this.recentMax.push(mean / this.costs.length);
    }
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
