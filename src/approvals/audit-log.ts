import type { Db } from '../store/database.ts';

export interface AuditEntry {
  id?: number;
  at: Date;
  actor: string;
  /** proposed, approved, rejected, executed, succeeded, failed, expired, interrupted, ran (no approval needed) */
  action: string;
  tool?: string | undefined;
  deployment?: string | undefined;
  environment?: string | undefined;
  proposalId?: number | undefined;
  details?: unknown;
}

export interface AuditQuery {
  start: Date;
  end: Date;
  user?: string | undefined;
  deployment?: string | undefined;
  /** A tool name (deploy_model) or an audit action (approved). */
  action?: string | undefined;
  limit?: number;
}

/** The append-only audit trail; this module only ever inserts and reads. */
export class AuditLog {
  constructor(private readonly db: Db) {}

  append(entry: Omit<AuditEntry, 'id' | 'at'> & { at?: Date }): void {
    this.db
      .prepare(
        'INSERT INTO audit_log (at, actor, action, tool, deployment, environment, proposal_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        (entry.at ?? new Date()).toISOString(),
        entry.actor,
        entry.action,
        entry.tool ?? null,
        entry.deployment ?? null,
        entry.environment ?? null,
        entry.proposalId ?? null,
        entry.details === undefined ? null : JSON.stringify(entry.details),
      );
  }

  query(query: AuditQuery): AuditEntry[] {
    const where = ['at BETWEEN ? AND ?'];
    const params: unknown[] = [query.start.toISOString(), query.end.toISOString()];
    if (query.user) {
      where.push('actor = ?');
      params.push(query.user);
    }
    if (query.deployment) {
      where.push('deployment = ?');
      params.push(query.deployment);
    }
    if (query.action) {
      where.push('(tool = ? OR action = ?)');
      params.push(query.action, query.action);
    }
    const rows = this.db
      .prepare(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`)
      .all(...params, query.limit ?? 200) as Array<{
      id: number;
      at: string;
      actor: string;
      action: string;
      tool: string | null;
      deployment: string | null;
      environment: string | null;
      proposal_id: number | null;
      details: string | null;
    }>;
    return rows.map((row) => ({
      id: row.id,
      at: new Date(row.at),
      actor: row.actor,
      action: row.action,
      tool: row.tool ?? undefined,
      deployment: row.deployment ?? undefined,
      environment: row.environment ?? undefined,
      proposalId: row.proposal_id ?? undefined,
      details: row.details === null ? undefined : (JSON.parse(row.details) as unknown),
    }));
  }
}
