import type { Db } from '../store/database.ts';

export interface Incident {
  groupKey: string;
  threadId: string;
  title: string;
  status: 'firing' | 'resolved';
  fingerprints: string[];
  openedAt: Date;
}

export class IncidentRepository {
  constructor(private readonly db: Db) {}

  get(groupKey: string): Incident | undefined {
    const row = this.db.prepare('SELECT * FROM incidents WHERE group_key = ?').get(groupKey) as
      | {
          group_key: string;
          thread_id: string;
          title: string;
          status: Incident['status'];
          fingerprints: string;
          opened_at: string;
        }
      | undefined;
    return row
      ? {
          groupKey: row.group_key,
          threadId: row.thread_id,
          title: row.title,
          status: row.status,
          fingerprints: JSON.parse(row.fingerprints) as string[],
          openedAt: new Date(row.opened_at),
        }
      : undefined;
  }

  /** Records a new incident; false when the group already has one (two deliveries raced). */
  open(incident: Incident): boolean {
    const now = new Date().toISOString();
    return (
      this.db
        .prepare(
          'INSERT OR IGNORE INTO incidents (group_key, thread_id, title, status, fingerprints, opened_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          incident.groupKey,
          incident.threadId,
          incident.title,
          incident.status,
          JSON.stringify(incident.fingerprints),
          incident.openedAt.toISOString(),
          now,
        ).changes === 1
    );
  }

  update(groupKey: string, status: Incident['status'], fingerprints: string[]): void {
    const now = new Date().toISOString();
    this.db
      .prepare(
        "UPDATE incidents SET status = ?, fingerprints = ?, updated_at = ?, resolved_at = CASE WHEN ? = 'resolved' THEN ? ELSE NULL END WHERE group_key = ?",
      )
      .run(status, JSON.stringify(fingerprints), now, status, now, groupKey);
  }
}
