import { ContextMemory } from './context-memory.ts';
import { type AnomalyDetector, emptyAssessment, type PointAssessment, resetAssessment, setAssessment } from './types.ts';

/**
 * Contextual Anomaly Detector, open-source edition (CAD OSE; Mikhail Smirnov 2016,
 * https://github.com/smirmik/CAD), ported from numenta/NAB nab/detectors/context_ose/cad_ose.py.
 * It scored 69.9 (standard profile) on the full NAB.
 *
 * Each value becomes a level on a grid of 2^`bits` steps and the level's bits become facts
 * (bit position × bit value). The context memory (context-memory.ts) learns which facts follow
 * which facts and active contexts; the score of a point whose facts were not all predicted is
 * (1 − share of the selected contexts that came true + share of the candidate contexts that were
 * new) / 2; a point whose facts were all predicted scores 0. After a score of `baseThreshold` or
 * more, the next `restPeriod` points score 0 (one alert per episode).
 *
 * Causal range (the one change of substance): NAB hands CAD the whole file's min and max. Here
 * the first `warmup` points fix a range, their extremes widened by `margin` × range on each side,
 * and are replayed through the detector (they score 0). When a later value falls outside the grid,
 * the range becomes the extremes seen so far (plus the margin) and the memory is rebuilt by
 * replaying the last `history` points on the new grid before the value is scored: at every point
 * the grid is what NAB's min/max would give for the data so far, and the value that widened it
 * lands on a level the rebuilt memory rarely saw. Two cheaper ways scored far lower on the
 * held-out NAB categories (bench/nab-variants.ts): keeping the warm-up grid and giving values
 * beyond it more bit facts (what the Python does above its max), or clamping them to its edges.
 *
 * Memory: CAD OSE never forgets a context, and each step visits every semi-context holding one of
 * the input's facts, so time per point grows with the memory. Past `maxContexts` contexts the
 * memory is rebuilt from the kept history (at most half full), so memory and time per point stay
 * bounded on an endless stream. Even so CAD is slow (a few thousand points a second): it is not
 * part of the default detector.
 */
export interface ContextualOptions {
  /** Points whose range fixes the grid, scored 0; default 150. */
  warmup?: number;
  /** Share of the warm-up range added on each side; default 0.2 (NAB's HTM encoder pads its range so). */
  margin?: number;
  /** Score that starts a rest period; default 0.75 (CAD OSE). */
  baseThreshold?: number;
  /** Points scored 0 after a score ≥ baseThreshold; default 30 (CAD OSE's own default). */
  restPeriod?: number;
  /** Longest left semi-context for a candidate context; default 7 (CAD OSE). */
  maxLeftLength?: number;
  /** Contexts fed back as facts at each step; default 15 (CAD OSE). */
  maxActiveNeurons?: number;
  /** Bits of the level within the range; default 3, i.e. 8 levels (CAD OSE). */
  bits?: number;
  /** Contexts stored before the memory is rebuilt; default 50,000 (the NAB files need at most 16,000). */
  maxContexts?: number;
  /**
   * What a value beyond the grid does: `replay` (default) widens the range to the extremes seen so
   * far (plus the margin) and rebuilds the memory from the last `history` points on the new grid;
   * `extend` keeps the grid and gives the value more bit facts; `clamp` puts it on the edge level.
   */
  beyond?: 'replay' | 'extend' | 'clamp';
  /** Points kept to rebuild the memory after the range widens; default 4,000. */
  history?: number;
}

export const CONTEXTUAL_DEFAULTS = {
  warmup: 150,
  margin: 0.2,
  baseThreshold: 0.75,
  restPeriod: 30,
  maxLeftLength: 7,
  maxActiveNeurons: 15,
  bits: 3,
  maxContexts: 50_000,
  beyond: 'replay',
  history: 4000,
} as const;

/** Sensor facts start here; a bit's fact is SENSOR + 2·position + bit (CAD OSE's numbering). */
const SENSOR = 65_536;
/** Context ids fed back as facts are offset by 2^31 (CAD OSE's numbering). */
const NEURON = 2 ** 31;
/** The fact of a level below the range (never produced by CAD OSE's in-range levels). */
const BELOW = SENSOR - 1;

