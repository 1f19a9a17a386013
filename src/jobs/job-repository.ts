import type { Db } from '../store/database.ts';

export type JobKind = 'tune' | 'quantize' | 'distill';
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
export const FINISHED_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];

export interface Job {
  id: number;
  kind: JobKind;
  deployment: string;
  environment: string;
  state: JobState;
  params: Record<string, unknown>;
  /** 0 to 1. */
  progress: number;
  progressText: string;
  result?: { summary: string; data?: unknown } | undefined;
  error?: string | undefined;
  requester: string;
  threadId: string;
  executor: string;
  createdAt: Date;
  startedAt?: Date | undefined;
  finishedAt?: Date | undefined;
  cancelledBy?: string | undefined;
}

const KEPT_LOG_LINES = 2000;

interface Row {
  id: number;
  kind: JobKind;
  deployment: string;
  environment: string;
  state: JobState;
  params: string;
  progress: number;
  progress_text: string;
  result: string | null;
  error: string | null;
  requester: string;
  thread_id: string;
  executor: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  cancelled_by: string | null;
}

/** Jobs in SQLite. State changes are conditional on the expected state, so a race cannot finish a job twice. */
export class JobRepository {
  constructor(private readonly db: Db) {}

  create(input: Pick<Job, 'kind' | 'deployment' | 'environment' | 'params' | 'requester' | 'threadId' | 'executor'>): Job {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO jobs (kind, deployment, environment, state, params, requester, thread_id, executor, created_at)
           VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
        )
        .run(
          input.kind,
          input.deployment,
          input.environment,
          JSON.stringify(input.params),
          input.requester,
          input.threadId,
          input.executor,
          new Date().toISOString(),
        ).lastInsertRowid,
    );
    return this.get(id) as Job;
  }

  get(id: number): Job | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** The newest jobs first. */
  recent(limit = 10): Job[] {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit) as Row[]).map(fromRow);
  }

  inStates(states: readonly JobState[]): Job[] {
    return (
      this.db
        .prepare(`SELECT * FROM jobs WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY id`)
        .all(...states) as Row[]
    ).map(fromRow);
  }

  /** Moves a job from one of `from` to `to`; false when it was in another state (someone else moved it first). */
  transition(
    id: number,
    from: readonly JobState[],
    to: JobState,
    fields: { result?: Job['result']; error?: string; cancelledBy?: string } = {},
  ): boolean {
    const now = new Date().toISOString();
    const finished = FINISHED_STATES.includes(to);
    return (
      this.db
        .prepare(
          `UPDATE jobs SET state = ?, result = COALESCE(?, result), error = COALESCE(?, error), cancelled_by = COALESCE(?, cancelled_by),
             started_at = CASE WHEN ? = 'running' THEN ? ELSE started_at END,
             finished_at = CASE WHEN ? = 1 THEN ? ELSE finished_at END
           WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})`,
        )
        .run(
          to,
          fields.result ? JSON.stringify(fields.result) : null,
          fields.error ?? null,
          fields.cancelledBy ?? null,
          to,
          now,
          finished ? 1 : 0,
          now,
          id,
          ...from,
        ).changes === 1
    );
  }

  setProgress(id: number, progress: number, text: string): void {
    this.db
      .prepare('UPDATE jobs SET progress = ?, progress_text = ? WHERE id = ?')
      .run(Math.max(0, Math.min(1, progress)), text, id);
  }

  appendLog(id: number, lines: readonly string[]): void {
    if (lines.length === 0) return;
    this.db.transaction(() => {
      const last = this.db.prepare('SELECT MAX(seq) AS seq FROM job_logs WHERE job_id = ?').get(id) as { seq: number | null };
      let seq = last.seq ?? 0;
      const insert = this.db.prepare('INSERT INTO job_logs (job_id, seq, at, line) VALUES (?, ?, ?, ?)');
      const at = new Date().toISOString();
      for (const line of lines) insert.run(id, ++seq, at, line.slice(0, 2000));
      this.db.prepare('DELETE FROM job_logs WHERE job_id = ? AND seq <= ?').run(id, seq - KEPT_LOG_LINES);
    })();
  }

  /** The last `n` lines, oldest first. */
  tail(id: number, n = 20): string[] {
    return (
      this.db.prepare('SELECT line FROM job_logs WHERE job_id = ? ORDER BY seq DESC LIMIT ?').all(id, n) as Array<{
        line: string;
      }>
    )
      .map((row) => row.line)
      .reverse();
  }
}

function fromRow(row: Row): Job {
  return {
    id: row.id,
    kind: row.kind,
    deployment: row.deployment,
    environment: row.environment,
    state: row.state,
    params: JSON.parse(row.params) as Record<string, unknown>,
    progress: row.progress,
    progressText: row.progress_text,
    result: row.result ? (JSON.parse(row.result) as Job['result']) : undefined,
    error: row.error ?? undefined,
    requester: row.requester,
    threadId: row.thread_id,
    executor: row.executor,
    createdAt: new Date(row.created_at),
    startedAt: row.started_at ? new Date(row.started_at) : undefined,
    finishedAt: row.finished_at ? new Date(row.finished_at) : undefined,
    cancelledBy: row.cancelled_by ?? undefined,
  };
}
