import type { MetricStore } from '../metrics/embedded/metric-store.ts';
import { deriveSeed, Random } from '../random/seeded-random.ts';
import type { ChangeEventRepository } from '../store/change-event-repository.ts';
import type { DemoDeployment } from './demo-fleet.ts';
import { effectsOf, type FaultName } from './faults.ts';
import type { ServerLog } from './server-log.ts';
import { performanceOf, stepMs } from './serving-model.ts';
import { trafficRhythm } from './traffic-rhythm.ts';
import { HISTOGRAMS, type HistogramName, VllmMetrics } from './vllm-metrics.ts';

const PROMPT_TOKENS = 390;
const OUTPUT_TOKENS = 150;

/** The past incident every fresh demo has: a bad deploy of mistral-7b three days ago at 14:00, rolled back at 14:47. */
export function pastIncident(now: Date) {
  const start = new Date(now);
  start.setDate(start.getDate() - 3);
  start.setHours(14, 0, 0, 0);
  return {
    deployment: 'mistral-7b',
    fault: 'bad_deploy' as FaultName,
    badVersion: 'v5',
    goodVersion: 'v4',
    start,
    end: new Date(start.getTime() + 47 * 60_000),
  };
}

export interface BackfillOptions {
  store: MetricStore;
  changes: ChangeEventRepository;
  deployments: ReadonlyArray<{ deployment: DemoDeployment; log: ServerLog }>;
  days: number;
  intervalSeconds: number;
  seed: number;
  now: Date;
}

/**
 * Writes `days` of history for each demo deployment, one snapshot per scrape interval,
 * from the same serving model the live servers use: traffic follows the daily and weekly
 * rhythm, latencies follow the load. Per interval it draws how many requests arrived and
 * spreads them over the histogram buckets by a log-normal law around the model's mean,
 * so quantiles, rates and gauges come out as the live fleet's do. Targets that already
 * have samples are left alone.
 */
export function backfillHistory(options: BackfillOptions): { snapshots: number } {
  const incident = pastIncident(options.now);
  const end = Math.floor(options.now.getTime() / 1000 / options.intervalSeconds) * options.intervalSeconds;
  const start = end - options.days * 86_400;
  let snapshots = 0;
  for (const { deployment, log } of options.deployments) {
    const target = options.store.upsertTarget(`demo:${deployment.name}`, deployment.name, 'http://127.0.0.1:0');
    if (options.store.extent(target.id)) continue;
    const performance = performanceOf(deployment);
    const random = new Random(deriveSeed(options.seed, `history:${deployment.name}`));
    const metrics = new VllmMetrics(deployment.name);
    const keys = metrics.keys();
    const hadIncident = deployment.name === incident.deployment;
    options.store.batch(() => {
      for (let t = start; t <= end; t += options.intervalSeconds) {
        const at = new Date(t * 1000);
        const inIncident = hadIncident && at >= incident.start && at < incident.end;
        const effects = effectsOf(inIncident ? [incident.fault] : []);
        const rate = deployment.peakRatePerSecond * trafficRhythm(at) * effects.trafficMultiplier;
        const state = steadyState(deployment, performance, rate, effects.slowdown, effects.kvCapacityFactor);
        const arrivals = random.poisson(rate * options.intervalSeconds);
        record(metrics, random, arrivals, state);
        options.store.append(target.id, t, keys, metrics.values());
        snapshots++;
      }
    });
    if (hadIncident) writeIncident(options, log, incident);
  }
  return { snapshots };
}

interface SteadyState {
  running: number;
  waiting: number;
  ttft: number;
  itl: number;
  e2e: number;
  queue: number;
  kvUsage: number;
  preemptionsPerSecond: number;
}

