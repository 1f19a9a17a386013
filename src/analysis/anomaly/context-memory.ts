/**
 * The context memory of the Contextual Anomaly Detector, open-source edition (CAD OSE,
 * Mikhail Smirnov 2016, https://github.com/smirmik/CAD; as shipped in numenta/NAB,
 * nab/detectors/context_ose/context_operator.py), ported to TypeScript.
 *
 * A context is a pair of fact sets: a left semi-context (what was true at the previous step: the
 * input's facts and the contexts then active, as "neuron" facts) and a right semi-context (the
 * input's facts at the next step). Contexts are stored once per distinct pair; semi-contexts are
 * shared between contexts. Each context counts how often its left side was fully present
 * (`selected`, in right-side facts), how many of its right-side facts then came true
 * (`predicted`) and how often all of them did (`activations`).
 *
 * Faithful to the Python, including its quirks (a context whose id equals the "no new context"
 * marker is skipped, as Python's `False != 0` is false), with two differences that change no
 * arithmetic: semi-contexts are keyed by their exact facts rather than by Python's tuple hash, and
 * contexts are visited in insertion order (Python 3 dict order) rather than Python 2's hash order.
 * The hashes used to break ties when choosing the active contexts are this module's own (FNV-1a).
 */

/** A left semi-context: facts, the facts crossed at the last step, and its contexts by right side. */
interface LeftSemi {
  id: number;
  facts: number[];
  crossed: number[];
  crossedCount: number;
  /** Right semi-context id → context id, in insertion order. */
  rights: Map<number, number>;
}

interface RightSemi {
  id: number;
  facts: number[];
  crossed: number[];
  crossedCount: number;
}

interface Context {
  /** Right-side facts expected each time the left side was complete (Σ right length). */
  selected: number;
  /** Right-side facts that came true after the left side was complete. */
  predicted: number;
  /** Times the whole right side came true after the left side. */
  activations: number;
  rightFacts: number[];
  /** Ever seen as a zero-level context (left = previous step's facts, right = this step's input). */
  zeroLevel: boolean;
  leftHash: number;
  rightHash: number;
}

/** A candidate context: its left and right facts (each ascending). */
export type FactPair = [number[], number[]];

/** What the left crossing (input facts against stored right sides) found. */
export interface Crossing {
  /** Context id, activations, left hash, right hash of each context that came fully true. */
  active: Array<[number, number, number, number]>;
  /** Contexts whose left side was complete at the previous step. */
  selected: number;
  /** Contexts that may be new: the crossed parts of partially confirmed zero-level contexts. */
  candidates: FactPair[];
}

function factsKey(facts: readonly number[]): string {
  return facts.join(',');
}

/** FNV-1a over the facts' 32-bit halves: a deterministic tie-break standing in for Python's tuple hash. */
function factsHash(facts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const fact of facts) {
    h = Math.imul(h ^ (fact >>> 0), 0x01000193);
    h = Math.imul(h ^ Math.floor(fact / 0x100000000), 0x01000193);
  }
  return h >>> 0;
}

/** ContextOperator of CAD OSE: stores contexts and crosses fact sets against them. */
export class ContextMemory {
  readonly maxLeftLength: number;
  private readonly leftByFact = new Map<number, LeftSemi[]>();
  private readonly rightByFact = new Map<number, RightSemi[]>();
  private readonly leftByKey = new Map<string, LeftSemi>();
  private readonly rightByKey = new Map<string, RightSemi>();
  private readonly lefts: LeftSemi[] = [];
  private readonly rights: RightSemi[] = [];
  private readonly contexts: Context[] = [];
  private crossedLeft: LeftSemi[] = [];
  private crossedRight: RightSemi[] = [];
  /** Id of the zero-level context created at this step; 0 stands for Python's `False`. */
  private newContextId = 0;

  constructor(maxLeftLength: number) {
    this.maxLeftLength = maxLeftLength;
  }

  /** Contexts stored. */
  get size(): number {
    return this.contexts.length;
  }

  /** Semi-contexts stored (left + right). */
  get semiContexts(): number {
    return this.lefts.length + this.rights.length;
  }

  /**
   * Stores the given contexts that are new. With `zeroLevel`, stores the one context given and
   * returns 1 when it was new (0 when it existed; it is then marked zero-level); otherwise
   * returns how many of them were new.
   */
  store(pairs: readonly FactPair[], zeroLevel = false): number {
    let added = 0;
    for (const [leftFacts, rightFacts] of pairs) {
      const left = this.leftSemi(leftFacts);
      const right = this.rightSemi(rightFacts);
      let contextId = left.rights.get(right.id);
      if (contextId === undefined) {
        contextId = this.contexts.length;
        left.rights.set(right.id, contextId);
        added++;
        this.contexts.push({
          selected: 0,
          predicted: 0,
          activations: 0,
          rightFacts,
          zeroLevel,
          leftHash: factsHash(leftFacts),
          rightHash: factsHash(rightFacts),
        });
        if (zeroLevel) {
          this.newContextId = contextId;
          return 1;
        }
      } else if (zeroLevel) {
        (this.contexts[contextId] as Context).zeroLevel = true;
        return 0;
      }
    }
    return added;
  }

