import type { Db } from '../store/database.ts';
import type { DeploymentSpec } from './deployment-spec.ts';

export interface HistoryEntry {
  id: number;
  version: string;
  spec: DeploymentSpec;
  actor: string;
  outcome: 'active' | 'superseded' | 'failed';
  at: Date;
  /** Why a rollout did not finish, when the assistant stopped in the middle of it. */
  note?: string | undefined;
}

/** The versions each deployment has run, newest last; the registry a rollback reads. */
export class DeploymentHistory {
  constructor(private readonly db: Db) {}

  /** Records a finished rollout: the new version becomes active, the one before is superseded. */
  record(spec: DeploymentSpec, actor: string, backend: string, outcome: 'active' | 'failed'): void {
    this.db.transaction(() => {
      if (outcome === 'active') {
        this.db
          .prepare(
            "UPDATE deployment_history SET outcome = 'superseded' WHERE name = ? AND environment = ? AND outcome = 'active'",
          )
          .run(spec.name, spec.environment);
      }
      this.db
        .prepare(
          'INSERT INTO deployment_history (name, environment, version, spec, actor, backend, outcome, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(spec.name, spec.environment, spec.version, JSON.stringify(spec), actor, backend, outcome, new Date().toISOString());
    })();
  }

  /**
   * Records a rollout the assistant's exit interrupted: its version never became the active one
   * (a failed row, so rollbacks and the change feed pass over it), and the note says what
   * happened and what runs instead.
   */
  recordInterrupted(spec: DeploymentSpec, backend: string, note: string): void {
    this.db
      .prepare(
        "INSERT INTO deployment_history (name, environment, version, spec, actor, backend, outcome, at, note) VALUES (?, ?, ?, ?, 'system', ?, 'failed', ?, ?)",
      )
      .run(spec.name, spec.environment, spec.version, JSON.stringify(spec), backend, new Date().toISOString(), note);
  }

  /** Records what already runs (the demo fleet at start) unless something is recorded for it. */
  seed(spec: DeploymentSpec, backend: string): void {
    if (this.current(spec.name, spec.environment)) return;
    this.record(spec, 'system', backend, 'active');
  }

  current(name: string, environment: string): HistoryEntry | undefined {
    return this.entries(name, environment).findLast((entry) => entry.outcome === 'active');
  }

  /** The spec to roll back to: the named version, or the last good one before the current. */
  rollbackTarget(name: string, environment: string, toVersion?: string): HistoryEntry | undefined {
    const good = this.entries(name, environment).filter((entry) => entry.outcome !== 'failed');
    const current = this.current(name, environment);
    if (toVersion) return good.findLast((entry) => entry.version === toVersion && entry.version !== current?.version);
    return good.findLast((entry) => entry.version !== current?.version);
  }

  entries(name: string, environment: string): HistoryEntry[] {
    const rows = this.db
      .prepare(
        'SELECT id, version, spec, actor, outcome, at, note FROM deployment_history WHERE name = ? AND environment = ? ORDER BY id',
      )
      .all(name, environment) as Array<{
      id: number;
      version: string;
      spec: string;
      actor: string;
      outcome: HistoryEntry['outcome'];
      at: string;
      note: string | null;
    }>;
    return rows.map((row) => ({
      ...row,
      spec: JSON.parse(row.spec) as DeploymentSpec,
      at: new Date(row.at),
      note: row.note ?? undefined,
    }));
  }

  /**
   * Finished rollouts in a time range, each described against the version before it: a new
   * version is a deployment change ("deploy x v6 (was v5)"), the same version with other
   * replicas or settings a config change ("scale x/prod from 2 to 1 replicas").
   */
  changesBetween(
    start: Date,
    end: Date,
  ): Array<{
    id: number;
    name: string;
    at: Date;
    actor: string;
    kind: 'deployment_change' | 'config_change';
    description: string;
  }> {
    // One query: each row with the spec of the good rollout before it (LAG over the deployment's history).
    const rows = this.db
      .prepare(
        `SELECT * FROM (
           SELECT id, name, environment, spec, actor, at,
                  LAG(spec) OVER (PARTITION BY name, environment ORDER BY id) AS previous
           FROM deployment_history WHERE outcome != 'failed'
         ) WHERE at BETWEEN ? AND ? ORDER BY id`,
      )
      .all(start.toISOString(), end.toISOString()) as Array<{
      id: number;
      name: string;
      environment: string;
      spec: string;
      actor: string;
      at: string;
      previous: string | null;
    }>;
    return rows.map((row) => {
      const spec = JSON.parse(row.spec) as DeploymentSpec;
      const previous = row.previous ? (JSON.parse(row.previous) as DeploymentSpec) : undefined;
      const where = `${row.name}/${row.environment}`;
      const base = { id: row.id, name: row.name, at: new Date(row.at), actor: row.actor };
      if (!previous || previous.version !== spec.version)
        return {
          ...base,
          kind: 'deployment_change' as const,
          description: `deploy ${where} ${spec.version}${previous ? ` (was ${previous.version})` : ''}`,
        };
      const changed = (Object.keys(spec) as Array<keyof DeploymentSpec>)
        .filter((key) => JSON.stringify(spec[key]) !== JSON.stringify(previous[key]))
        .map((key) => `${key} ${String(previous[key])} → ${String(spec[key])}`);
      return {
        ...base,
        kind: 'config_change' as const,
        description:
          changed.length === 1 && spec.replicas !== previous.replicas
            ? `scale ${where} from ${previous.replicas} to ${spec.replicas} replicas`
            : `change ${where}: ${changed.join(', ') || 'redeployed unchanged'}`,
      };
    });
  }

  /**
   * What should run by the history: the active version of every deployment in every
   * environment, with the backend that ran it, in the order the deployments first appeared.
   */
  active(): Array<HistoryEntry & { name: string; environment: string; backend: string }> {
    const rows = this.db
      .prepare(
        `SELECT h.id, h.name, h.environment, h.version, h.spec, h.actor, h.backend, h.outcome, h.at
         FROM deployment_history h
         JOIN (SELECT name, environment, MIN(id) AS first, MAX(CASE WHEN outcome = 'active' THEN id END) AS latest
               FROM deployment_history GROUP BY name, environment) d
           ON d.name = h.name AND d.environment = h.environment AND d.latest = h.id
         ORDER BY d.first`,
      )
      .all() as Array<{
      id: number;
      name: string;
      environment: string;
      version: string;
      spec: string;
      actor: string;
      backend: string;
      outcome: HistoryEntry['outcome'];
      at: string;
    }>;
    return rows.map((row) => ({ ...row, spec: JSON.parse(row.spec) as DeploymentSpec, at: new Date(row.at) }));
  }

  /** Environments a deployment name is recorded in, for calls that do not name one. */
  environmentsOf(name: string): string[] {
    return (
      this.db
        .prepare("SELECT DISTINCT environment FROM deployment_history WHERE name = ? AND outcome = 'active'")
        .all(name) as Array<{ environment: string }>
    ).map((row) => row.environment);
  }
}