/** Mean behaviour of a server at a given arrival rate: a fixed point of Little's law and the step-time model. */
function steadyState(
  deployment: DemoDeployment,
  performance: ReturnType<typeof performanceOf>,
  rate: number,
  slowdown: number,
  kvFactor: number,
): SteadyState {
  const kvPerSequence = PROMPT_TOKENS + OUTPUT_TOKENS / 2;
  const kvSlots = Math.max(1, Math.floor((performance.kvCapacityTokens * kvFactor) / kvPerSequence));
  const slots = Math.min(deployment.maxNumSeqs, kvSlots);
  const prefillShare = Math.min(0.9, (rate * PROMPT_TOKENS) / performance.prefillTokensPerSecond);
  let running = Math.min(slots, rate * 2);
  let itl = 0;
  let service = 0;
  for (let i = 0; i < 40; i++) {
    itl = stepMs(performance, Math.max(1, running), 0, slowdown) / 1000 / (1 - prefillShare);
    const prefill = (PROMPT_TOKENS / performance.prefillTokensPerSecond) * slowdown;
    service = prefill + itl * OUTPUT_TOKENS;
    running = Math.min(slots, rate * service);
  }
  const utilisation = (rate * service) / slots;
  // Past saturation the queue grows; a bounded backlog stands in for its mean over the interval.
  const waiting =
    utilisation >= 1
      ? Math.min(500, (utilisation - 1) * slots * 10)
      : utilisation > 0.8
        ? (utilisation ** 4 / (1 - utilisation)) * 0.5
        : 0;
  const queue = waiting > 0 ? waiting / Math.max(rate, 1e-6) : 0;
  const ttft = queue + (PROMPT_TOKENS / performance.prefillTokensPerSecond) * slowdown + itl;
  return {
    running,
    waiting,
    ttft,
    itl,
    e2e: ttft + itl * (OUTPUT_TOKENS - 1),
    queue,
    kvUsage: Math.min(1, (running * kvPerSequence) / (performance.kvCapacityTokens * kvFactor)),
    preemptionsPerSecond:
      kvSlots < deployment.maxNumSeqs && rate * service > kvSlots ? ((rate * service - kvSlots) / service) * 0.5 : 0,
  };
}

function record(metrics: VllmMetrics, random: Random, arrivals: number, state: SteadyState): void {
  if (arrivals > 0) {
    spread(metrics, random, 'vllm:time_to_first_token_seconds', arrivals, state.ttft, 0.45);
    spread(metrics, random, 'vllm:inter_token_latency_seconds', arrivals * (OUTPUT_TOKENS - 1), state.itl, 0.25);
    spread(metrics, random, 'vllm:e2e_request_latency_seconds', arrivals, state.e2e, 0.4);
    spread(metrics, random, 'vllm:request_queue_time_seconds', arrivals, Math.max(state.queue, 0.001), 0.6);
    const stopped = Math.round(arrivals * 0.7);
    metrics.finish('stop', stopped);
    metrics.finish('length', arrivals - stopped);
    metrics.httpResponse('2xx', arrivals);
    metrics.inc('vllm:prompt_tokens_total', arrivals * PROMPT_TOKENS);
    metrics.inc('vllm:generation_tokens_total', arrivals * OUTPUT_TOKENS);
  }
  const preemptions = random.poisson(state.preemptionsPerSecond * 60);
  if (preemptions > 0) metrics.inc('vllm:num_preemptions_total', preemptions);
  metrics.setGauge('vllm:num_requests_running', Math.round(state.running));
  metrics.setGauge('vllm:num_requests_waiting', Math.round(state.waiting));
  metrics.setGauge('vllm:kv_cache_usage_perc', state.kvUsage);
}

/**
 * Distributes `count` observations over a histogram's buckets by a log-normal law with the
 * given mean: small counts are drawn one by one, large ones by largest remainders, so that
 * every bucket's share is right and none collects the rounding (as +Inf otherwise would).
 */
