import { deriveSeed, Random } from '../random/seeded-random.ts';
import { binomial, multinomial } from './count-draws.ts';
import { EngineLaw, EngineTiming } from './engine-law.ts';
import type { FaultEffects } from './faults.ts';
import { type RequestShape, trafficRequestShape } from './request-shape.ts';
import { type Performance, performanceOf, type ServerConfig } from './serving-model.ts';
import { HISTOGRAMS, type HistogramName, type VllmMetrics } from './vllm-metrics.ts';

/** What a scrape at the end of an interval reads of the engine's state, and what the logs print. */
export interface IntervalState {
  running: number;
  waiting: number;
  kvUsage: number;
  preemptionsPerSecond: number;
  /** Requests the engine served in the interval. */
  served: number;
}

const LATENCIES = {
  ttft: 'vllm:time_to_first_token_seconds',
  queue: 'vllm:request_queue_time_seconds',
  e2e: 'vllm:e2e_request_latency_seconds',
  itl: 'vllm:inter_token_latency_seconds',
} as const satisfies Record<string, HistogramName>;
type Latency = keyof typeof LATENCIES;
const LATENCY_KEYS = Object.keys(LATENCIES) as Latency[];

/** One histogram under a law: each bucket's share and the mean of the values in it (for `_sum`). */
interface BucketTable {
  share: Float64Array;
  meanValue: Float64Array;
}

interface TabulatedLaw {
  law: EngineLaw;
  tables: Record<Latency, BucketTable>;
}

/** Rates are tabulated on a grid this fine (see `gridCoordinate`) and mixed linearly between neighbours. */
const GRID_RATIO = 1.1;
const GRID_FLOOR = 0.005;
/** Up to this many requests an interval's requests are drawn one by one; above, counts are split over the tabulated buckets. */
const DRAW_EACH_UP_TO = 24;
/** Requests and inter-token observations simulated per tabulated rate. */
const TABLE_REQUESTS = 3000;
const TABLE_STEPS = 6000;

/**
 * The history of one deployment as its live server would have recorded it: per scrape interval,
 * requests arrive (Poisson), fail as the active faults make them fail, and the rest are served
 * by the engine law at that rate. Small counts are drawn request by request; large counts are
 * split over the histogram buckets of the law's tabulated distributions (binomial splits of a
 * mixture of the two nearest tabulated rates). Arrivals beyond the engine's capacity queue up
 * and are served at capacity, so a surge builds a backlog that drains after it.
 */
export class DeploymentHistoryModel {
  private readonly shape: RequestShape = trafficRequestShape();
  private readonly performance: Performance;
  private readonly timings = new Map<string, EngineTiming>();
  private readonly grids = new Map<string, Map<number, TabulatedLaw | null>>();
  private backlog = 0;
  /** Reused per interval: the mixture's bucket shares and masses, and the split counts. */
  private readonly scratch = Object.fromEntries(
    LATENCY_KEYS.map((latency) => {
      const buckets = HISTOGRAMS[LATENCIES[latency]].buckets.length + 1;
      return [latency, { share: new Float64Array(buckets), mass: new Float64Array(buckets), counts: new Float64Array(buckets) }];
    }),
  ) as Record<Latency, { share: Float64Array; mass: Float64Array; counts: Float64Array }>;

  constructor(
    private readonly deployment: ServerConfig,
    private readonly seed: number,
  ) {
    this.performance = performanceOf(deployment);
  }

