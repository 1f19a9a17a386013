import { defineConfig } from 'vitest/config';

/**
 * The quick loop (`vitest run --project unit`): modules in memory, with no processes, servers,
 * worker threads, databases on disk, assistant or real-time waits. A new test file that fits
 * belongs here; any other runs as integration (so do the scenario evaluation of `llmops rca`, the
 * embedded store against its previous version on SQLite, and the parallel log miner's workers).
 */
const UNIT = [
  'ack-first-pacer',
  'anomaly-detectors',
  'concurrency-limiter',
  'config',
  'forecast',
  'isolation-forest',
  'kubernetes-backend',
  'kubernetes-job-executor',
  'line-chart',
  'log-miner-families',
  'log-miner-loso',
  'log-templates',
  'offline-planner',
  'offline-planner-families',
  'planner-corpus',
  'prometheus-source',
  'rca-families',
  'rca-metric-names',
  'scaled-time',
  'secret-redactor',
  'slack-render',
  'tool-executor',
  'tuning-optimizers',
].map((name) => `test/${name}.test.ts`);

/**
 * Integration files whose assertions measure real time to a few milliseconds on the test's own
 * clock (the load tester's accuracy): they run first, before the rest fills both cores and a
 * client's own delays become what is measured.
 */
const TIMED = ['load-tester'].map((name) => `test/${name}.test.ts`);

// TEST_TIMINGS=1 (or a path for JSON) prints each file's wall and CPU seconds, slowest first.
const timings = process.env.TEST_TIMINGS ? { setupFiles: ['test/support/file-timings-setup.ts'] } : {};

export default defineConfig({
  test: {
    testTimeout: 30_000,
    pool: 'forks',
    // Most integration files wait on processes, sockets and timers, not the CPU, so more run at once
    // than there are cores (the default, one less than the cores, left this 2-core machine idle);
    // the unit files share the same workers (projects with another count would run one after the other).
    maxWorkers: 5,
    sequence: { groupOrder: 1 },
    reporters: process.env.TEST_TIMINGS ? ['default', './test/support/file-timings-reporter.ts'] : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'timed',
          include: TIMED,
          maxWorkers: 1,
          sequence: { groupOrder: 0 },
          isolate: false,
          ...timings,
        },
      },
      {
        extends: true,
        test: {
          name: 'unit',
          include: UNIT,
          // Pure modules leave no state behind, so the files of a worker share its loaded modules.
          isolate: false,
          ...timings,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT, ...TIMED],
          // Importing the assistant costs each file about a CPU second; files of a worker share it
          // (about 50 of the suite's CPU seconds). So a file that changes process-wide state
          // (environment, nock, timers, servers) restores it when it ends, as simulatedTimeScale() does.
          isolate: false,
          ...timings,
        },
      },
    ],
  },
});
