import type { Random } from '../random/seeded-random.ts';
import { binomial, drawIndex, erlang, gamma } from './count-draws.ts';
import type { RequestShape } from './request-shape.ts';
import type { Performance } from './serving-model.ts';

/** What the engine runs with: the serving model, its limits and the active faults' effects on it. */
export interface EngineSetting {
  performance: Performance;
  maxNumSeqs: number;
  slowdown: number;
  kvCapacityFactor: number;
}

/**
 * The simulated engine's constants in seconds, as `stepMs` and the scheduler apply them: a step
 * takes `decode(n)` for n running sequences plus `perPromptToken` for every prompt token admitted
 * into it; at most `slots` sequences hold a place (max_num_seqs, or what the KV cache holds).
 */
export class EngineTiming {
  readonly base: number;
  readonly perSequence: number;
  readonly perPromptToken: number;
  readonly kvCapacity: number;
  /** Mean KV tokens of a running sequence: its prompt and, on average over its life, half its answer (length-biased). */
  readonly kvPerSequence: number;
  readonly slots: number;
  readonly kvLimited: boolean;
  /** Requests per second the engine completes with every slot taken and a queue waiting. */
  readonly capacity: number;

  constructor(
    setting: EngineSetting,
    readonly shape: RequestShape,
  ) {
    const s = setting.slowdown;
    this.base = (setting.performance.decodeBaseMs * s) / 1000;
    this.perSequence = (setting.performance.decodePerSeqMs * s) / 1000;
    this.perPromptToken = s / setting.performance.prefillTokensPerSecond;
    this.kvCapacity = Math.max(1, Math.floor(setting.performance.kvCapacityTokens * setting.kvCapacityFactor));
    const output = shape.output;
    const sizeBiasedOutput = (output.variance + output.mean * output.mean) / output.mean;
    this.kvPerSequence = shape.prompt.mean + (sizeBiasedOutput + 1) / 2;
    const kvSlots = Math.max(1, Math.floor(this.kvCapacity / this.kvPerSequence));
    this.slots = Math.min(setting.maxNumSeqs, kvSlots);
    this.kvLimited = kvSlots < setting.maxNumSeqs;
    // Each request holds a slot for E[O] steps of decode(c), and its prefill lengthens one step for everyone.
    this.capacity = this.slots / (output.mean * this.decode(this.slots) + this.slots * this.meanPrefill());
  }

  /** One decode step for `n` running sequences (none: no decode). */
  decode(n: number): number {
    return n > 0 ? this.base + this.perSequence * n : 0;
  }

  /** Seconds of prefill for a mean prompt. */
  meanPrefill(): number {
    return this.shape.prompt.mean * this.perPromptToken;
  }
}

/** One request's latencies as the live server would observe them. */
export interface RequestDraw {
  ttft: number;
  queue: number;
  e2e: number;
  prompt: number;
  output: number;
}

const MAX_QUEUE_STATES = 4000;
/** Sums of more prompts than this are drawn as one normal draw. */
const SUM_BY_NORMAL = 12;

/**
 * The engine's behaviour at a constant arrival rate (or saturated behind a backlog), from its
 * mechanics. The number of requests holding a slot or queued follows a Markov chain: arrivals
 * in clusters (prefills hold up the batch while more arrive), completions at n / (E[O] × decode(n))
 * of decode time with n sequences running, at most `slots` of them. A request arriving while a
 * step runs waits out its remainder (steps are length-biased), is admitted with the other
 * arrivals of that step, and gets its first token when the step that prefills them ends; past
 * the slots it first waits for a place. Every running sequence observes each step's length as
 * inter-token latency; a step is longer by the prefill of the prompts admitted into it (the
 * arrivals during the step before). Gauges are drawn from the same chain.
 */
export class EngineLaw {
  /** Cumulative distribution of the number in the engine (holding a slot or queued) at a random time. */
  private readonly stateCdf: Float64Array;
  /** The same, weighted by the inter-token observations each state produces (running × steps per second). */
  private readonly observedCdf: Float64Array;
  readonly preemptionsPerSecond: number;
  /** Admissions per second: the arrival rate, or the capacity behind a backlog. */
  readonly admissionRate: number;
  private readonly prefillShare: number;
  /**
   * The chain's holding times are exponential; answers' lengths vary far less (CV² = Var O / E[O]²),
   * and an M/G/c queue's waits are about (1 + CV²)/2 of the M/M/c ones (Lee and Longton).
   */
  private readonly waitScale: number;
  private readonly admissionLaws = new Map<number, AdmissionLaw>();

