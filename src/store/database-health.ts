import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describeError } from '../errors.ts';
import type { Db } from './database.ts';
import { healthHeadline, remedy, type StorageProblem, storageProblemOf } from './storage-errors.ts';
import { type StorageFailure, type StorageMonitor, storageOf } from './storage-monitor.ts';

export interface DatabaseHealthOptions {
  /** How long one answer is reused, so a flood of /healthz does not hammer the file. */
  cacheMs?: number;
  /** PRAGMA quick_check reads every page (about 150 ms for 60 MB): run it this rarely while it passes… */
  quickCheckEveryMs?: number;
  /** …this often once it failed or an operation met a corrupt page… */
  quickCheckRetryMs?: number;
  /** …and not at all on a file larger than this (it would block the event loop too long). */
  quickCheckMaxBytes?: number;
  /** After a failed write, the write that proves room again (a turn with tool results is a few KiB to tens of KiB). */
  spaceProbeBytes?: number;
  /** How long the write probe waits for another process's write lock before calling the database busy. */
  probeBusyMs?: number;
  now?: () => number;
}

/**
 * The database part of /healthz: "ok", or why the database cannot be used. Each check looks at
 * the path (deleted or replaced since it was opened), reads the file as it is on disk through a
 * fresh read-only connection (the working connection's page cache would hide a damaged file), and
 * writes one fixed-size row through the working connection (a full disk or read-only file fails
 * there). A write failure met by any operation keeps health failing until a write of a turn's size
 * succeeds again.
 */
export class DatabaseHealth {
  private readonly monitor: StorageMonitor;
  private readonly cacheMs: number;
  private readonly quickCheckEveryMs: number;
  private readonly quickCheckRetryMs: number;
  private readonly quickCheckMaxBytes: number;
  private readonly spaceProbeBytes: number;
  private readonly probeBusyMs: number;
  private readonly now: () => number;
  private cached: { at: number; status: string } | undefined;
  private integrity: { at: number; problem: string | undefined } | undefined;

