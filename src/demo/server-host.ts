import { Worker } from 'node:worker_threads';
import type { Logger } from '../observability/logger.ts';
import { effectsOf, type FaultEffects, type FaultName } from './faults.ts';
import { ServerLog } from './server-log.ts';
import { SimulatedServer, type SimulatedServerOptions } from './simulated-server.ts';

/** What the fleet needs of a simulated replica, wherever it runs. */
export interface FleetServer {
  readonly name: string;
  readonly url: string;
  /** The active faults' effects, as last reported (a traffic surge multiplies the generator's rate). */
  readonly faultEffects: FaultEffects;
  stop(): Promise<void>;
}

/** A simulated server's settings as they cross to where it runs: its log as a path. */
export type HostedServerOptions = Omit<SimulatedServerOptions, 'log' | 'clock' | 'onFaultsChanged'> & { logPath?: string };

/** Where the fleet's simulated servers run. */
export interface ServerHost {
  start(options: HostedServerOptions, port: number): Promise<FleetServer>;
  /** Stops every server it started. */
  close(): Promise<void>;
}

/** Servers on this thread's event loop (what anything else this thread does delays their engine steps). */
export class InProcessHost implements ServerHost {
  private readonly servers = new Set<SimulatedServer>();

  async start({ logPath, ...options }: HostedServerOptions, port: number): Promise<FleetServer> {
    const server = new SimulatedServer({ ...options, log: logPath ? new ServerLog(logPath) : undefined });
    await server.start(port);
    this.servers.add(server);
    return {
      name: server.name,
      url: server.url,
      get faultEffects() {
        return server.faultEffects;
      },
      stop: async () => {
        this.servers.delete(server);
        await server.stop();
      },
    };
  }

  async close(): Promise<void> {
    const servers = [...this.servers];
    this.servers.clear();
    await Promise.all(servers.map((server) => server.stop()));
  }
}

type HostCall = { type: 'start'; id: number; options: HostedServerOptions; port: number } | { type: 'stop'; id: number };
/** Messages to the worker: start or stop a server, numbered for the reply. */
export type HostRequest = HostCall & { call: number };

/** Messages from the worker: a call's answer, or a server's faults changing. */
export type HostMessage =
  | { type: 'reply'; call: number; port?: number; error?: string }
  | { type: 'faults'; id: number; faults: FaultName[] };

interface RemoteState {
  effects: FaultEffects;
}

/**
 * Servers on a worker thread of their own, so their engine steps keep time while this thread
 * scrapes, back-fills or ranks root causes. They are real HTTP servers on loopback ports as
 * before; faults injected over their admin API are reported back, so the traffic generator
 * here sees a surge. The worker starts with the first server and ends with `close`.
 */
export class WorkerHost implements ServerHost {
  private worker: Worker | undefined;
  private nextCall = 1;
  private nextId = 1;
  private readonly calls = new Map<number, { resolve: (port: number) => void; reject: (error: Error) => void }>();
  private readonly remotes = new Map<number, RemoteState>();

  constructor(private readonly logger: Logger) {}

  async start(options: HostedServerOptions, port: number): Promise<FleetServer> {
    const id = this.nextId++;
    const state: RemoteState = { effects: effectsOf([]) };
    this.remotes.set(id, state);
    let listening: number;
    try {
      listening = await this.call({ type: 'start', id, options, port });
    } catch (error) {
      this.remotes.delete(id);
      throw error;
    }
    return {
      name: options.name,
      url: `http://127.0.0.1:${listening}`,
      get faultEffects() {
        return state.effects;
      },
      stop: async () => {
        if (!this.remotes.delete(id)) return;
        await this.call({ type: 'stop', id });
      },
    };
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.remotes.clear();
    // Terminating the thread closes its servers' sockets with it.
    await worker?.terminate();
  }

  private call(request: HostCall): Promise<number> {
    const worker = this.spawned();
    const call = this.nextCall++;
    return new Promise((resolve, reject) => {
      this.calls.set(call, { resolve, reject });
      const message: HostRequest = { ...request, call };
      worker.postMessage(message);
    });
  }

  private spawned(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./server-host-worker.mjs', import.meta.url));
    worker.on('message', (message: HostMessage) => {
      if (message.type === 'faults') {
        const remote = this.remotes.get(message.id);
        if (remote) remote.effects = effectsOf(message.faults);
        return;
      }
      const pending = this.calls.get(message.call);
      this.calls.delete(message.call);
      if (message.error !== undefined) pending?.reject(new Error(message.error));
      else pending?.resolve(message.port ?? 0);
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.logger.error({ err: error.message }, 'the demo servers’ worker thread stopped; their replicas no longer answer');
      for (const pending of this.calls.values()) pending.reject(error);
      this.calls.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
