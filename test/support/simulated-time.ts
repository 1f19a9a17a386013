import { afterAll, beforeAll } from 'vitest';

/**
 * Runs the simulated vLLM servers this file starts `scale` times faster than real time
 * (SIMULATED_TIME_SCALE, which their child processes inherit), for tests whose assertions compare
 * speeds: the load tester reports in the servers' time. Call it at the top of a file, before the
 * hooks that start them; the setting is restored after the file, as workers run other files next.
 */
export function simulatedTimeScale(scale: number): void {
  let previous: string | undefined;
  beforeAll(() => {
    previous = process.env.SIMULATED_TIME_SCALE;
    process.env.SIMULATED_TIME_SCALE = String(scale);
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.SIMULATED_TIME_SCALE;
    else process.env.SIMULATED_TIME_SCALE = previous;
  });
}