/** CAD OSE on a fixed grid: facts in, raw score out (no range estimation). */
export class ContextualModel {
  readonly baseThreshold: number;
  readonly restPeriod: number;
  readonly maxActiveNeurons: number;
  readonly bits: number;
  private memory: ContextMemory;
  private leftFacts: number[] = [];
  private predicted = new Set<number>();
  /** Scores of the last `restPeriod` points (the Python starts its history with 1.0). */
  private readonly recent: number[] = [1];
  private readonly maxLeftLength: number;

  constructor(
    options: Pick<ContextualOptions, 'baseThreshold' | 'restPeriod' | 'maxLeftLength' | 'maxActiveNeurons' | 'bits'> = {},
  ) {
    this.baseThreshold = options.baseThreshold ?? CONTEXTUAL_DEFAULTS.baseThreshold;
    this.restPeriod = Math.max(1, Math.floor(options.restPeriod ?? CONTEXTUAL_DEFAULTS.restPeriod));
    this.maxLeftLength = options.maxLeftLength ?? CONTEXTUAL_DEFAULTS.maxLeftLength;
    this.maxActiveNeurons = options.maxActiveNeurons ?? CONTEXTUAL_DEFAULTS.maxActiveNeurons;
    this.bits = options.bits ?? CONTEXTUAL_DEFAULTS.bits;
    this.memory = new ContextMemory(this.maxLeftLength);
  }

  /** Contexts stored. */
  get contexts(): number {
    return this.memory.size;
  }

  /** Forgets every context (the rest-period history is kept). */
  forget(): void {
    this.memory = new ContextMemory(this.maxLeftLength);
    this.leftFacts = [];
    this.predicted = new Set();
  }

  /** The facts of a level: its bits (at least `bits` of them), and a sign fact below the grid. */
  factsOf(level: number): number[] {
    const facts: number[] = [];
    let n = level;
    if (level < 0) {
      facts.push(BELOW);
      n = -level - 1;
    }
    for (let position = 0; position < this.bits || n > 0; position++) {
      facts.push(SENSOR + 2 * position + (n & 1));
      n = Math.floor(n / 2);
    }
    return facts.sort((a, b) => a - b);
  }

  /**
   * CAD OSE `getAnomalyScore` for a level: the raw score (before the rest period) and the returned
   * one (0 while resting). The Python's prediction error is a weighted count of unpredicted facts;
   * only whether it is positive matters.
   */
  score(level: number): { raw: number; returned: number } {
    const raw = this.learn(level);
    let resting = false;
    for (const s of this.recent) if (s >= this.baseThreshold) resting = true;
    this.recent.push(raw);
    if (this.recent.length > this.restPeriod) this.recent.shift();
    return { raw, returned: resting ? 0 : raw };
  }

  /** Learns a level and returns its raw score, leaving the rest period alone (for replays). */
  learn(level: number): number {
    const facts = this.factsOf(level);
    let unpredicted = false;
    for (const fact of facts) if (!this.predicted.has(fact)) unpredicted = true;
    const { predictions, selectedActive, addedNew } = this.step(facts);
    this.predicted = predictions;
    return unpredicted ? (1 - selectedActive + addedNew) / 2 : 0;
  }

  /** CAD OSE `step`: learn the transition into these facts, predict the next ones. */
  private step(facts: number[]): { predictions: Set<number>; selectedActive: number; addedNew: number } {
    const memory = this.memory;
    const unique = new Set<string>();
    let newContext = false;
    if (this.leftFacts.length > 0 && facts.length > 0) {
      unique.add(pairKey(this.leftFacts, facts));
      newContext = memory.store([[this.leftFacts, facts]], true) === 1;
    }
    const { active, selected, candidates } = memory.crossInput(facts, newContext);
    for (const [left, right] of candidates) unique.add(pairKey(left, right));
    const selectedActive = selected > 0 ? active.length / selected : 0;
    // The most often confirmed contexts (ties: by the hashes of their sides) become neuron facts.
    active.sort((a, b) => a[1] - b[1] || a[2] - b[2] || a[3] - b[3]);
    const left = new Set<number>(facts);
    for (let i = Math.max(0, active.length - this.maxActiveNeurons); i < active.length; i++)
      left.add(NEURON + (active[i] as [number, number, number, number])[0]);
    this.leftFacts = [...left].sort((a, b) => a - b);
    const { added, predictions } = memory.crossLeft(this.leftFacts, candidates);
    const newCount = added + (newContext ? 1 : 0);
    const addedNew = newContext && unique.size > 0 ? newCount / unique.size : 0;
    return { predictions, selectedActive, addedNew };
  }
}

