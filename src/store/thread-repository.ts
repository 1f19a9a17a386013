import {
  type BaseMessage,
  mapChatMessagesToStoredMessages,
  mapStoredMessagesToChatMessages,
  type StoredMessage,
} from '@langchain/core/messages';
import type { Db } from './database.ts';
import { type StorageMonitor, storageOf } from './storage-monitor.ts';

const ROLES = { human: 'human', ai: 'ai', tool: 'tool', system: 'system' } as const;

/**
 * Conversation memory per thread, persisted so that a restart loses nothing. A failure of the
 * storage (full disk, corrupt file) is thrown as a StorageError, logged and counted.
 */
export class ThreadRepository {
  private readonly storage: StorageMonitor;

  constructor(private readonly db: Db) {
    this.storage = storageOf(db);
  }

  /** Appends one turn's messages atomically: all of them or none. */
  append(threadId: string, surface: string, messages: BaseMessage[], userId?: string): void {
    if (messages.length === 0) return;
    const now = new Date().toISOString();
    const stored = mapChatMessagesToStoredMessages(messages);
    // Preparing reads the schema, so it belongs inside the guarded operation too.
    this.storage.write('conversation_append', () => {
      const upsertThread = this.db.prepare(
        'INSERT INTO threads (id, surface, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at',
      );
      const insert = this.db.prepare('INSERT INTO messages (thread_id, role, body, user_id, created_at) VALUES (?, ?, ?, ?, ?)');
      this.db.transaction(() => {
        upsertThread.run(threadId, surface, now, now);
        for (const message of stored) {
          const role = ROLES[message.type as keyof typeof ROLES] ?? 'system';
          insert.run(threadId, role, JSON.stringify(message), role === 'human' ? (userId ?? null) : null, now);
        }
      })();
    });
  }

  /**
   * The latest messages of a thread, at most `limit`, starting at a person's message so
   * that no tool result is separated from the call that asked for it.
   */
  recent(threadId: string, limit: number): BaseMessage[] {
    const rows = this.storage.read(
      'conversation_read',
      () =>
        this.db
          .prepare(
            'SELECT role, body FROM (SELECT id, role, body FROM messages WHERE thread_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id',
          )
          .all(threadId, limit) as Array<{ role: string; body: string }>,
    );
    const start = rows.findIndex((row) => row.role === 'human');
    if (start < 0) return [];
    return mapStoredMessagesToChatMessages(rows.slice(start).map((row) => JSON.parse(row.body) as StoredMessage));
  }

  /** Forgets a thread (the local chat's /new). */
  clear(threadId: string): void {
    this.storage.write('conversation_clear', () => this.db.prepare('DELETE FROM threads WHERE id = ?').run(threadId));
  }
}