  private leftSemi(facts: number[]): LeftSemi {
    const key = factsKey(facts);
    let semi = this.leftByKey.get(key);
    if (!semi) {
      semi = { id: this.lefts.length, facts, crossed: [], crossedCount: 0, rights: new Map() };
      this.leftByKey.set(key, semi);
      this.lefts.push(semi);
      for (const fact of facts) pushTo(this.leftByFact, fact, semi);
    }
    return semi;
  }

  private rightSemi(facts: number[]): RightSemi {
    const key = factsKey(facts);
    let semi = this.rightByKey.get(key);
    if (!semi) {
      semi = { id: this.rights.length, facts, crossed: [], crossedCount: 0 };
      this.rightByKey.set(key, semi);
      this.rights.push(semi);
      for (const fact of facts) pushTo(this.rightByFact, fact, semi);
    }
    return semi;
  }

  /**
   * The left crossing (`contextCrosser(leftOrRight=1)` then `updateContextsAndGetActive`): marks
   * which right sides the input facts cover, updates every context whose left side was complete at
   * the previous step, and returns the contexts that came fully true and the candidate contexts.
   */
  crossInput(facts: readonly number[], newContext: boolean): Crossing {
    this.crossedRight = cross(this.crossedRight, this.rightByFact, facts);
    const active: Array<[number, number, number, number]> = [];
    const candidates: FactPair[] = [];
    let selected = 0;
    for (const left of this.crossedLeft) {
      const complete = left.facts.length === left.crossedCount;
      for (const [rightId, contextId] of left.rights) {
        if (this.newContextId === contextId) continue;
        const context = this.contexts[contextId] as Context;
        const right = this.rights[rightId] as RightSemi;
        if (complete) {
          selected++;
          context.selected += right.facts.length;
          if (right.crossedCount > 0) {
            context.predicted += right.crossedCount;
            if (right.facts.length === right.crossedCount) {
              context.activations++;
              active.push([contextId, context.activations, context.leftHash, context.rightHash]);
            } else if (context.zeroLevel && newContext && left.crossedCount <= this.maxLeftLength) {
              candidates.push([left.crossed.slice(), right.crossed.slice()]);
            }
          }
        } else if (context.zeroLevel && newContext && right.crossedCount > 0 && left.crossedCount <= this.maxLeftLength) {
          candidates.push([left.crossed.slice(), right.crossed.slice()]);
        }
      }
    }
    this.newContextId = 0;
    return { active, selected, candidates };
  }

  /**
   * The right crossing (`contextCrosser(leftOrRight=0)`): stores the candidate contexts, marks which
   * left sides the new left facts cover, and predicts the right-side facts of the complete left
   * sides' contexts with the best prediction record. Returns how many candidates were new.
   */
  crossLeft(facts: readonly number[], candidates: readonly FactPair[]): { added: number; predictions: Set<number> } {
    const added = candidates.length > 0 ? this.store(candidates) : 0;
    this.crossedLeft = cross(this.crossedLeft, this.leftByFact, facts);
    let best = 0;
    let predicting: Context[] = [];
    for (const left of this.crossedLeft) {
      if (left.facts.length !== left.crossedCount) continue;
      for (const contextId of left.rights.values()) {
        const context = this.contexts[contextId] as Context;
        const weight = context.selected > 0 ? context.predicted / context.selected : 0;
        if (weight > best) {
          best = weight;
          predicting = [context];
        } else if (weight === best) predicting.push(context);
      }
    }
    const predictions = new Set<number>();
    for (const context of predicting) for (const fact of context.rightFacts) predictions.add(fact);
    return { added, predictions };
  }
}

function pushTo<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Clears the previous crossing and records, for every semi-context holding any of the facts, which
 * of them it holds; returns the crossed semi-contexts in creation order (the Python walks them all
 * in that order; walking only those a fact reaches gives the same list).
 */
function cross<T extends { id: number; crossed: number[]; crossedCount: number }>(
  previous: T[],
  byFact: Map<number, T[]>,
  facts: readonly number[],
): T[] {
  for (const semi of previous) {
    semi.crossed = [];
    semi.crossedCount = 0;
  }
  const touched: T[] = [];
  for (const fact of facts) {
    const semis = byFact.get(fact);
    if (!semis) continue;
    for (const semi of semis) {
      if (semi.crossed.length === 0) touched.push(semi);
      semi.crossed.push(fact);
    }
  }
  touched.sort((a, b) => a.id - b.id);
  for (const semi of touched) semi.crossedCount = semi.crossed.length;
  return touched;
}
