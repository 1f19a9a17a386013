import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
      /** The first replica's URL ('' when none serves). */
      url: z.string(),
      /** Every replica's stable URL. */
      urls: z.array(z.string()).optional(),
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
  return parsed.pid !== process.pid && isAlive(parsed.pid) ? parsed : undefined;
}

function lockPath(dataDir: string): string {
  return join(dataDir, 'demo', 'fleet.lock');
}

/**
 * Claims the data directory's demo fleet for this process (an exclusive lock file holding
 * the pid). False when another live process holds it; a lock left by a dead one is taken over.
 */
export function claimFleet(dataDir: string): boolean {
  mkdirSync(join(dataDir, 'demo'), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath(dataDir), String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      const holder = Number(readFileSync(lockPath(dataDir), 'utf8'));
      if (holder === process.pid) return true;
      if (isAlive(holder)) return false;
      rmSync(lockPath(dataDir), { force: true });
    }
  }
  return false;
}

/** Gives the fleet up: the lock and the description go. */
export function releaseFleet(dataDir: string): void {
  try {
    if (Number(readFileSync(lockPath(dataDir), 'utf8')) !== process.pid) return;
  } catch {
    return;
  }
  rmSync(fleetFilePath(dataDir), { force: true });
  rmSync(lockPath(dataDir), { force: true });
}

/** Waits for the process holding the fleet to describe it (it may still be back-filling history). */
export async function waitForLiveFleet(dataDir: string, timeoutMs: number): Promise<FleetDescription | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const live = readLiveFleet(dataDir);
    if (live) return live;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
