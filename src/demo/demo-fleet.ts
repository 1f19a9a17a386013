import { join } from 'node:path';
import { writeFileAtomic } from '../deployments/atomic-file.ts';
import type { DeploymentHistory } from '../deployments/deployment-history.ts';
import type { DeploymentBackend } from '../deployments/deployment-spec.ts';
import type { ReplicaSlots } from '../deployments/replica-slots.ts';
import type { Logger } from '../observability/logger.ts';
import { deriveSeed } from '../random/seeded-random.ts';
import { DEMO_DEPLOYMENTS, type DemoDeployment } from './demo-deployments.ts';
import { type FleetDescription, fleetFilePath } from './fleet-file.ts';
import { type PlannedDeployment, planFleet } from './fleet-plan.ts';
import { type BackfillOptions, backfillHistory } from './history-backfill.ts';
import { targetGroups, writePrometheusTargets } from './prometheus-targets.ts';
import { type FleetServer, type ServerHost, WorkerHost } from './server-host.ts';
import { ServerLog } from './server-log.ts';
import { TrafficGenerator } from './traffic-generator.ts';

export { DEMO_DEPLOYMENTS, type DemoDeployment } from './demo-deployments.ts';

export interface FleetMember {
  deployment: DemoDeployment;
  /** The replicas this process simulates; empty once the local runtime serves the deployment. */
  servers: FleetServer[];
  /** The replicas' stable URLs (one slot each), in replica order. */
  urls: string[];
  log: ServerLog;
  traffic: TrafficGenerator;
}

/**
 * The embedded default's fleet: every deployment the deployment history says is active (the
 * three defaults on a fresh data directory), each replica on a stable loopback port (its slot),
 * driven by its own traffic generator and logging to `DATA_DIR/demo/logs/`. It simulates the
 * deployments it started itself and hands what the local runtime deployed back to the runtime,
 * so a restart brings back the versions, settings and ports that ran before. Whenever the
 * fleet changes, `DATA_DIR/demo/fleet.json` (for other processes) and
 * `DATA_DIR/demo/prometheus-targets.json` (for Prometheus) are rewritten. The simulated servers
 * run on a worker thread, so the assistant's own work never delays their engine steps.
 */
export class DemoFleet {
  readonly members: FleetMember[] = [];
  private readonly host: ServerHost;

  constructor(
    private readonly options: {
      dataDir: string;
      seed: number;
      logger: Logger;
      /** What a fresh history starts with. */
      deployments?: readonly DemoDeployment[];
      traffic?: boolean;
      /** Writes history before the servers start, when the store has none for them. */
      backfill?: Omit<BackfillOptions, 'deployments' | 'seed'>;
      history: DeploymentHistory;
      slots: ReplicaSlots;
      /** Runs again what the history says the local runtime deployed. */
      runtime: Pick<DeploymentBackend, 'deploy'>;
      /** Where the simulated servers run; a worker thread of their own by default. */
      host?: ServerHost;
    },
  ) {
    this.host = options.host ?? new WorkerHost(options.logger);
  }

  logPath(name: string): string {
    return join(this.options.dataDir, 'demo', 'logs', `${name}.log`);
  }

  async start(): Promise<void> {
    const defaults = this.options.deployments ?? DEMO_DEPLOYMENTS;
    if (this.options.backfill) {
      const started = performance.now();
      const { snapshots } = backfillHistory({
        ...this.options.backfill,
        deployments: defaults.map((deployment) => ({ deployment, log: new ServerLog(this.logPath(deployment.name)) })),
        seed: this.options.seed,
      });
      if (snapshots > 0)
        this.options.logger.info({ snapshots, ms: Math.round(performance.now() - started) }, 'demo history back-filled');
    }
    const planned = planFleet(this.options.history, defaults, this.options.logger);
    // Child processes start in parallel; a member's place in the fleet follows the history's order.
    const members = await Promise.all(planned.map((plan) => this.run(plan)));
    this.members.push(...members);
    this.writeFiles();
    this.options.logger.info(
      { deployments: this.members.map((m) => `${m.deployment.name}/${m.deployment.environment}@${m.urls.join(',')}`) },
      'demo fleet started',
    );
  }

