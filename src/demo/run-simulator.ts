// One simulated vLLM server as its own process, the local runtime's default command:
//   node --import tsx src/demo/run-simulator.ts --name N --model M --version V --dtype D \
//     --gpu G --gpu-count 1 --max-num-seqs 64 --port P [--log FILE] [--seed S]
// Prints {"port": P} when it listens; stops on SIGTERM.
import { parseArgs } from 'node:util';
import type { WeightDtype } from '../analysis/resource-sizing.ts';
import { ServerLog } from './server-log.ts';
import { SimulatedServer } from './simulated-server.ts';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    model: { type: 'string' },
    version: { type: 'string', default: 'v1' },
    dtype: { type: 'string', default: 'bf16' },
    gpu: { type: 'string', default: 'A100-80GB' },
    'gpu-count': { type: 'string', default: '1' },
    'max-num-seqs': { type: 'string', default: '64' },
    'max-num-batched-tokens': { type: 'string', default: '8192' },
    port: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    log: { type: 'string' },
  },
});
if (!values.name || !values.model) {
  process.stderr.write('run-simulator: --name and --model are required\n');
  process.exit(2);
}
let server: SimulatedServer;
try {
  server = new SimulatedServer({
    name: values.name,
    model: values.model,
    version: values.version,
    dtype: values.dtype as WeightDtype,
    gpu: values.gpu,
    gpuCount: Number(values['gpu-count']),
    maxNumSeqs: Number(values['max-num-seqs']),
    maxNumBatchedTokens: Number(values['max-num-batched-tokens']),
    seed: Number(values.seed),
    log: values.log ? new ServerLog(values.log) : undefined,
  });
  await server.start(Number(values.port));
} catch (error) {
  // One line a supervisor can quote, as a real server's startup error would be.
  process.stderr.write(`run-simulator: ${(error as Error).message}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
const stop = () => void server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