  private constructor(
    readonly timing: EngineTiming,
    state: Float64Array,
    admissionRate: number,
    private readonly backlog: number,
    /** Requests served before one arriving now behind the backlog (fewer than the backlog while it grows). */
    private readonly servedFirst = backlog,
  ) {
    this.admissionRate = admissionRate;
    const output = timing.shape.output;
    this.waitScale = (1 + output.variance / (output.mean * output.mean)) / 2;
    this.prefillShare = Math.min(0.95, admissionRate * timing.meanPrefill());
    const c = timing.slots;
    const observed = new Float64Array(state.length);
    let full = 0;
    state.forEach((p, k) => {
      const n = Math.min(k, c);
      observed[k] = n > 0 ? (p * n) / this.meanStep(n) : 0;
      if (k >= c) full += p;
    });
    this.stateCdf = cumulative(state);
    this.observedCdf = cumulative(observed);
    // Preemptions happen while the KV cache is full: every slot it allows is taken.
    this.preemptionsPerSecond = timing.kvLimited ? admissionRate * full * preemptionChance(timing) : 0;
  }

  /** The steady state at `rate` requests per second entering the engine; undefined past the engine's capacity. */
  static steady(timing: EngineTiming, rate: number): EngineLaw | undefined {
    if (rate >= timing.capacity) return undefined;
    const c = timing.slots;
    const outputMean = timing.shape.output.mean;
    // Counted in decode time (prefills take none), arrivals come in clusters: a prompt's prefill
    // holds up the batch while more arrive, whose prefills follow in the next steps.
    const { tail: clusterTail, rate: clusterRate } = persistentClusters(timing, rate);
    const weights: number[] = [1];
    let total = 1;
    for (let k = 0; k < c + MAX_QUEUE_STATES; k++) {
      // Level crossing: clusters carrying the count above k balance completions from k + 1.
      let up = 0;
      for (let j = Math.max(0, k - clusterTail.length + 1); j <= k; j++)
        up += (weights[j] as number) * (clusterTail[k - j] as number);
      const n = Math.min(k + 1, c);
      const weight = (clusterRate * up) / (n / (outputMean * timing.decode(n)));
      weights.push(weight);
      total += weight;
      if (k >= c && weight < total * 1e-12) break;
    }
    return new EngineLaw(
      timing,
      Float64Array.from(weights, (w) => w / total),
      rate,
      0,
    );
  }

  /**
   * Every slot taken and `backlog` requests waiting (arrivals at `arrivalRate` beyond the capacity
   * pile up). A request admitted now waited while the backlog ahead of it was served; first come,
   * first served, that backlog is what arrived during its wait: backlog / arrival rate, and no
   * longer than backlog / capacity once it drains.
   */
  static saturated(timing: EngineTiming, backlog: number, arrivalRate: number): EngineLaw {
    const state = new Float64Array(timing.slots + 1);
    state[timing.slots] = 1;
    const servedFirst = (backlog * timing.capacity) / Math.max(arrivalRate, timing.capacity);
    return new EngineLaw(timing, state, timing.capacity, backlog, servedFirst);
  }

  /** Mean length of a step with `n` sequences running, the prefills admitted into it included. */
  meanStep(n: number): number {
    return this.timing.decode(n) / (1 - this.prefillShare);
  }

  /**
   * Draws one request's TTFT, queue time and E2E; `onSteps(value, count)` receives its
   * inter-token latencies (grouped when equal), whose sum with the TTFT is its E2E.
   */
  drawRequest(random: Random, onSteps?: (seconds: number, count: number) => void): RequestDraw {
    const timing = this.timing;
    const c = timing.slots;
    const prompt = timing.shape.drawPrompt(random);
    const output = timing.shape.drawOutput(random);
    const k = drawIndex(random, this.stateCdf);
    let queue = 0;
    let n = Math.min(k, c);
    let others: number;
    if (k >= c) {
      // No place: wait for the completions of everyone ahead in the queue, then join the next step.
      const ahead = k - c + this.servedFirst;
      queue = erlang(random, Math.round(ahead) + 1, this.completionRate(c)) * (this.backlog > 0 ? 1 : this.waitScale);
      n = c;
      others = drawIndex(random, this.admitted(c).cdf);
    } else if (k === 0) {
      others = 0;
    } else {
      const current = this.drawCurrentStep(random, n);
      queue = random.next() * current;
      others = random.poisson(this.admissionRate * current);
    }
    const ttft = queue + timing.decode(n) + (prompt + this.promptSum(random, others)) * timing.perPromptToken;
    const life = this.drawObservedState(random);
    const decoding = this.drawSteps(random, life, output - 1, onSteps);
    return { ttft, queue, e2e: ttft + decoding, prompt, output };
  }