  /** Records `seconds` of traffic at `rate` requests per second under `effects` into `metrics`, and returns the state at its end. */
  interval(metrics: VllmMetrics, random: Random, rate: number, effects: FaultEffects, seconds: number): IntervalState {
    const arrivals = random.poisson(rate * seconds);
    const failureProbability = Math.min(1, effects.errorProbability + effects.dependencyTimeoutProbability);
    // Failed requests (a GPU error, a dependency timeout) end with a 5xx and no latency observations, as on a live server.
    const failed = binomial(random, arrivals, failureProbability);
    if (failed > 0) {
      metrics.httpResponse('5xx', failed);
      metrics.finish('abort', failed);
    }
    const entering = arrivals - failed;
    const engineRate = rate * (1 - failureProbability);
    const timing = this.timing(effects);
    const steady = this.backlog === 0 ? this.steadyLaws(timing, effects, engineRate) : undefined;
    let served: number;
    let pick: (random: Random) => EngineLaw;
    let tables: Array<{ weight: number; tables: Record<Latency, BucketTable> }> | undefined;
    if (steady) {
      served = entering;
      pick = (r) => (r.next() < steady.upperWeight ? steady.upper.law : steady.lower.law);
      tables = [
        { weight: 1 - steady.upperWeight, tables: steady.lower.tables },
        { weight: steady.upperWeight, tables: steady.upper.tables },
      ];
    } else {
      // Saturated: every slot taken, the queue grows by what arrives beyond the capacity (or drains).
      const start = this.backlog;
      served = Math.min(entering + start, Math.round(timing.capacity * seconds));
      this.backlog = start + entering - served;
      const law = EngineLaw.saturated(timing, (start + this.backlog) / 2, engineRate);
      pick = () => law;
    }
    if (served > 0) {
      if (served <= DRAW_EACH_UP_TO || !tables) this.drawEach(metrics, random, served, pick);
      else this.split(metrics, random, served, tables);
      metrics.httpResponse('2xx', served);
    }
    const gaugeLaw = pick(random);
    const gauges = gaugeLaw.drawGauges(random);
    metrics.setGauge('vllm:num_requests_running', gauges.running);
    metrics.setGauge('vllm:num_requests_waiting', gauges.waiting);
    metrics.setGauge('vllm:kv_cache_usage_perc', gauges.kvUsage);
    const preemptions = random.poisson(gaugeLaw.preemptionsPerSecond * seconds);
    if (preemptions > 0) metrics.inc('vllm:num_preemptions_total', preemptions);
    return { ...gauges, preemptionsPerSecond: gaugeLaw.preemptionsPerSecond, served };
  }

  /** Every request drawn on its own: exact latencies and token counts. */
  private drawEach(metrics: VllmMetrics, random: Random, count: number, pick: (random: Random) => EngineLaw): void {
    let prompt = 0;
    let generated = 0;
    let cut = 0;
    const onSteps = (value: number, times: number) => metrics.observe(LATENCIES.itl, value, times);
    for (let i = 0; i < count; i++) {
      const request = pick(random).drawRequest(random, onSteps);
      metrics.observe(LATENCIES.ttft, request.ttft);
      metrics.observe(LATENCIES.queue, request.queue);
      metrics.observe(LATENCIES.e2e, request.e2e);
      prompt += request.prompt;
      generated += request.output;
      if (request.output >= this.shape.maxTokens) cut++;
    }
    this.finish(metrics, count, prompt, generated, cut);
  }

  /** Many requests at once: counts split over the tabulated buckets, token totals drawn as sums. */
  private split(
    metrics: VllmMetrics,
    random: Random,
    count: number,
    mixture: Array<{ weight: number; tables: Record<Latency, BucketTable> }>,
  ): void {
    const { prompt, output } = this.shape;
    const observations: Record<Latency, number> = {
      ttft: count,
      queue: count,
      e2e: count,
      // Every token after the first is one inter-token observation.
      itl: sumOf(random, count, output.mean - 1, output.variance),
    };
    for (const latency of LATENCY_KEYS) {
      const buckets = HISTOGRAMS[LATENCIES[latency]].buckets.length + 1;
      const { share, mass, counts } = this.scratch[latency];
      share.fill(0);
      mass.fill(0);
      counts.fill(0);
      for (const { weight, tables } of mixture) {
        if (weight === 0) continue;
        const table = tables[latency];
        for (let b = 0; b < buckets; b++) {
          const part = weight * (table.share[b] as number);
          share[b] = (share[b] as number) + part;
          mass[b] = (mass[b] as number) + part * (table.meanValue[b] as number);
        }
      }
      multinomial(random, observations[latency], share, counts);
      let sum = 0;
      for (let b = 0; b < buckets; b++) {
        const n = counts[b] as number;
        if (n > 0) sum += (n * (mass[b] as number)) / (share[b] as number);
      }
      metrics.observeMany(LATENCIES[latency], counts, sum);
    }
    const cut = binomial(random, count, this.shape.lengthShare);
    this.finish(
      metrics,
      count,
      sumOf(random, count, prompt.mean, prompt.variance),
      sumOf(random, count, output.mean, output.variance),
      cut,
    );
  }

  private finish(metrics: VllmMetrics, count: number, prompt: number, generated: number, cut: number): void {
    metrics.finish('length', cut);
    metrics.finish('stop', count - cut);
    metrics.inc('vllm:prompt_tokens_total', prompt);
    metrics.inc('vllm:generation_tokens_total', generated);
  }