function spread(metrics: VllmMetrics, random: Random, name: HistogramName, count: number, mean: number, sigma: number): void {
  const bounds = HISTOGRAMS[name].buckets;
  const counts = new Array<number>(bounds.length + 1).fill(0);
  let sum = 0;
  if (count <= 64) {
    for (let i = 0; i < count; i++) {
      const value = random.logNormal(mean, sigma);
      sum += value;
      const index = bounds.findIndex((bound) => value <= bound);
      const slot = index < 0 ? bounds.length : index;
      counts[slot] = (counts[slot] as number) + 1;
    }
  } else {
    const mu = Math.log(mean) - (sigma * sigma) / 2;
    let previous = 0;
    const expected = bounds.map((bound) => {
      const cdf = normalCdf((Math.log(bound) - mu) / sigma);
      const share = cdf - previous;
      previous = cdf;
      return share * count;
    });
    expected.push((1 - previous) * count);
    expected.forEach((value, index) => {
      counts[index] = Math.floor(value);
    });
    let missing = count - counts.reduce((a, b) => a + b, 0);
    const byRemainder = expected
      .map((value, index) => ({ index, remainder: value - Math.floor(value) + random.next() * 1e-6 }))
      .sort((a, b) => b.remainder - a.remainder);
    for (const { index } of byRemainder) {
      if (missing <= 0) break;
      counts[index] = (counts[index] as number) + 1;
      missing--;
    }
    sum = count * mean;
  }
  metrics.observeMany(name, counts, sum);
}

function normalCdf(x: number): number {
  // Abramowitz and Stegun 7.1.26, accurate to 1.5e-7.
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function writeIncident(options: BackfillOptions, log: ServerLog, incident: ReturnType<typeof pastIncident>): void {
  const at = (minutes: number, seconds = 0) => new Date(incident.start.getTime() + minutes * 60_000 + seconds * 1000);
  options.changes.add({
    time: incident.start,
    kind: 'deployment_change',
    target: incident.deployment,
    description: `deploy ${incident.deployment} ${incident.badVersion} (was ${incident.goodVersion})`,
    actor: 'alice',
    source: 'demo',
  });
  options.changes.add({
    time: incident.end,
    kind: 'deployment_change',
    target: incident.deployment,
    description: `rollback ${incident.deployment} to ${incident.goodVersion} after latency alert`,
    actor: 'bob',
    source: 'demo',
  });
  const lines: Parameters<ServerLog['writeAll']>[0] = [
    {
      level: 'INFO',
      source: 'api_server.py:1880',
      message: `Starting vLLM API server ${incident.badVersion} on http://127.0.0.1:8000`,
      at: at(0, 2),
    },
    {
      level: 'WARNING',
      source: 'selector.py:165',
      message: 'Cannot use FlashAttention-2 backend for this configuration; falling back to XFORMERS backend.',
      at: at(0, 5),
    },
  ];
  for (let minute = 1; minute < 47; minute += 3) {
    lines.push({
      level: 'INFO',
      source: 'loggers.py:116',
      message: `Engine 000: Avg prompt throughput: 610.2 tokens/s, Avg generation throughput: 231.7 tokens/s, Running: 48 reqs, Waiting: ${20 + minute} reqs, GPU KV cache usage: 97.${minute % 10}%, Prefix cache hit rate: 0.0%`,
      at: at(minute),
    });
    lines.push({
      level: 'WARNING',
      source: 'scheduler.py:1560',
      message: `Sequence group ${4000 + minute} is preempted by PreemptionMode.RECOMPUTE mode because there is not enough KV cache space.`,
      at: at(minute, 30),
    });
  }
  lines.push({ level: 'INFO', source: 'launcher.py:80', message: 'Shutting down FastAPI HTTP server.', at: at(47, -5) });
  lines.push({
    level: 'INFO',
    source: 'api_server.py:1880',
    message: `Starting vLLM API server ${incident.goodVersion} on http://127.0.0.1:8000`,
    at: at(47, 10),
  });
  log.writeAll(lines);
}
