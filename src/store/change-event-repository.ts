import type { Db } from './database.ts';

/** A change that may explain what metrics do: a deploy, a config change, scaling, an alert. */
export interface ChangeEvent {
  id?: number;
  time: Date;
  kind: string;
  target: string;
  description: string;
  actor?: string | undefined;
  source: string;
}

export class ChangeEventRepository {
  constructor(private readonly db: Db) {}

  add(event: ChangeEvent): number {
    return Number(
      this.db
        .prepare('INSERT INTO change_events (time, kind, target, description, actor, source) VALUES (?, ?, ?, ?, ?, ?)')
        .run(event.time.toISOString(), event.kind, event.target, event.description, event.actor ?? null, event.source)
        .lastInsertRowid,
    );
  }

  /** Events in [start, end], oldest first, optionally of one target. */
  list(start: Date, end: Date, target?: string): ChangeEvent[] {
    const rows = this.db
      .prepare(
        `SELECT id, time, kind, target, description, actor, source FROM change_events WHERE time BETWEEN ? AND ?${target ? ' AND target = ?' : ''} ORDER BY time`,
      )
      .all(...[start.toISOString(), end.toISOString(), ...(target ? [target] : [])]) as Array<
      Omit<ChangeEvent, 'time'> & { time: string; actor: string | null }
    >;
    return rows.map((row) => ({ ...row, time: new Date(row.time), actor: row.actor ?? undefined }));
  }
}