  private timing(effects: FaultEffects): EngineTiming {
    const key = effectsKey(effects);
    let timing = this.timings.get(key);
    if (!timing) {
      timing = new EngineTiming(
        {
          performance: this.performance,
          maxNumSeqs: this.deployment.maxNumSeqs,
          slowdown: effects.slowdown,
          kvCapacityFactor: effects.kvCapacityFactor,
        },
        this.shape,
      );
      this.timings.set(key, timing);
    }
    return timing;
  }

  /** The tabulated laws at the grid rates around `rate` and the weight of the upper one; undefined at or past capacity. */
  private steadyLaws(timing: EngineTiming, effects: FaultEffects, rate: number) {
    if (rate >= timing.capacity) return undefined;
    const position = Math.max(0, (gridCoordinate(rate, timing) - Math.log(GRID_FLOOR)) / Math.log(GRID_RATIO));
    const index = Math.floor(position);
    const lower = this.tabulated(timing, effects, index);
    if (!lower) return undefined;
    const upper = this.tabulated(timing, effects, index + 1);
    return upper ? { lower, upper, upperWeight: position - index } : { lower, upper: lower, upperWeight: 0 };
  }

  private tabulated(timing: EngineTiming, effects: FaultEffects, index: number): TabulatedLaw | undefined {
    const key = effectsKey(effects);
    let grid = this.grids.get(key);
    if (!grid) {
      grid = new Map();
      this.grids.set(key, grid);
    }
    const known = grid.get(index);
    if (known !== undefined) return known ?? undefined;
    const law = EngineLaw.steady(timing, gridRate(Math.log(GRID_FLOOR) + index * Math.log(GRID_RATIO), timing));
    const tabulated = law ? { law, tables: tabulate(law, new Random(deriveSeed(this.seed, `${key}#${index}`))) } : null;
    grid.set(index, tabulated);
    return tabulated ?? undefined;
  }
}

/**
 * Where a rate sits on the grid: ln(rate) − ln(1 − rate/capacity), the log of the rate while the
 * engine is far from full and of the distance to capacity near it, where queueing changes fast.
 */
function gridCoordinate(rate: number, timing: EngineTiming): number {
  const clamped = Math.max(rate, GRID_FLOOR);
  return Math.log(clamped) - Math.log(1 - clamped / timing.capacity);
}

/** The rate at a grid coordinate (the inverse of `gridCoordinate`). */
function gridRate(coordinate: number, timing: EngineTiming): number {
  const scaled = Math.exp(coordinate);
  return scaled / (1 + scaled / timing.capacity);
}

/** The law's latency distributions over each histogram's buckets, from simulated requests and steps. */
function tabulate(law: EngineLaw, random: Random): Record<Latency, BucketTable> {
  const tallies = {} as Record<Latency, { counts: Float64Array; sums: Float64Array }>;
  for (const latency of LATENCY_KEYS) {
    const buckets = HISTOGRAMS[LATENCIES[latency]].buckets.length + 1;
    tallies[latency] = { counts: new Float64Array(buckets), sums: new Float64Array(buckets) };
  }
  const add = (latency: Latency, value: number) => {
    const index = bucketOf(LATENCIES[latency], value);
    const tally = tallies[latency];
    tally.counts[index] = (tally.counts[index] as number) + 1;
    tally.sums[index] = (tally.sums[index] as number) + value;
  };
  for (let i = 0; i < TABLE_REQUESTS; i++) {
    const request = law.drawRequest(random);
    add('ttft', request.ttft);
    add('queue', request.queue);
    add('e2e', request.e2e);
  }
  for (let i = 0; i < TABLE_STEPS; i++) add('itl', law.drawObservedStep(random));
  const tables = {} as Record<Latency, BucketTable>;
  for (const latency of LATENCY_KEYS) {
    const { counts, sums } = tallies[latency];
    const total = counts.reduce((a, b) => a + b, 0);
    tables[latency] = {
      share: counts.map((c) => c / total),
      meanValue: counts.map((c, i) => (c > 0 ? (sums[i] as number) / c : 0)),
    };
  }
  return tables;
}

function bucketOf(name: HistogramName, value: number): number {
  const bounds = HISTOGRAMS[name].buckets;
  for (let i = 0; i < bounds.length; i++) if (value <= (bounds[i] as number)) return i;
  return bounds.length;
}

/** The sum of `count` independent draws with the given mean and variance (normal for such counts), rounded. */
function sumOf(random: Random, count: number, mean: number, variance: number): number {
  return Math.max(0, Math.round(count * mean + Math.sqrt(count * variance) * random.normal()));
}

function effectsKey(effects: FaultEffects): string {
  return `${effects.slowdown}/${effects.kvCapacityFactor}`;
}
