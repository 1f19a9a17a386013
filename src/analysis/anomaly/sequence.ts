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
 * reports how much the choice moves the score).
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
  /** The last `order` levels, newest first. */
  private readonly history: number[] = [];
  /** Context key → flat [level, count, level, count, …]. */
  private readonly contexts = new Map<number, number[]>();
  private readonly keys: number[] = [];
  private readonly excluded: number[] = [];

  constructor(options: Pick<SequenceOptions, 'warmup' | 'levels' | 'order' | 'maxContexts' | 'gridOffset'> = {}) {
    this.warmup = Math.max(2, Math.floor(options.warmup ?? SEQUENCE_DEFAULTS.warmup));
    this.levels = Math.max(2, Math.floor(options.levels ?? SEQUENCE_DEFAULTS.levels));
    this.order = Math.max(1, Math.floor(options.order ?? SEQUENCE_DEFAULTS.order));
    this.maxContexts = Math.max(64, Math.floor(options.maxContexts ?? SEQUENCE_DEFAULTS.maxContexts));
    this.gridOffset = options.gridOffset ?? SEQUENCE_DEFAULTS.gridOffset;
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
    for (const v of this.warm) this.learn(this.levelOf(v));
    this.warm.length = 0;
  }

  /** Keys of the contexts of order 0 … min(order, history): a 53-bit hash of the levels and the order. */
  private contextKeys(): number[] {
    const keys = this.keys;
    keys.length = 0;
    let a = 0x9e3779b9;
    let b = 0x85ebca6b;
    keys.push(0);
    for (let k = 1; k <= this.history.length; k++) {
      const level = this.history[k - 1] as number;
      a = Math.imul(a ^ level, 0x01000193) ^ k;
      b = Math.imul(b + level, 0x5bd1e995) ^ (b >>> 15);
      keys.push((a >>> 0) * 0x200000 + (b & 0x1fffff));
    }
    return keys;
  }

  private codeLength(level: number): number {
    const keys = this.keys.length > 0 ? this.keys : this.contextKeys();
    const excluded = this.excluded;
    excluded.length = 0;
    let bits = 0;
    for (let k = keys.length - 1; k >= 0; k--) {
      const counts = this.contexts.get(keys[k] as number);
      if (!counts) continue;
      let total = 0;
      let distinct = 0;
      let hit = 0;
      for (let i = 0; i < counts.length; i += 2) {
        const s = counts[i] as number;
        if (excluded.includes(s)) continue;
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
    const keys = this.keys.length > 0 ? this.keys : this.contextKeys();
    for (const key of keys) {
      let counts = this.contexts.get(key);
      if (!counts) {
        counts = [];
        this.contexts.set(key, counts);
      }
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
    this.history.unshift(level);
    if (this.history.length > this.order) this.history.pop();
    this.contextKeys(); // keys of the next point's contexts, shared by its codeLength and learn
    // Halve until a quarter of the room is free again, so aging runs rarely, not on every point.
    if (this.contexts.size > this.maxContexts) while (this.contexts.size > 0.75 * this.maxContexts) this.age();
  }

  /** Contexts currently counted (at most `maxContexts`). */
  get contextCount(): number {
    return this.contexts.size;
  }

  /** Halves every count and drops the contexts and levels left at zero. */
  private age(): void {
    for (const [key, counts] of this.contexts) {
      const kept: number[] = [];
      for (let i = 0; i < counts.length; i += 2) {
        const c = Math.floor((counts[i + 1] as number) / 2);
        if (c > 0) kept.push(counts[i] as number, c);
      }
      if (kept.length === 0) this.contexts.delete(key);
      else this.contexts.set(key, kept);
    }
  }
}

/** Streaming detector scoring sequence surprise (see SequenceModel), escalated over a refractory window. */
export class SequenceDetector implements AnomalyDetector {
  last: PointAssessment = emptyAssessment();
  readonly model: SequenceModel;
  readonly span: number;
  readonly refractory: number;
  readonly scoreHalf: number;
  readonly probation: number;
  /** Averaged code length of the last point, in decades (NaN while warming up). */
  cost = Number.NaN;
  /** Escalation of the last point over the refractory window, in decades. */
  escalation = 0;
  private readonly costs: number[] = [];
  private readonly recentMax: SlidingMax;
  private n = 0;

  constructor(options: SequenceOptions = {}) {
    this.model = new SequenceModel(options);
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
    const cost = this.model.cost(v);
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
}
