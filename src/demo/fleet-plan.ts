import { z } from 'zod';
import { WEIGHT_DTYPES } from '../analysis/resource-sizing.ts';
import type { DeploymentHistory } from '../deployments/deployment-history.ts';
import type { Logger } from '../observability/logger.ts';
import type { DemoDeployment } from './demo-fleet.ts';

/** A spec as the history stores it; fields older rows may lack get the values a new deploy would. */
const storedSpec = z.object({
  name: z.string().min(1),
  environment: z.enum(['prod', 'staging', 'dev']),
  version: z.string().min(1),
  model: z.string().min(1),
  gpu: z.string().min(1),
  gpuCount: z.number().int().positive(),
  dtype: z.enum(WEIGHT_DTYPES),
  replicas: z.number().int().min(0).default(1),
  maxNumSeqs: z.number().int().positive().default(64),
  maxNumBatchedTokens: z.number().int().positive().default(8192),
  peakRatePerSecond: z.number().min(0).default(1),
});

/** One deployment the fleet runs: what, how many replicas, and whether this process simulates it or the local runtime runs it. */
export interface PlannedDeployment {
  deployment: DemoDeployment;
  replicas: number;
  runsOn: 'fleet' | 'runtime';
}

/**
 * What the demo fleet runs, read from the deployment history: the defaults are recorded as
 * running when the history has nothing for them, then every active deployment in every
 * environment comes back as recorded. The fleet simulates what it started itself (`demo`);
 * what the local runtime deployed goes back to the local runtime (`local`), with its command.
 * Other backends (Kubernetes) keep their own deployments running.
 */
export function planFleet(history: DeploymentHistory, defaults: readonly DemoDeployment[], logger: Logger): PlannedDeployment[] {
  for (const deployment of defaults) history.seed({ ...deployment, replicas: 1 }, 'demo');
  const planned: PlannedDeployment[] = [];
  for (const entry of history.active()) {
    if (entry.backend !== 'demo' && entry.backend !== 'local') continue;
    const spec = storedSpec.safeParse(entry.spec);
    if (!spec.success) {
      // One unreadable row must not keep the rest of the fleet down; it is named for whoever looks.
      logger.error(
        { deployment: `${entry.name}/${entry.environment}`, version: entry.version, history_id: entry.id },
        `the deployment history's spec cannot be run (${spec.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); it is left out of the demo fleet`,
      );
      continue;
    }
    const { replicas, ...deployment } = spec.data;
    planned.push({ deployment, replicas, runsOn: entry.backend === 'local' ? 'runtime' : 'fleet' });
  }
  return planned;
}
