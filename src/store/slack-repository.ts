import type { Db } from './database.ts';

/** What the Slack surface must remember across restarts: deliveries handled, threads joined. */
export class SlackRepository {
  constructor(private readonly db: Db) {}

  /** True the first time a delivery id is seen; false for a retry or a duplicate. Atomic across processes. */
  firstDelivery(id: string): boolean {
    return (
      this.db.prepare('INSERT OR IGNORE INTO slack_deliveries (id, received_at) VALUES (?, ?)').run(id, new Date().toISOString())
        .changes === 1
    );
  }

  joinThread(channel: string, threadTs: string): void {
    this.db
      .prepare('INSERT OR IGNORE INTO slack_threads (channel, thread_ts, started_at) VALUES (?, ?, ?)')
      .run(channel, threadTs, new Date().toISOString());
  }

  inThread(channel: string, threadTs: string): boolean {
    return (
      this.db.prepare('SELECT 1 FROM slack_threads WHERE channel = ? AND thread_ts = ?').get(channel, threadTs) !== undefined
    );
  }

  /** Forgets deliveries older than a day: Slack retries within minutes. */
  pruneDeliveries(olderThan: Date): void {
    this.db.prepare('DELETE FROM slack_deliveries WHERE received_at < ?').run(olderThan.toISOString());
  }
}
