import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.ts';
import { deriveSeed } from '../random/seeded-random.ts';
import { type FleetDescription, fleetFilePath } from './fleet-file.ts';
import { type BackfillOptions, backfillHistory } from './history-backfill.ts';
import { ServerLog } from './server-log.ts';
import type { ServerConfig } from './serving-model.ts';
import { SimulatedServer } from './simulated-server.ts';
import { TrafficGenerator } from './traffic-generator.ts';

/** One deployment of the demo fleet: what it serves, where, on what, and its usual traffic. */
export interface DemoDeployment extends ServerConfig {
  name: string;
  environment: 'prod' | 'staging' | 'dev';
  version: string;
  /** Requests per second at the daily peak on a weekday. */
  peakRatePerSecond: number;
}

export const DEMO_DEPLOYMENTS: readonly DemoDeployment[] = [
  {
    name: 'llama-3-8b',
    environment: 'prod',
    version: 'v2',
    model: 'llama-3-8b',
    gpu: 'A100-80GB',
    gpuCount: 1,
    dtype: 'bf16',
    maxNumSeqs: 64,
    maxNumBatchedTokens: 8192,
    peakRatePerSecond: 3,
  },
  {
    name: 'mistral-7b',
    environment: 'prod',
    version: 'v4',
    model: 'mistral-7b',
    gpu: 'L40S',
    gpuCount: 1,
    dtype: 'bf16',
    maxNumSeqs: 48,
    maxNumBatchedTokens: 8192,
    peakRatePerSecond: 2,
  },
  {
    name: 'qwen2-7b',
    environment: 'staging',
    version: 'v1',
    model: 'qwen2-7b',
    gpu: 'L4',
    gpuCount: 1,
    dtype: 'fp8',
    maxNumSeqs: 32,
    maxNumBatchedTokens: 4096,
    peakRatePerSecond: 0.5,
  },
];

export interface FleetMember {
  deployment: DemoDeployment;
  /** The in-process server the fleet started with; gone once the local runtime rolled out a replacement. */
  server: SimulatedServer | undefined;
  /** Base URLs of the replicas serving now. */
  urls: string[];
  log: ServerLog;
  traffic: TrafficGenerator;
}

/**
 * The embedded default's fleet: one simulated vLLM server per deployment on a loopback
 * port, each driven by its own traffic generator, logging to `DATA_DIR/demo/logs/`.
 */
export class DemoFleet {
  readonly members: FleetMember[] = [];

  constructor(
    private readonly options: {
      dataDir: string;
      seed: number;
      logger: Logger;
      deployments?: readonly DemoDeployment[];
      traffic?: boolean;
      /** Writes history before the servers start, when the store has none for them. */
      backfill?: Omit<BackfillOptions, 'deployments' | 'seed'>;
    },
  ) {}

  logPath(name: string): string {
    return join(this.options.dataDir, 'demo', 'logs', `${name}.log`);
  }

  async start(): Promise<void> {
    const deployments = (this.options.deployments ?? DEMO_DEPLOYMENTS).map((deployment) => ({
      deployment,
      log: new ServerLog(this.logPath(deployment.name)),
    }));
    if (this.options.backfill) {
      const started = performance.now();
      const { snapshots } = backfillHistory({ ...this.options.backfill, deployments, seed: this.options.seed });
      if (snapshots > 0)
        this.options.logger.info({ snapshots, ms: Math.round(performance.now() - started) }, 'demo history back-filled');
    }
    for (const { deployment, log } of deployments) {
      const server = new SimulatedServer({ ...deployment, seed: deriveSeed(this.options.seed, deployment.name), log });
      await server.start();
      const member: Partial<FleetMember> = { deployment, server, urls: [server.url], log };
      const traffic = new TrafficGenerator({
        target: () => this.trafficTarget(member as FleetMember),
        peakRatePerSecond: deployment.peakRatePerSecond,
        seed: deriveSeed(this.options.seed, `traffic:${deployment.name}`),
      });
      if (this.options.traffic ?? true) traffic.start();
      member.traffic = traffic;
      this.members.push(member as FleetMember);
    }
    this.writeFleetFile();
    this.options.logger.info({ deployments: this.members.map((m) => `${m.deployment.name}@${m.urls[0]}`) }, 'demo fleet started');
  }

  async stop(): Promise<void> {
    for (const member of this.members) {
      member.traffic.stop();
      await member.server?.stop();
    }
  }

  /**
   * Points a deployment at replicas the local runtime started (a rollout finished): the
   * in-process server it replaces stops, traffic follows, and other processes are told.
   * A deployment the fleet did not have joins it.
   */
  async adopt(spec: DemoDeployment, urls: string[]): Promise<FleetMember> {
    let member = this.find(spec.name);
    if (!member) {
      const log = new ServerLog(this.logPath(spec.name));
      const partial: Partial<FleetMember> = { deployment: spec, server: undefined, urls, log };
      partial.traffic = new TrafficGenerator({
        target: () => this.trafficTarget(partial as FleetMember),
        peakRatePerSecond: spec.peakRatePerSecond,
        seed: deriveSeed(this.options.seed, `traffic:${spec.name}`),
      });
      if (this.options.traffic ?? true) partial.traffic.start();
      member = partial as FleetMember;
      this.members.push(member);
    } else {
      const replaced = member.server;
      member.deployment = spec;
      member.urls = urls;
      member.server = undefined;
      await replaced?.stop();
    }
    this.writeFleetFile();
    return member;
  }

  private trafficTarget(member: FleetMember) {
    const url = member.urls.length > 0 ? member.urls[Math.floor(Math.random() * member.urls.length)] : undefined;
    return url
      ? { url, model: member.deployment.name, trafficMultiplier: member.server?.faultEffects.trafficMultiplier ?? 1 }
      : undefined;
  }

  find(name: string): FleetMember | undefined {
    return this.members.find((member) => member.deployment.name === name);
  }

  /** What other processes need to reach the fleet. */
  describe(): FleetDescription {
    return {
      pid: process.pid,
      started: new Date().toISOString(),
      deployments: this.members.map(({ deployment, urls, log }) => ({
        name: deployment.name,
        environment: deployment.environment,
        version: deployment.version,
        model: deployment.model,
        gpu: `${deployment.gpuCount} × ${deployment.gpu}`,
        dtype: deployment.dtype,
        url: urls[0] ?? '',
        log: log.path,
      })),
    };
  }

  private writeFleetFile(): void {
    mkdirSync(join(this.options.dataDir, 'demo'), { recursive: true });
    writeFileSync(fleetFilePath(this.options.dataDir), `${JSON.stringify(this.describe(), null, 2)}\n`);
  }
}
