import { z } from 'zod';

/** Faults the demo fleet can suffer, by name, with what each does to a server. */
export const FAULTS = {
  bad_deploy: { about: 'a new version with a slower attention backend: every engine step takes 2.5× as long' },
  kv_cache_exhaustion: {
    about: 'KV-cache capacity drops to 2% (another process holds the GPU memory): preemptions, a growing queue, higher TTFT',
  },
  gpu_xid: { about: 'GPU Xid 79 errors: 30% of requests fail with 500 and the engine slows by 30%' },
  traffic_surge: { about: 'four times the usual traffic' },
  dependency_timeout: { about: 'an upstream moderation service times out: 25% of requests wait 5 s and fail with 504' },
} as const;
export type FaultName = keyof typeof FAULTS;
export const FAULT_NAMES = Object.keys(FAULTS) as [FaultName, ...FaultName[]];

export const faultName = z.enum(FAULT_NAMES, { error: `must be one of ${FAULT_NAMES.join(', ')}` });

/** How the active faults change a server's behaviour; 1 / 0 mean unchanged. */
export interface FaultEffects {
  slowdown: number;
  kvCapacityFactor: number;
  errorProbability: number;
  trafficMultiplier: number;
  dependencyTimeoutProbability: number;
}

export function effectsOf(active: Iterable<FaultName>): FaultEffects {
  const effects: FaultEffects = {
    slowdown: 1,
    kvCapacityFactor: 1,
    errorProbability: 0,
    trafficMultiplier: 1,
    dependencyTimeoutProbability: 0,
  };
  for (const fault of active) {
    if (fault === 'bad_deploy') effects.slowdown *= 2.5;
    if (fault === 'kv_cache_exhaustion') effects.kvCapacityFactor *= 0.02;
    if (fault === 'gpu_xid') {
      effects.errorProbability = Math.max(effects.errorProbability, 0.3);
      effects.slowdown *= 1.3;
    }
    if (fault === 'traffic_surge') effects.trafficMultiplier *= 4;
    if (fault === 'dependency_timeout') effects.dependencyTimeoutProbability = 0.25;
  }
  return effects;
}

/** A scenario file: faults to inject at given offsets, replayed the same way for its seed. */
export const scenarioSchema = z.object({
  seed: z.number().int().min(0).optional(),
  steps: z
    .array(
      z.object({
        after_s: z.number().min(0).describe('Seconds after the scenario starts'),
        fault: faultName,
        deployment: z.string().min(1),
        duration_s: z.number().positive().optional().describe('How long the fault lasts; until cleared when absent'),
      }),
    )
    .min(1),
});
export type Scenario = z.infer<typeof scenarioSchema>;