function pairKey(left: readonly number[], right: readonly number[]): string {
  return `${left.join(',')}|${right.join(',')}`;
}

/** Streaming CAD OSE with a causal value range (see the module comment). */
export class ContextualDetector implements AnomalyDetector {
  last: PointAssessment = emptyAssessment();
  readonly model: ContextualModel;
  readonly warmup: number;
  readonly margin: number;
  readonly maxContexts: number;
  readonly beyond: 'replay' | 'extend' | 'clamp';
  /** Raw score of the last point, before the rest period (NaN while warming up). */
  raw = Number.NaN;
  /** Times the range widened and the memory was rebuilt. */
  rebuilds = 0;
  private readonly recentValues: Float64Array;
  private recentCount = 0;
  /** Points relearned at a rebuild: the kept history, halved whenever it overfilled the memory. */
  private replayLength: number;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private low = Number.NaN;
  private step = Number.NaN;
  private readonly top: number;

  constructor(options: ContextualOptions = {}) {
    this.model = new ContextualModel(options);
    this.warmup = Math.max(2, Math.floor(options.warmup ?? CONTEXTUAL_DEFAULTS.warmup));
    this.margin = options.margin ?? CONTEXTUAL_DEFAULTS.margin;
    this.maxContexts = options.maxContexts ?? CONTEXTUAL_DEFAULTS.maxContexts;
    this.beyond = options.beyond ?? CONTEXTUAL_DEFAULTS.beyond;
    const history = Math.max(this.warmup, Math.floor(options.history ?? CONTEXTUAL_DEFAULTS.history));
    this.recentValues = new Float64Array(history);
    this.replayLength = history;
    this.top = 2 ** this.model.bits - 1;
  }

  /** The level of a value on the current grid (0 … 2^bits − 1 within the padded range). */
  levelOf(v: number): number {
    const level = Math.floor((v - this.low) / this.step);
    if (this.beyond === 'clamp') return Math.min(this.top, Math.max(0, level));
    return level;
  }

  update(_t: number, v: number): number {
    this.raw = Number.NaN;
    if (!Number.isFinite(v)) {
      resetAssessment(this.last);
      return 0;
    }
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    const ready = !Number.isNaN(this.step);
    if (!ready || (this.beyond === 'replay' && (v < this.low || v >= this.low + (this.top + 1) * this.step))) {
      if (!ready && this.recentCount + 1 < this.warmup) {
        this.remember(v);
        resetAssessment(this.last);
        return 0;
      }
      this.rebuild();
      if (!ready) {
        this.model.learn(this.levelOf(v));
        this.remember(v);
        resetAssessment(this.last);
        return 0;
      }
    }
    if (this.model.contexts > this.maxContexts) this.rebuild();
    const { raw, returned } = this.model.score(this.levelOf(v));
    this.remember(v);
    this.raw = raw;
    setAssessment(this.last, returned, raw, 0, Number.NaN, Number.NaN);
    return returned;
  }

  private remember(v: number): void {
    const capacity = this.recentValues.length;
    this.recentValues[this.recentCount % capacity] = v;
    this.recentCount++;
  }

  /** A grid over the extremes seen so far plus the margin; the memory relearns the kept history on it. */
  private rebuild(): void {
    const levels = this.top + 1;
    const { min, max } = this;
    // CAD OSE: a flat range becomes one unit per level; here centred on the flat value.
    const range = max > min ? max - min : levels - 1;
    const low = max > min ? min - this.margin * range : min - range / 2;
    const span = max > min ? range * (1 + 2 * this.margin) : range;
    // CAD OSE: step = range / (2^bits − 1), so the maximum sits at the start of the top level.
    this.step = span / (levels - 1);
    this.low = low;
    this.rebuilds++;
    const capacity = this.recentValues.length;
    // Relearn the kept history; should it fill more than half the room, relearn its newer half
    // only (and remember that length, so the search is not repeated at every rebuild).
    for (;;) {
      const kept = Math.min(this.replayLength, this.recentCount);
      this.model.forget();
      for (let i = this.recentCount - kept; i < this.recentCount; i++)
        this.model.learn(this.levelOf(this.recentValues[i % capacity] as number));
      if (this.model.contexts <= this.maxContexts / 2 || kept < 2) break;
      this.replayLength = Math.floor(kept / 2);
    }
  }
}
