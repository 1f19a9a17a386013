import { parentPort } from 'node:worker_threads';
import type { HostMessage, HostRequest } from './server-host.ts';
import { ServerLog } from './server-log.ts';
import { SimulatedServer } from './simulated-server.ts';

/** The worker side of `WorkerHost`: runs the simulated servers it is asked to, on this thread's event loop. */
const port = parentPort;
if (!port) throw new Error('server-host-worker runs as a worker thread');
const servers = new Map<number, SimulatedServer>();
const send = (message: HostMessage) => port.postMessage(message);

port.on('message', (request: HostRequest) => {
  handle(request).then(
    (listening) => send({ type: 'reply', call: request.call, port: listening }),
    (error: unknown) =>
      send({ type: 'reply', call: request.call, error: error instanceof Error ? error.message : String(error) }),
  );
});

async function handle(request: HostRequest): Promise<number> {
  if (request.type === 'stop') {
    const server = servers.get(request.id);
    servers.delete(request.id);
    await server?.stop();
    return 0;
  }
  const { logPath, ...options } = request.options;
  const server = new SimulatedServer({
    ...options,
    log: logPath ? new ServerLog(logPath) : undefined,
    onFaultsChanged: (faults) => send({ type: 'faults', id: request.id, faults }),
  });
  await server.start(request.port);
  servers.set(request.id, server);
  return server.port;
}