  /** One inter-token latency as a random observation sees it. */
  drawObservedStep(random: Random): number {
    const n = this.drawObservedState(random);
    const admitted = drawIndex(random, this.admitted(n).cdf);
    return this.timing.decode(n) + this.promptSum(random, admitted) * this.timing.perPromptToken;
  }

  /** Running, waiting and KV use as a scrape at a random moment reads them. */
  drawGauges(random: Random): { running: number; waiting: number; kvUsage: number } {
    const timing = this.timing;
    const c = timing.slots;
    const k = drawIndex(random, this.stateCdf);
    const running = Math.min(k, c);
    let waiting = Math.floor(Math.max(0, k - c) * this.waitScale + random.next()) + Math.round(this.backlog);
    // Arrivals since the running step began wait for the next one.
    if (running > 0) waiting += random.poisson(this.admissionRate * random.next() * this.meanStep(running));
    let kvUsage: number;
    if (timing.kvLimited && k >= c) {
      // The scheduler admits while a prompt fits: a full cache has less than one prompt free.
      kvUsage = 1 - (random.next() * timing.shape.prompt.mean) / timing.kvCapacity;
    } else {
      kvUsage = Math.min(1, this.kvTokens(random, running) / timing.kvCapacity);
    }
    return { running, waiting, kvUsage };
  }

  /** Completions per second with n running: each finishes after E[O] steps. */
  private completionRate(n: number): number {
    return n / (this.timing.shape.output.mean * this.meanStep(n));
  }

  /** The running sequences (itself included) a running sequence shares its steps with, as its observations see them. */
  private drawObservedState(random: Random): number {
    return Math.max(1, Math.min(drawIndex(random, this.observedCdf), this.timing.slots));
  }

  /** The step running at a random moment, length-biased: longer steps (with prefills) are likelier to be hit. */
  private drawCurrentStep(random: Random, n: number): number {
    const admitted = drawIndex(random, this.admitted(n).lengthBiasedCdf);
    return this.timing.decode(n) + this.promptSum(random, admitted) * this.timing.perPromptToken;
  }

  /**
   * How many prompts a step with `n` running admits: the arrivals during the step before, whose
   * length grows with the prompts it admitted, a branching process with immigration (arrivals
   * during the decode are the immigrants, arrivals during each prefill its offspring). Its
   * stationary law is taken as the negative binomial with that process's mean and variance.
   */
  private admitted(n: number): AdmissionLaw {
    let law = this.admissionLaws.get(n);
    if (!law) {
      const timing = this.timing;
      const immigrants = this.admissionRate * timing.decode(n);
      const offspring = this.prefillShare;
      const perToken = this.admissionRate * timing.perPromptToken;
      const offspringVariance = offspring + perToken * perToken * timing.shape.prompt.variance;
      const mean = immigrants / (1 - offspring);
      const variance = Math.max(mean * (1 + 1e-9), (immigrants + mean * offspringVariance) / (1 - offspring * offspring));
      const probability = negativeBinomial(mean, variance);
      const prefill = timing.meanPrefill();
      law = {
        cdf: cumulative(probability),
        lengthBiasedCdf: cumulative(probability.map((p, j) => p * (timing.decode(n) + j * prefill))),
        mean,
        variance,
        correlation: offspring,
      };
      this.admissionLaws.set(n, law);
    }
    return law;
  }

  /**
   * The `steps` decode steps of a sequence among `n` running: a step is decode(n) unless prompts
   * arrived during the one before, which lengthens it by their prefill. Returns their sum.
   */
  private drawSteps(random: Random, n: number, steps: number, onSteps?: (seconds: number, count: number) => void): number {
    if (steps <= 0) return 0;
    const timing = this.timing;
    const decode = timing.decode(n);
    const law = this.admitted(n);
    if (!onSteps) {
      // Only the sum is wanted: the prompts admitted over the whole life, whose counts are correlated from step to step.
      const mean = steps * law.mean;
      const variance = (steps * law.variance * (1 + law.correlation)) / (1 - law.correlation);
      return steps * decode + this.promptSum(random, overdispersedCount(random, mean, variance)) * timing.perPromptToken;
    }
    const none = law.cdf[0] as number;
    const withPrefill = binomial(random, steps, 1 - none);
    let total = (steps - withPrefill) * decode;
    if (steps > withPrefill) onSteps(decode, steps - withPrefill);
    for (let i = 0; i < withPrefill; i++) {
      const admitted = drawIndexAbove(random, law.cdf, none);
      const value = decode + this.promptSum(random, admitted) * timing.perPromptToken;
      onSteps(value, 1);
      total += value;
    }
    return total;
  }

