// The assistant that owns the local runtime (the demo fleet's owner, started as `npm start` starts
// it), as a process of its own that a test can kill -9 in the middle of something:
//   node --import tsx test/support/runtime-owner.ts '{"dataDir": "...", "action": {...}, "freezeAt": "cut over"}'
// It prints one JSON line per event on stdout: `ready` (after start and recovery, with the fleet),
// then waits for a line on stdin before it acts (so the test can look at the start undisturbed);
// `progress` (a rollout's steps), `job` (a job's thread messages), `started`/`done` (the action
// returned), `frozen` (see below). With `freezeAt`, the first event whose name or text contains it
// blocks the process right there (the main thread waits forever, so nothing after that point
// happens) until the test kills it: a crash at an exact point of the rollout without a test hook
// in the assistant. SIGTERM stops it as `npm start` stops.
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { startAssistant } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';

const input = z
  .object({
    dataDir: z.string().min(1),
    freezeAt: z.string().optional(),
    action: z
      .discriminatedUnion('kind', [
        z.object({
          kind: z.literal('rollout'),
          model: z.string(),
          version: z.string(),
          environment: z.enum(['prod', 'staging', 'dev']),
        }),
        z.object({ kind: z.literal('tune'), deployment: z.string(), trials: z.number().int().min(2) }),
      ])
      .optional(),
  })
  .parse(JSON.parse(process.argv[2] ?? '{}'));

const say = (event: string, fields: Record<string, unknown> = {}) => {
  // Written synchronously: a line said before a freeze or a kill is a line the test reads.
  writeSync(1, `${JSON.stringify({ event, ...fields })}\n`);
  if (input.freezeAt !== undefined && `${event} ${JSON.stringify(fields)}`.includes(input.freezeAt)) {
    writeSync(1, `${JSON.stringify({ event: 'frozen', at: input.freezeAt })}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
};

const assistant = await startAssistant(
  loadConfig({ DATA_DIR: input.dataDir, DEMO: 'on', DEMO_BACKFILL_DAYS: '0', LOG_LEVEL: 'info' }),
  createLogger('info', process.stderr),
  { defaultMetrics: false, demoTraffic: false },
);
process.once('SIGTERM', () => void assistant.close().finally(() => process.exit(0)));
assistant.setJobNotifier(async (_thread, key, text) => say('job', { key, text }));
await assistant.recover();
say('ready', { pid: process.pid, fleet: assistant.fleet?.describe().deployments ?? [] });
const lines = createInterface({ input: process.stdin });
await new Promise((resolve) => lines.once('line', resolve));

const action = input.action;
if (action?.kind === 'rollout') {
  const plan = assistant.rollouts.planDeploy({ model: action.model, version: action.version, environment: action.environment });
  const result = await assistant.rollouts.apply(plan, 'U0TEST', (text) => say('progress', { text }));
  say('done', { status: result.status, text: result.summary });
} else if (action?.kind === 'tune') {
  const result = await assistant.executor.execute(
    'start_optimization',
    { kind: 'tune', deployment: action.deployment, environment: 'dev', trials: action.trials, optimizer: 'random' },
    { threadId: 'test:tune', userId: 'U0TEST', now: new Date() },
  );
  say('started', { status: result.status, text: result.summary });
}
// Runs until killed, as a service does.
setInterval(() => undefined, 60_000);
