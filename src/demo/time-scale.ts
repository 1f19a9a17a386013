import { AppError } from '../errors.ts';

/** The environment variable that runs the simulated servers faster than real time. */
export const TIME_SCALE_VARIABLE = 'SIMULATED_TIME_SCALE';

/**
 * The response header by which a simulated server says it runs this many times faster than real
 * time, so that a client measuring it (the load tester) reports durations in the server's time.
 */
export const TIME_SCALE_HEADER = 'x-simulated-time-scale';

/**
 * How many times faster than real time the simulated vLLM servers run:
 * SIMULATED_TIME_SCALE, or 1 (real time) when it is unset or empty. Tests whose assertions compare
 * ratios set it (child processes inherit it); people watching the demo leave it alone.
 */
export function simulatedTimeScale(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[TIME_SCALE_VARIABLE]?.trim();
  if (!raw) return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1000)
    throw new AppError(
      'config_invalid',
      `${TIME_SCALE_VARIABLE}="${raw}": must be a number above 0 and at most 1000 (how many times faster than real time the simulated servers run); unset it for real time.`,
    );
  return scale;
}
