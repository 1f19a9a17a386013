import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { DEMO_DEPLOYMENTS } from '../demo/demo-deployments.ts';
import { readLiveFleet } from '../demo/fleet-file.ts';
import type { Db } from '../store/database.ts';

/**
 * The deployment names the assistant on this DATA_DIR knows, found without starting anything:
 * the running fleet's (DATA_DIR/demo/fleet.json), else those the demo fleet would start (its
 * defaults and what the deployment history records as running on it or on the local runtime,
 * read from the database without creating or changing it). None when DEMO=off, as in the assistant.
 */
export async function knownDeploymentNames(config: Pick<Config, 'DEMO' | 'DATA_DIR'>): Promise<string[]> {
  if (config.DEMO !== 'on') return [];
  const live = readLiveFleet(config.DATA_DIR);
  if (live) return unique(live.deployments.map((d) => d.name));
  return unique([...(await recordedNames(join(config.DATA_DIR, 'llmops.db'))), ...DEMO_DEPLOYMENTS.map((d) => d.name)]);
}

/** Names the history has running on the fleet's backends, in the order they first appeared; none without a readable database. */
async function recordedNames(file: string): Promise<string[]> {
  if (!existsSync(file)) return [];
  const [{ default: Database }, { DeploymentHistory }] = await Promise.all([
    import('better-sqlite3'),
    import('../deployments/deployment-history.ts'),
  ]);
  let db: Db | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return new DeploymentHistory(db)
      .active()
      .filter((entry) => entry.backend === 'demo' || entry.backend === 'local')
      .map((entry) => entry.name);
  } catch {
    // An unreadable or older database: the assistant would say what is wrong when it opens it; the planner knows the defaults.
    return [];
  } finally {
    db?.close();
  }
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