  constructor(
    private readonly db: Db,
    options: DatabaseHealthOptions = {},
  ) {
    this.monitor = storageOf(db);
    this.cacheMs = options.cacheMs ?? 1_000;
    this.quickCheckEveryMs = options.quickCheckEveryMs ?? 600_000;
    this.quickCheckRetryMs = options.quickCheckRetryMs ?? 30_000;
    this.quickCheckMaxBytes = options.quickCheckMaxBytes ?? 256 * 1024 * 1024;
    this.spaceProbeBytes = options.spaceProbeBytes ?? 64 * 1024;
    this.probeBusyMs = options.probeBusyMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** "ok", or the reason the database cannot be read or written, with what to do; at most `cacheMs` old. */
  check(): string {
    const now = this.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.status;
    let status: string;
    try {
      status = this.fileStatus() ?? this.readStatus(now) ?? this.writeStatus(now) ?? this.latchedStatus() ?? 'ok';
    } catch (error) {
      // A check that cannot run is no proof of health.
      status = `database check failed: ${describeError(error)}`;
    }
    this.cached = { at: now, status };
    return status;
  }

  private fileStatus(): string | undefined {
    const problem = this.monitor.fileProblem();
    if (!problem) return undefined;
    const file = this.monitor.file;
    if (problem.code === 'replaced') {
      return `database file replaced: ${file} is no longer the file the assistant opened, and what it saves goes to the old one; restart the assistant to use the new file`;
    }
    const open = this.monitor.openFile();
    if (open?.linked) {
      const where = open.path ? `the open database is now ${open.path}` : 'the open database still exists under another name';
      return `database file moved: ${file} no longer exists; ${where}, and what the assistant saves goes there; move it back, or restart to begin a new database at ${file}`;
    }
    const copy = open ? ` (its content up to the last checkpoint can be copied from ${open.descriptor} before it stops)` : '';
    return `database file deleted: ${file} no longer exists; the assistant still holds the deleted file open and what it saves is lost when it stops; restart the assistant to begin a new database${copy}`;
  }

  private readStatus(now: number): string | undefined {
    const file = this.monitor.file;
    const header = headerProblem(file);
    if (header) return this.describe({ kind: 'corrupt', code: 'bad_header' }, `${file} ${header}`);
    let fresh: Db | undefined;
    try {
      fresh = new Database(file, { readonly: true, fileMustExist: true });
      fresh.pragma(`busy_timeout = ${this.probeBusyMs}`);
      const tables = fresh.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[];
      // The first row of every table: each table's root page and its leftmost leaf come from the disk.
      for (const table of tables) fresh.prepare(`SELECT 1 FROM "${table.replaceAll('"', '""')}" LIMIT 1`).get();
      return this.integrityStatus(fresh, now);
    } catch (error) {
      const problem = storageProblemOf(error);
      if (!problem) return `database unreadable: ${describeError(error)} reading ${file}`;
      return this.describe(problem, `reading ${file} failed (${describeError(error)})`);
    } finally {
      fresh?.close();
    }
  }

  /** PRAGMA quick_check, bounded in how often and on how large a file it runs. */
  private integrityStatus(fresh: Db, now: number): string | undefined {
    const latchedCorrupt = this.monitor.failure()?.problem.kind === 'corrupt';
    const failing = latchedCorrupt || this.integrity?.problem !== undefined;
    const due = !this.integrity || now - this.integrity.at >= (failing ? this.quickCheckRetryMs : this.quickCheckEveryMs);
    if (due && statSync(this.monitor.file).size <= this.quickCheckMaxBytes) {
      const findings = fresh.pragma('quick_check(3)', { simple: false }) as Array<{ quick_check: string }>;
      const messages = findings.map((row) => row.quick_check);
      const problem = messages.length === 1 && messages[0] === 'ok' ? undefined : messages.join('; ');
      this.integrity = { at: now, problem };
      if (!problem && latchedCorrupt) this.monitor.clear();
    }
    if (this.integrity?.problem) {
      return this.describe({ kind: 'corrupt', code: 'quick_check' }, `PRAGMA quick_check found: ${this.integrity.problem}`);
    }
    return undefined;
  }

  private writeStatus(now: number): string | undefined {
    const latched = this.monitor.failure();
    const previousTimeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    try {
      this.db.pragma(`busy_timeout = ${this.probeBusyMs}`);
      const at = new Date(now).toISOString();
      // The same row rewritten with a same-length timestamp: proves a write without growing the file.
      this.db.prepare('INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at').run(at);
      if (latched && latched.problem.kind !== 'corrupt') {
        // A one-page write can fit where a turn does not (a full disk with room left in the WAL): prove room for a turn.
        this.db
          .prepare(
            'INSERT INTO health_probe (id, at, filler) VALUES (2, ?, zeroblob(?)) ON CONFLICT (id) DO UPDATE SET at = excluded.at, filler = excluded.filler',
          )
          .run(at, this.spaceProbeBytes);
        this.monitor.clear();
      }
      return undefined;
    } catch (error) {
      const problem = storageProblemOf(error);
      if (!problem) return `database not writable: ${describeError(error)}`;
      const what = latched
        ? `${latched.operation} failed at ${latched.at.toISOString()} and a ${Math.round(this.spaceProbeBytes / 1024)} KiB test write still fails`
        : 'the health check could not write its row';
      return this.describe(problem, what);
    } finally {
      this.db.pragma(`busy_timeout = ${previousTimeout}`);
    }
  }

  private latchedStatus(): string | undefined {
    const latched: StorageFailure | undefined = this.monitor.failure();
    if (!latched) return undefined;
    return this.describe(latched.problem, `${latched.operation} failed at ${latched.at.toISOString()}`);
  }

  private describe(problem: StorageProblem, what: string): string {
    const file = this.monitor.file;
    return `${healthHeadline(problem)} (${problem.code}) under DATA_DIR=${dirname(file)}: ${what}; ${remedy(problem, file)}`;
  }
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * What is wrong with the file's 100-byte header (sqlite.org/fileformat.html), if anything. SQLite
 * itself may not notice a damaged header while page 1 sits in the WAL, but a copy of the file, or
 * a crash that loses the WAL, cannot be read.
 */
export function headerProblem(file: string): string | undefined {
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  // An empty file is a database SQLite has not written yet.
  if (read === 0) return undefined;
  if (read < 100) return `is ${read} bytes long, shorter than a SQLite header`;
  if (!header.subarray(0, 16).equals(MAGIC)) return 'does not start with the SQLite header ("SQLite format 3")';
  const pageSize = header.readUInt16BE(16);
  const validPageSize = pageSize === 1 || (pageSize >= 512 && pageSize <= 32768 && (pageSize & (pageSize - 1)) === 0);
  if (!validPageSize) return `has an invalid page size in its header (${pageSize})`;
  if (![1, 2].includes(header[18] as number) || ![1, 2].includes(header[19] as number)) {
    return `has invalid format versions in its header (${header[18]}, ${header[19]})`;
  }
  if (header[21] !== 64 || header[22] !== 32 || header[23] !== 32) return 'has invalid payload fractions in its header';
  return undefined;
}
