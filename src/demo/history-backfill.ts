import type { MetricStore } from '../metrics/embedded/metric-store.ts';
import { deriveSeed, Random } from '../random/seeded-random.ts';
import type { ChangeEventRepository } from '../store/change-event-repository.ts';
import type { DemoDeployment } from './demo-fleet.ts';
import { effectsOf, type FaultEffects, type FaultName } from './faults.ts';
import { DeploymentHistoryModel, type IntervalState } from './history-model.ts';
import { trafficRequestShape } from './request-shape.ts';
import type { ServerLog } from './server-log.ts';
import { LOG_MESSAGES } from './server-log-messages.ts';
import { trafficRhythm } from './traffic-rhythm.ts';
import { VllmMetrics } from './vllm-metrics.ts';

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

/** The engine's state through an interval, as its stats log line reports it. */
interface LoggedState extends IntervalState {
  rate: number;
  effects: FaultEffects;
}

/**
 * Writes `days` of history for each demo deployment, one snapshot per scrape interval, as its
 * live server would have recorded it: traffic follows the daily and weekly rhythm, and the
 * requests of each interval are served by the engine's law at that rate (history-model.ts,
 * engine-law.ts), derived from the same serving model, scheduler and request lengths as the
 * live servers, so quantiles, rates and gauges continue where the live fleet starts. Targets
 * that already have samples are left alone.
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
    const seed = deriveSeed(options.seed, `history:${deployment.name}`);
    const model = new DeploymentHistoryModel(deployment, seed);
    const random = new Random(seed);
    const metrics = new VllmMetrics(deployment.name);
    const keys = metrics.keys();
    const own = incidents.filter((incident) => incident.deployment === deployment.name);
    const effectsAt = (at: Date) => effectsOf(own.filter((i) => at >= i.start && at < i.end).map((i) => i.fault));
    // The stretches whose engine state the incidents' logs print.
    const logged = own.map((incident) => ({
      from: incident.start.getTime() / 1000 - LOG_BASELINE_MINUTES * 60,
      to: Math.min(incident.end.getTime() / 1000 + 600, options.now.getTime() / 1000),
    }));
    const states = new Map<number, LoggedState>();
    options.store.batch(() => {
      for (let t = start; t <= end; t += options.intervalSeconds) {
        const at = new Date(t * 1000);
        const effects = effectsAt(at);
        const rate = deployment.peakRatePerSecond * trafficRhythm(at) * effects.trafficMultiplier;
        const state = model.interval(metrics, random, rate, effects, options.intervalSeconds);
        options.store.append(target.id, t, keys, metrics.values());
        if (logged.some((window) => t >= window.from - options.intervalSeconds && t <= window.to))
          states.set(t, { ...state, rate, effects });
        snapshots++;
      }
    });
    const stateAt = (at: Date): LoggedState | undefined => {
      const t = start + Math.floor((at.getTime() / 1000 - start) / options.intervalSeconds) * options.intervalSeconds;
      return states.get(t);
    };
    for (const incident of own) writeIncident(options, log, incident, stateAt, random);
  }
  return { snapshots };
}

function writeIncident(
  options: BackfillOptions,
  log: ServerLog,
  incident: DemoIncident,
  stateAt: (at: Date) => LoggedState | undefined,
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
  const shape = trafficRequestShape();
  let sequence = 4000;
  for (let ms = startMs - LOG_BASELINE_MINUTES * 60_000; ms <= lastMs; ms += 60_000) {
    const at = new Date(ms);
    const state = stateAt(at);
    if (!state) continue;
    const { effects, rate } = state;
    const served = state.served / options.intervalSeconds;
    add(
      'INFO',
      LOG_MESSAGES.stats({
        prompt: served * shape.prompt.mean,
        generation: served * shape.output.mean,
        running: state.running,
        waiting: state.waiting,
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
