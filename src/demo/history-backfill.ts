import { normalCdf } from '../analysis/math/normal.ts';
import type { MetricStore } from '../metrics/embedded/metric-store.ts';
import { deriveSeed, Random } from '../random/seeded-random.ts';
import type { ChangeEventRepository } from '../store/change-event-repository.ts';
import type { DemoDeployment } from './demo-fleet.ts';
import { effectsOf, type FaultName } from './faults.ts';
import type { ServerLog } from './server-log.ts';
import { LOG_MESSAGES } from './server-log-messages.ts';
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

/**
 * A fault in the history: the same effects as injecting it into a live server, from `start` to
 * `end`, with the log lines it would print. A bad deploy is a deploy (a change event) of
 * `deploy.version`, rolled back at `end` when `end` is in the past.
 */
export interface DemoIncident {
  deployment: string;
  fault: FaultName;
  start: Date;
  end: Date;
  deploy?: { version: string; previous: string; actor: string; rolledBackBy?: string } | undefined;
}

export interface BackfillOptions {
  store: MetricStore;
  changes: ChangeEventRepository;
  deployments: ReadonlyArray<{ deployment: DemoDeployment; log: ServerLog }>;
  days: number;
  intervalSeconds: number;
  seed: number;
  now: Date;
  /** Faults in the history; default the one past incident every demo has. */
  incidents?: readonly DemoIncident[] | undefined;
}

/** The minutes of ordinary engine logs written before an incident, so its lines have a baseline to stand out from. */
const LOG_BASELINE_MINUTES = 180;

/**
 * Writes `days` of history for each demo deployment, one snapshot per scrape interval,
 * from the same serving model the live servers use: traffic follows the daily and weekly
 * rhythm, latencies follow the load. Per interval it draws how many requests arrived and
 * spreads them over the histogram buckets by a log-normal law around the model's mean,
 * so quantiles, rates and gauges come out as the live fleet's do. Targets that already
 * have samples are left alone.
 */
export function backfillHistory(options: BackfillOptions): { snapshots: number } {
  const past = pastIncident(options.now);
  const incidents: readonly DemoIncident[] = options.incidents ?? [
    {
      deployment: past.deployment,
      fault: past.fault,
      start: past.start,
      end: past.end,
      deploy: { version: past.badVersion, previous: past.goodVersion, actor: 'alice', rolledBackBy: 'bob' },
    },
  ];
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
    const own = incidents.filter((incident) => incident.deployment === deployment.name);
    const stateAt = (at: Date) => {
      const effects = effectsOf(own.filter((i) => at >= i.start && at < i.end).map((i) => i.fault));
      const rate = deployment.peakRatePerSecond * trafficRhythm(at) * effects.trafficMultiplier;
      return { effects, rate, state: steadyState(deployment, performance, rate, effects.slowdown, effects.kvCapacityFactor) };
    };
    options.store.batch(() => {
      for (let t = start; t <= end; t += options.intervalSeconds) {
        const { effects, rate, state } = stateAt(new Date(t * 1000));
        const arrivals = random.poisson(rate * options.intervalSeconds);
        record(metrics, random, arrivals, state, effects.errorProbability + effects.dependencyTimeoutProbability);
        options.store.append(target.id, t, keys, metrics.values());
        snapshots++;
      }
    });
    for (const incident of own) writeIncident(options, log, incident, stateAt, random);
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

function record(metrics: VllmMetrics, random: Random, total: number, state: SteadyState, failureProbability: number): void {
  // Failed requests (a GPU error, a dependency timeout) end with a 5xx and no latency observations, as on a live server.
  let failed = 0;
  for (let i = 0; i < total && failureProbability > 0; i++) if (random.next() < failureProbability) failed++;
  if (failed > 0) {
    metrics.httpResponse('5xx', failed);
    metrics.finish('abort', failed);
  }
  const arrivals = total - failed;
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

function writeIncident(
  options: BackfillOptions,
  log: ServerLog,
  incident: DemoIncident,
  stateAt: (at: Date) => { effects: ReturnType<typeof effectsOf>; rate: number; state: SteadyState },
  random: Random,
): void {
  const { deploy } = incident;
  const ended = incident.end <= options.now;
  if (deploy) {
    options.changes.add({
      time: incident.start,
      kind: 'deployment_change',
      target: incident.deployment,
      description: `deploy ${incident.deployment} ${deploy.version} (was ${deploy.previous})`,
      actor: deploy.actor,
      source: 'demo',
    });
    if (ended)
      options.changes.add({
        time: incident.end,
        kind: 'deployment_change',
        target: incident.deployment,
        description: `rollback ${incident.deployment} to ${deploy.previous} after latency alert`,
        actor: deploy.rolledBackBy ?? deploy.actor,
        source: 'demo',
      });
  }
  const lines: Parameters<ServerLog['writeAll']>[0] = [];
  const add = (level: 'INFO' | 'WARNING' | 'ERROR', line: { source: string; message: string }, at: Date) =>
    lines.push({ level, ...line, at });
  const startMs = incident.start.getTime();
  const lastMs = Math.min(incident.end.getTime() + 10 * 60_000, options.now.getTime());
  if (deploy) {
    add('INFO', LOG_MESSAGES.starting(deploy.version, 'http://127.0.0.1:8000'), new Date(startMs + 2000));
  }
  if (incident.fault === 'bad_deploy') add('WARNING', LOG_MESSAGES.attentionFallback(), new Date(startMs + 5000));
  if (incident.fault === 'gpu_xid') add('ERROR', LOG_MESSAGES.xid(), new Date(startMs + 1000));
  let sequence = 4000;
  for (let ms = startMs - LOG_BASELINE_MINUTES * 60_000; ms <= lastMs; ms += 60_000) {
    const at = new Date(ms);
    const { effects, rate, state } = stateAt(at);
    add(
      'INFO',
      LOG_MESSAGES.stats({
        prompt: rate * PROMPT_TOKENS,
        generation: rate * OUTPUT_TOKENS,
        running: Math.round(state.running),
        waiting: Math.round(state.waiting),
        kvUsage: state.kvUsage,
      }),
      at,
    );
    if (at < incident.start || at >= incident.end) continue;
    // At most a few lines a minute of each kind: enough to mine, not a flood.
    const perMinute = (expected: number) => Math.min(6, random.poisson(expected));
    for (let i = perMinute(state.preemptionsPerSecond * 60); i > 0; i--)
      add('WARNING', LOG_MESSAGES.preempted(sequence++), new Date(ms + 5000 * i));
    for (let i = perMinute(rate * 60 * effects.errorProbability); i > 0; i--)
      add('ERROR', LOG_MESSAGES.cudaError(`chatcmpl-sim${sequence++}`), new Date(ms + 7000 * i));
    for (let i = perMinute(rate * 60 * effects.dependencyTimeoutProbability); i > 0; i--)
      add('ERROR', LOG_MESSAGES.moderationTimeout(), new Date(ms + 8000 * i));
  }
  if (deploy && ended) {
    add('INFO', LOG_MESSAGES.shuttingDown(), new Date(incident.end.getTime() - 5000));
    add('INFO', LOG_MESSAGES.starting(deploy.previous, 'http://127.0.0.1:8000'), new Date(incident.end.getTime() + 10_000));
  }
  log.writeAll(lines.sort((a, b) => a.at.getTime() - b.at.getTime()));
}
