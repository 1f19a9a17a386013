import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { nodeCommandFor } from '../module-path.ts';
import { freePort } from '../net/free-port.ts';
import type { Logger } from '../observability/logger.ts';
import type { DeploymentBackend, DeploymentSpec, DeployOptions, RolloutResult } from './deployment-spec.ts';
import { type ProcessLedger, spawnChild } from './process-ledger.ts';
import type { ReplicaSlots } from './replica-slots.ts';

const SIMULATOR = nodeCommandFor(new URL('../demo/run-simulator.ts', import.meta.url)).join(' ');

/** The simulator as a command; any server that answers `GET /health` works, e.g. `vllm serve {model} --port {port}`. */
export const DEFAULT_LOCAL_COMMAND = `${SIMULATOR} --name {name} --model {model} --version {version} --dtype {dtype} --gpu {gpu} --gpu-count {gpu_count} --max-num-seqs {max_num_seqs} --max-num-batched-tokens {max_num_batched_tokens} --port {port} --log {log}`;

interface Replica {
  child: ChildProcess;
  /** Where the process itself listens. */
  url: string;
  /** Where the replica is served: its slot's stable URL when the runtime has slots, else `url`. */
  served: string;
}

/**
 * Runs model servers as child processes from a command template. A rollout starts the new
 * replicas, waits for each to answer `/health`, and only then stops the old ones; if a new
 * replica fails, it is stopped and the old ones keep serving. With replica slots, each
 * replica is served on its slot's stable port, which switches to the new process at cut-over.
 * Each replica runs in a process group of its own and, with a ledger, is recorded there for as
 * long as it runs, so a start after the assistant was killed can find and stop it.
 */
export class LocalRuntime implements DeploymentBackend {
  readonly kind = 'local' as const;
  private readonly running = new Map<string, Replica[]>();

  constructor(
    private readonly options: {
      command?: string | undefined;
      dataDir: string;
      logger: Logger;
      healthTimeoutMs?: number;
      /** Stable ports per replica (the demo fleet's); without them each process's own port is its address. */
      slots?: ReplicaSlots | undefined;
      /** Where every replica is recorded while it runs (DATA_DIR's process ledger). */
      ledger?: ProcessLedger | undefined;
    },
  ) {}

  render(spec: DeploymentSpec): string {
    return this.argv(spec, 0).join(' ');
  }

  urls(name: string, environment: string): string[] {
    return (this.running.get(`${name}/${environment}`) ?? []).map((replica) => replica.served);
  }

  async deploy(
    spec: DeploymentSpec,
    onProgress: (event: string) => void = () => undefined,
    options: DeployOptions = {},
  ): Promise<RolloutResult> {
    const events: string[] = [];
    const say = (event: string) => {
      events.push(event);
      onProgress(event);
    };
    const started: Replica[] = [];
    try {
      for (let index = 0; index < spec.replicas; index++) {
        const port = await (this.options.slots?.backendPort() ?? freePort());
        const replica = this.startReplica(spec, port, options);
        started.push(replica);
        say(
          `started ${spec.name} ${spec.version} replica ${index + 1}/${spec.replicas} (pid ${replica.child.pid}) on port ${port}`,
        );
        const took = await this.waitHealthy(replica);
        say(`replica ${index + 1} healthy after ${(took / 1000).toFixed(1)} s`);
      }
      await this.cutOver(spec, started, say);
    } catch (error) {
      for (const replica of started) await stopReplica(replica);
      const message = (error as Error).message;
      say(`rollout failed: ${message}; the previous version keeps serving`);
      return {
        ok: false,
        summary: `Rollout of ${spec.name} ${spec.version} to ${spec.environment} failed: ${message}. The previous version keeps serving.`,
        events,
        urls: [],
      };
    }
    const key = `${spec.name}/${spec.environment}`;
    const old = this.running.get(key) ?? [];
    this.running.set(key, started);
    for (const replica of old) await stopReplica(replica);
    if (old.length > 0) say(`stopped ${old.length} old replica${old.length === 1 ? '' : 's'}`);
    return {
      ok: true,
      summary: `${spec.name} ${spec.version} serves in ${spec.environment} on ${spec.replicas} replica${spec.replicas === 1 ? '' : 's'} (${started.map((r) => r.served).join(', ')}).`,
      events,
      urls: started.map((replica) => replica.served),
    };
  }

