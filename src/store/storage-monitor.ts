import { fstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Logger } from '../observability/logger.ts';
import type { AssistantMetrics } from '../observability/metrics.ts';
import { describeProblem, remedy, StorageError, type StorageProblem, storageProblemOf } from './storage-errors.ts';

/** A storage operation that failed: what it was, what went wrong, when. */
export interface StorageFailure {
  operation: string;
  problem: StorageProblem;
  at: Date;
}

interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * Watches one database file: runs repository operations so that a storage failure becomes a
 * StorageError (logged, counted in llmops_storage_failures_total), and remembers the last write
 * failure until a write succeeds again, so that health reports it even when its own small probe
 * still fits (a full disk may leave room for a one-page write and none for a turn).
 */
export class StorageMonitor {
  private readonly identity: FileIdentity | undefined;
  private latched: StorageFailure | undefined;
  private sink: { metrics?: AssistantMetrics | undefined; logger?: Logger | undefined } = {};

  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    // The open descriptor keeps this identity for the connection's life, so the path is compared with it later.
    this.identity = identityOf(file);
  }

  /** Where failures are counted and logged (the assistant attaches its metrics and logger). */
  attach(sink: { metrics?: AssistantMetrics | undefined; logger?: Logger | undefined }): void {
    this.sink = sink;
  }

  /**
   * Runs a write. It refuses when the file at the path is no longer the one open (a write
   * there would be lost at exit); a storage failure is recorded and thrown as a StorageError;
   * success clears a remembered write failure.
   */
  write<T>(operation: string, run: () => T): T {
    const moved = this.fileProblem();
    if (moved) throw this.fail(operation, moved);
    let result: T;
    try {
      result = run();
    } catch (error) {
      throw this.translate(operation, error);
    }
    if (this.latched && this.latched.problem.kind !== 'corrupt') this.latched = undefined;
    return result;
  }

  /** Runs a read; a storage failure (a corrupt page, an I/O error) is recorded and thrown as a StorageError. */
  read<T>(operation: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw this.translate(operation, error);
    }
  }

  /** The write failure (or corruption) remembered since the last successful write, if any. */
  failure(): StorageFailure | undefined {
    return this.latched;
  }

  /** Forgets the remembered failure: the health check proved writes (or the file's integrity) again. */
  clear(): void {
    this.latched = undefined;
  }

  /** A problem with the path itself: deleted, or replaced by another file, since the database was opened. */
  fileProblem(): StorageProblem | undefined {
    if (!this.identity) return undefined;
    const current = identityOf(this.file);
    if (!current) return { kind: 'deleted', code: 'deleted' };
    if (current.dev !== this.identity.dev || current.ino !== this.identity.ino) return { kind: 'deleted', code: 'replaced' };
    return undefined;
  }

  /**
   * Where the open file is now (Linux): whether any name still links to it (a move keeps one, a
   * deletion none), its current path when the kernel knows it, and the /proc path its content
   * can be read from while this process holds it open; undefined when not found.
   */
  openFile(): { linked: boolean; path: string | undefined; descriptor: string } | undefined {
    if (!this.identity) return undefined;
    try {
      for (const fd of readdirSync('/proc/self/fd')) {
        let stats: { dev: number; ino: number; nlink: number };
        try {
          stats = fstatSync(Number(fd));
        } catch {
          continue;
        }
        if (stats.dev !== this.identity.dev || stats.ino !== this.identity.ino) continue;
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        // The kernel marks the name opened as deleted even when another hard link keeps the file: then the path is unknown.
        const path = target.endsWith(' (deleted)') ? undefined : target;
        return { linked: stats.nlink > 0, path, descriptor: `/proc/${process.pid}/fd/${fd}` };
      }
    } catch {
      // Not Linux, or /proc not mounted: there is nothing to offer.
    }
    return undefined;
  }

  private translate(operation: string, error: unknown): unknown {
    const problem = storageProblemOf(error);
    if (!problem) return error;
    return this.fail(operation, problem, error);
  }

  private fail(operation: string, problem: StorageProblem, cause?: unknown): StorageError {
    const failure: StorageFailure = { operation, problem, at: this.now() };
    // Reads that fail only on busy locks say nothing about the file; everything else is remembered for health.
    if (problem.kind !== 'busy') this.latched = failure;
    this.sink.metrics?.storageFailures.inc({ operation, reason: problem.kind });
    this.sink.logger?.error(
      { err: cause, operation, reason: problem.kind, code: problem.code, file: this.file },
      `storage failed: ${describeProblem(problem)} (${operation}); ${remedy(problem, this.file)}`,
    );
    return new StorageError(problem, this.file, operation, { cause });
  }
}

const monitors = new WeakMap<Database.Database, StorageMonitor>();

/** The monitor of a database connection (made on first use for connections not opened by openDatabase). */
export function storageOf(db: Database.Database): StorageMonitor {
  let monitor = monitors.get(db);
  if (!monitor) {
    monitor = new StorageMonitor(db.name);
    monitors.set(db, monitor);
  }
  return monitor;
}

/** Registers the monitor openDatabase made right after opening the file. */
export function registerStorage(db: Database.Database, monitor: StorageMonitor): void {
  monitors.set(db, monitor);
}

function identityOf(file: string): FileIdentity | undefined {
  if (file === ':memory:' || file === '') return undefined;
  try {
    const stats = statSync(file);
    return { dev: stats.dev, ino: stats.ino };
  } catch {
    return undefined;
  }
}
