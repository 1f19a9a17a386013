// Loaded before each test file when TEST_TIMINGS is set (see vitest.config.ts): measures the CPU
// the file used, its own process's and that of the child processes it waited for (simulators,
// CLI runs, Prometheus), for the timings reporter.
import { readFileSync } from 'node:fs';
import { afterAll } from 'vitest';

const TICKS_PER_SECOND = 100;

/** Seconds of CPU used by child processes that have been waited for (Linux: /proc/self/stat cutime + cstime). */
function childrenCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

const ownStart = process.cpuUsage();
const childrenStart = childrenCpuSeconds();

// biome-ignore lint/correctness/noEmptyPattern: vitest reads a hook's first parameter as fixtures; the file is the second
afterAll(({}, suite) => {
  const own = process.cpuUsage(ownStart);
  Object.assign(suite.meta, {
    cpuSeconds: { own: (own.user + own.system) / 1e6, children: childrenCpuSeconds() - childrenStart },
  });
});
