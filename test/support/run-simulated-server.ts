// Runs one simulated vLLM server in its own process (options as JSON in argv[2]) and prints
// `{"port": N}` once it listens, so that a test's load and a scraper do not share its event loop.
import { SimulatedServer, type SimulatedServerOptions } from '../../src/demo/simulated-server.ts';

const server = new SimulatedServer(JSON.parse(process.argv[2] ?? '{}') as SimulatedServerOptions);
await server.start();
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