  async scale(spec: DeploymentSpec, replicas: number, onProgress?: (event: string) => void): Promise<RolloutResult> {
    if (replicas === 0) {
      const key = `${spec.name}/${spec.environment}`;
      const old = this.running.get(key) ?? [];
      this.running.delete(key);
      await this.options.slots?.release(spec.name, spec.environment);
      for (const replica of old) await stopReplica(replica);
      return {
        ok: true,
        summary: `${spec.name} in ${spec.environment} scaled to 0: stopped ${old.length} replica(s).`,
        events: [`stopped ${old.length} replica(s)`],
        urls: [],
      };
    }
    return this.deploy({ ...spec, replicas }, onProgress);
  }

  async stopAll(): Promise<void> {
    for (const replicas of this.running.values()) for (const replica of replicas) await stopReplica(replica);
    this.running.clear();
  }

  /**
   * Points each replica's slot at its new process and gives up the slots a scale-down leaves (all
   * or nothing); the ledger notes the new replicas serve from now on (without slots, from here on).
   */
  private async cutOver(spec: DeploymentSpec, started: Replica[], say: (event: string) => void): Promise<void> {
    const slots = this.options.slots;
    const served = slots
      ? await slots.serve(
          spec.name,
          spec.environment,
          started.map((replica) => replica.url),
        )
      : [];
    for (const [index, replica] of started.entries()) replica.served = served[index] ?? replica.url;
    for (const replica of started) this.options.ledger?.markServing(replica.child);
    if (served.length > 0) say(`cut over: ${spec.version} now answers on ${served.join(', ')}`);
  }

  private argv(spec: DeploymentSpec, port: number): string[] {
    const values: Record<string, string> = {
      name: spec.name,
      model: spec.model,
      version: spec.version,
      dtype: spec.dtype,
      gpu: spec.gpu,
      gpu_count: String(spec.gpuCount),
      tensor_parallel_size: String(spec.gpuCount),
      max_num_seqs: String(spec.maxNumSeqs),
      max_num_batched_tokens: String(spec.maxNumBatchedTokens),
      port: port === 0 ? '{port}' : String(port),
      log: join(this.options.dataDir, 'demo', 'logs', `${spec.name}.log`),
    };
    // Split before substituting and run without a shell: values can never become extra arguments or commands.
    return (this.options.command ?? DEFAULT_LOCAL_COMMAND)
      .split(/\s+/)
      .filter(Boolean)
      .map((token) => token.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole));
  }

  private startReplica(spec: DeploymentSpec, port: number, options: DeployOptions): Replica {
    const purpose =
      options.trialOf === undefined
        ? { kind: 'replica' as const, spec, port }
        : { kind: 'trial' as const, spec, port, jobId: options.trialOf };
    const child = spawnChild(this.options.ledger, purpose, this.argv(spec, port) as [string, ...string[]], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: process.env,
    });
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString());
      if (stderr.length > 50) stderr.shift();
    });
    (child as ChildProcess & { stderrTail?: () => string }).stderrTail = () =>
      stderr.join('').trim().split('\n').slice(-3).join(' | ');
    const url = `http://127.0.0.1:${port}`;
    return { child, url, served: url };
  }

  private async waitHealthy(replica: Replica): Promise<number> {
    const started = Date.now();
    const deadline = started + (this.options.healthTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (replica.child.exitCode !== null || replica.child.signalCode !== null) {
        const tail = (replica.child as ChildProcess & { stderrTail?: () => string }).stderrTail?.() ?? '';
        throw new Error(
          `the server exited (${replica.child.exitCode ?? replica.child.signalCode}) before it was healthy${tail ? `: ${tail}` : ''}`,
        );
      }
      try {
        const response = await fetch(`${replica.url}/health`, { signal: AbortSignal.timeout(1000) });
        if (response.ok) return Date.now() - started;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    throw new Error(`not healthy within ${(this.options.healthTimeoutMs ?? 60_000) / 1000} s (GET ${replica.url}/health)`);
  }
}

/** SIGTERM to the replica's process group (a server's workers stop with it), SIGKILL after 5 s. */
async function stopReplica(replica: Replica): Promise<void> {
  const { child } = replica;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      // The group is gone already.
    }
  };
  signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
