import type { Statement } from 'better-sqlite3';
import type { Db } from './database.ts';
import { StorageError } from './storage-errors.ts';
import { type StorageMonitor, storageOf } from './storage-monitor.ts';

// Slack retries within minutes; a day of memory is plenty and bounds what the fallback holds.
const FALLBACK_TTL_MS = 86_400_000;
const FALLBACK_MAX = 100_000;
const SQL = {
  delivery: 'INSERT OR IGNORE INTO slack_deliveries (id, received_at) VALUES (?, ?)',
  join: 'INSERT OR IGNORE INTO slack_threads (channel, thread_ts, started_at) VALUES (?, ?, ?)',
  inThread: 'SELECT 1 FROM slack_threads WHERE channel = ? AND thread_ts = ?',
  prune: 'DELETE FROM slack_deliveries WHERE received_at < ?',
};

/**
 * What the Slack surface must remember across restarts: deliveries handled, threads joined.
 * When the database cannot be written or read (full disk, corrupt file) it remembers in this
 * process instead, so an event is still answered once (its reply then says what failed) rather
 * than dropped; the failure is logged and counted.
 */
export class SlackRepository {
  private readonly storage: StorageMonitor;
  /** Deliveries and threads recorded only here because the database failed, by key, with when. */
  private readonly fallback = new Map<string, number>();
  /** Statements prepared on first use (inside the storage guard, so a failure is a StorageError): preparing costs as much as the write. */
  private readonly prepared = new Map<string, Statement>();

  constructor(private readonly db: Db) {
    this.storage = storageOf(db);
  }

  /** True the first time a delivery id is seen; false for a retry or a duplicate. Atomic across processes. */
  firstDelivery(id: string): boolean {
    const key = `delivery:${id}`;
    if (this.remembered(key)) return false;
    try {
      return this.storage.write(
        'slack_delivery',
        () => this.statement(SQL.delivery).run(id, new Date().toISOString()).changes === 1,
      );
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      this.remember(key);
      return true;
    }
  }

  joinThread(channel: string, threadTs: string): void {
    try {
      this.storage.write('slack_thread', () => this.statement(SQL.join).run(channel, threadTs, new Date().toISOString()));
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      this.remember(`thread:${channel}:${threadTs}`);
    }
  }

  inThread(channel: string, threadTs: string): boolean {
    if (this.remembered(`thread:${channel}:${threadTs}`)) return true;
    try {
      return this.storage.read('slack_thread', () => this.statement(SQL.inThread).get(channel, threadTs) !== undefined);
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      return false;
    }
  }

  /** Forgets deliveries older than a day: Slack retries within minutes. Housekeeping: a storage failure is only logged. */
  pruneDeliveries(olderThan: Date): void {
    try {
      this.storage.write('slack_prune', () => this.statement(SQL.prune).run(olderThan.toISOString()));
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
    }
  }

  private statement(sql: string): Statement {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }

  private remembered(key: string): boolean {
    const at = this.fallback.get(key);
    return at !== undefined && Date.now() - at < FALLBACK_TTL_MS;
  }

  private remember(key: string): void {
    const now = Date.now();
    if (this.fallback.size >= FALLBACK_MAX) {
      for (const [old, at] of this.fallback) if (now - at >= FALLBACK_TTL_MS) this.fallback.delete(old);
      // Still full of fresh keys: drop the oldest (Map keeps insertion order).
      while (this.fallback.size >= FALLBACK_MAX) this.fallback.delete(this.fallback.keys().next().value as string);
    }
    this.fallback.set(key, now);
  }
}