  async stop(): Promise<void> {
    for (const member of this.members) {
      member.traffic.stop();
      for (const server of member.servers) await server.stop();
    }
    await this.host.close();
  }

  /**
   * Points a deployment at replicas the local runtime started (a rollout finished): the
   * in-process servers it replaces stop, traffic follows, and other processes and Prometheus
   * are told. A deployment the fleet did not have joins it.
   */
  async adopt(spec: DemoDeployment, urls: string[]): Promise<FleetMember> {
    let member = this.find(spec.name, spec.environment);
    if (!member) {
      member = this.member(spec, [], urls);
      this.members.push(member);
    } else {
      const replaced = member.servers;
      member.deployment = spec;
      member.urls = urls;
      member.servers = [];
      for (const server of replaced) await server.stop();
    }
    this.writeFiles();
    return member;
  }

  /** A member by deployment name, in the given environment or the first one it runs in. */
  find(name: string, environment?: string): FleetMember | undefined {
    return this.members.find(
      (member) => member.deployment.name === name && (!environment || member.deployment.environment === environment),
    );
  }

  /**
   * The embedded scraper's targets for a member: `demo:NAME` for the first environment a name
   * runs in (the name its back-filled history has), `demo:NAME@ENV` for others; `#i` for replica i > 0.
   */
  scrapeTargets(member: FleetMember): { base: string; targets: Array<{ name: string; deployment: string; url: string }> } {
    const { name, environment } = member.deployment;
    const base = this.find(name) === member ? `demo:${name}` : `demo:${name}@${environment}`;
    return {
      base,
      targets: member.urls.map((url, index) => ({ name: index === 0 ? base : `${base}#${index}`, deployment: name, url })),
    };
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
        urls,
        log: log.path,
      })),
    };
  }

  /** Starts one planned deployment: simulated here, or through the local runtime that ran it before. */
  private async run({ deployment, replicas, runsOn }: PlannedDeployment): Promise<FleetMember> {
    const { name, environment } = deployment;
    if (runsOn === 'runtime') {
      const result = await this.options.runtime.deploy({ ...deployment, replicas });
      if (!result.ok)
        this.options.logger.error(
          { deployment: `${name}/${environment}`, version: deployment.version },
          `could not start what the deployment history says runs: ${result.summary}`,
        );
      return this.member(deployment, [], result.urls);
    }
    const log = new ServerLog(this.logPath(name));
    const servers: FleetServer[] = [];
    for (let index = 0; index < replicas; index++) {
      const seed = deriveSeed(this.options.seed, index === 0 ? name : `${name}#${index}`);
      servers.push(await this.host.start({ ...deployment, seed, logPath: log.path }, await this.options.slots.backendPort()));
    }
    const urls = await this.options.slots.serve(
      name,
      environment,
      servers.map((server) => server.url),
    );
    return this.member(deployment, servers, urls, log);
  }

  private member(deployment: DemoDeployment, servers: FleetServer[], urls: string[], log?: ServerLog): FleetMember {
    const partial: Partial<FleetMember> = {
      deployment,
      servers,
      urls,
      log: log ?? new ServerLog(this.logPath(deployment.name)),
    };
    partial.traffic = new TrafficGenerator({
      target: () => this.trafficTarget(partial as FleetMember),
      peakRatePerSecond: deployment.peakRatePerSecond,
      seed: deriveSeed(this.options.seed, `traffic:${deployment.name}`),
    });
    if (this.options.traffic ?? true) partial.traffic.start();
    return partial as FleetMember;
  }

  private trafficTarget(member: FleetMember) {
    const url = member.urls.length > 0 ? member.urls[Math.floor(Math.random() * member.urls.length)] : undefined;
    return url
      ? { url, model: member.deployment.name, trafficMultiplier: member.servers[0]?.faultEffects.trafficMultiplier ?? 1 }
      : undefined;
  }

  private writeFiles(): void {
    writeFileAtomic(fleetFilePath(this.options.dataDir), `${JSON.stringify(this.describe(), null, 2)}\n`);
    writePrometheusTargets(
      this.options.dataDir,
      targetGroups(this.members.map(({ deployment, urls }) => ({ ...deployment, urls }))),
    );
  }
}