  /** Total tokens of `count` prompts. */
  private promptSum(random: Random, count: number): number {
    const prompt = this.timing.shape.prompt;
    if (count > SUM_BY_NORMAL) return Math.max(0, count * prompt.mean + Math.sqrt(count * prompt.variance) * random.normal());
    let total = 0;
    for (let i = 0; i < count; i++) total += this.timing.shape.drawPrompt(random);
    return total;
  }

  /** KV tokens of `n` running sequences: each its prompt and the answer so far (an age-biased share of its length). */
  private kvTokens(random: Random, n: number): number {
    const timing = this.timing;
    const mean = timing.kvPerSequence;
    if (n > SUM_BY_NORMAL) return Math.max(0, n * mean + Math.sqrt(n * kvVariance(timing.shape)) * random.normal());
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += timing.shape.drawPrompt(random) + Math.ceil(random.next() * sizeBiasedOutput(random, timing.shape));
    }
    return total;
  }
}

/**
 * The chain's batches: clusters (see `clusterSizeTail`), some arriving two at a time. The members
 * of a cluster start together and leave after their answers' lengths; exponential holding times
 * would part them too soon. The count of an M^X/G/∞ system has variance E + λ·E[B(B−1)]·E[min(S₁,S₂)],
 * where exponential times give E[S]/2 for the last factor: pairing a share of the clusters raises
 * λ·E[B(B−1)] by κ = 2·E[min(O₁,O₂)]/E[O] and keeps the arrival rate.
 */
function persistentClusters(timing: EngineTiming, rate: number): { tail: Float64Array; rate: number } {
  const tail = clusterSizeTail(timing, rate);
  let mean = 0;
  let factorial = 0;
  tail.forEach((g, m) => {
    mean += g;
    factorial += 2 * m * g;
  });
  const output = timing.shape.output.probability;
  let atLeast = 1;
  let sharedSteps = 0;
  for (let o = 1; o < output.length; o++) {
    atLeast -= output[o - 1] as number;
    sharedSteps += atLeast * atLeast;
  }
  const kappa = (2 * sharedSteps) / timing.shape.output.mean;
  const paired = Math.min(0.9, ((kappa - 1) * factorial) / (2 * mean * mean));
  if (paired <= 0) return { tail, rate };
  const double = paired / (1 - paired);
  // sizeBelow[i] = P(B = i + 1), so the pair's (sizeBelow * sizeBelow)[i] = P(B₁ + B₂ = i + 2).
  const sizeBelow = tail.map((g, m) => g - (tail[m + 1] ?? 0));
  const pair = convolve(sizeBelow, sizeBelow, tail.length);
  let below = 0;
  const merged = tail.map((g, m) => {
    if (m >= 2) below += pair[m - 2] as number;
    return (1 - double) * g + double * (1 - below);
  });
  return { tail: merged, rate: rate / (1 + double) };
}

/**
 * P(cluster > m) for m = 0, 1, ...: the arrivals held up by one prompt's prefill and by the
 * prefills of those, the customers of an M/G/1 busy period with Poisson arrivals at `rate` and
 * service of one prefill. By the hitting-time theorem P(size = s) = P(A₁ + … + A_s = s − 1) / s,
 * where A is the number of arrivals during one prefill (Poisson mixed over prompt lengths).
 */
function clusterSizeTail(timing: EngineTiming, rate: number): Float64Array {
  const maxSize = 40;
  const arrivals = new Float64Array(maxSize);
  for (const [tokens, p] of promptSupport(timing.shape)) {
    const mean = rate * tokens * timing.perPromptToken;
    let term = Math.exp(-mean);
    for (let j = 0; j < maxSize; j++) {
      arrivals[j] = (arrivals[j] as number) + p * term;
      term *= mean / (j + 1);
    }
  }
  const tail = new Float64Array(maxSize);
  let power: Float64Array = Float64Array.from(arrivals);
  let below = 0;
  for (let size = 1; size <= maxSize; size++) {
    if (size > 1) power = convolve(power, arrivals, maxSize);
    below += (power[size - 1] as number) / size;
    tail[size - 1] = Math.max(0, 1 - below);
  }
  // tail[m] = P(size > m): shift so that index 0 is P(size > 0) = 1.
  return Float64Array.from({ length: maxSize }, (_, m) => (m === 0 ? 1 : (tail[m - 1] as number)));
}

