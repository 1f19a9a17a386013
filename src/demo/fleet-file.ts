import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** The running fleet as other processes see it: `DATA_DIR/demo/fleet.json`, written by the process that owns it. */
export const fleetFileSchema = z.object({
  pid: z.number().int(),
  started: z.string(),
  deployments: z.array(
    z.object({
      name: z.string(),
      environment: z.string(),
      version: z.string(),
      model: z.string(),
      gpu: z.string(),
      dtype: z.string(),
      url: z.string(),
      log: z.string(),
    }),
  ),
});
export type FleetDescription = z.infer<typeof fleetFileSchema>;
export type FleetDeploymentDescription = FleetDescription['deployments'][number];

export function fleetFilePath(dataDir: string): string {
  return join(dataDir, 'demo', 'fleet.json');
}

/** The fleet another live process runs on this data directory, or undefined when none does. */
export function readLiveFleet(dataDir: string): FleetDescription | undefined {
  let parsed: FleetDescription;
  try {
    parsed = fleetFileSchema.parse(JSON.parse(readFileSync(fleetFilePath(dataDir), 'utf8')));
  } catch {
    return undefined;
  }
  if (parsed.pid === process.pid) return undefined;
  try {
    process.kill(parsed.pid, 0);
    return parsed;
  } catch {
    return undefined;
  }
}