function convolve(a: Float64Array, b: Float64Array, length: number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const x = a[i] as number;
    if (x === 0) continue;
    for (let j = 0; i + j < length; j++) out[i + j] = (out[i + j] as number) + x * (b[j] as number);
  }
  return out;
}

const supports = new WeakMap<RequestShape, Array<[number, number]>>();
/** The prompt lengths that carry any weight, with their probabilities. */
function promptSupport(shape: RequestShape): Array<[number, number]> {
  let support = supports.get(shape);
  if (!support) {
    support = [];
    shape.prompt.probability.forEach((p, tokens) => {
      if (p > 1e-9) support?.push([tokens, p]);
    });
    supports.set(shape, support);
  }
  return support;
}

interface AdmissionLaw {
  cdf: Float64Array;
  lengthBiasedCdf: Float64Array;
  mean: number;
  variance: number;
  /** Correlation of consecutive steps' admissions (a long prefill step gathers more arrivals for the next). */
  correlation: number;
}

/** Negative binomial probabilities with the given mean and variance (> mean), up to where the tail is negligible. */
function negativeBinomial(mean: number, variance: number): Float64Array {
  const r = (mean * mean) / (variance - mean);
  const q = mean / (r + mean);
  const out: number[] = [];
  let p = Math.exp(r * Math.log(1 - q));
  let total = 0;
  for (let j = 0; j < 400 && total < 1 - 1e-10; j++) {
    out.push(p);
    total += p;
    p *= ((j + r) / (j + 1)) * q;
  }
  return Float64Array.from(out);
}

/** A count with the given mean and variance: Poisson, or gamma-mixed Poisson when over-dispersed. */
function overdispersedCount(random: Random, mean: number, variance: number): number {
  if (mean <= 0) return 0;
  if (variance <= mean * 1.0001) return random.poisson(mean);
  const shape = (mean * mean) / (variance - mean);
  return random.poisson((mean * gamma(random, shape)) / shape);
}

/** An index from a cumulative distribution, given that it is past the first (u drawn above cdf[0]). */
function drawIndexAbove(random: Random, cdf: Float64Array, below: number): number {
  const u = below + random.next() * (1 - below);
  let low = 1;
  let high = cdf.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((cdf[mid] as number) >= u) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * With the KV cache full, the scheduler leaves less than one prompt free (uniform in [0, P));
 * running sequences grow it by one token each per step and one completes every E[O]/n steps.
 * The chance the growth outruns the next completion, E_P[(E[O]/P)(1 − e^(−P/E[O]))], is the
 * share of completions followed by a preemption.
 */
function preemptionChance(timing: EngineTiming): number {
  const { prompt, output } = timing.shape;
  let chance = 0;
  prompt.probability.forEach((p, tokens) => {
    if (p > 0 && tokens > 0) chance += (p * output.mean * (1 - Math.exp(-tokens / output.mean))) / tokens;
  });
  return chance;
}

const kvVariances = new WeakMap<RequestShape, number>();
/** Variance of one running sequence's KV tokens (prompt plus a uniform share of a length-biased answer). */
function kvVariance(shape: RequestShape): number {
  const known = kvVariances.get(shape);
  if (known !== undefined) return known;
  const { output } = shape;
  let first = 0;
  let second = 0;
  output.probability.forEach((p, o) => {
    const biased = (p * o) / output.mean;
    first += (biased * (o + 1)) / 2;
    second += (biased * (o + 1) * (2 * o + 1)) / 6;
  });
  const variance = shape.prompt.variance + second - first * first;
  kvVariances.set(shape, variance);
  return variance;
}

const sizeBiasedCdfs = new WeakMap<RequestShape, Float64Array>();
/** An answer length drawn in proportion to its length: the answer a running sequence at a random moment has. */
function sizeBiasedOutput(random: Random, shape: RequestShape): number {
  let cdf = sizeBiasedCdfs.get(shape);
  if (!cdf) {
    cdf = cumulative(Float64Array.from(shape.output.probability, (p, o) => p * o));
    sizeBiasedCdfs.set(shape, cdf);
  }
  return drawIndex(random, cdf);
}

function cumulative(weights: Float64Array): Float64Array {
  const out = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, i) => {
    total += w;
    out[i] = total;
  });
  if (total > 0) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / total;
  return out;
}
