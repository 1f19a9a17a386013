import { accessSync, constants, statfsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AppError } from '../errors.ts';

/** What went wrong with the database file, in families that call for the same action. */
export type StorageProblemKind = 'disk_full' | 'read_only' | 'io_error' | 'corrupt' | 'busy' | 'cannot_open' | 'deleted';

export interface StorageProblem {
  kind: StorageProblemKind;
  /** SQLite's extended result code (SQLITE_FULL, SQLITE_IOERR_WRITE, …), or a word for problems SQLite cannot see. */
  code: string;
}

// SQLite's primary result codes, by the action they call for; extended codes (SQLITE_IOERR_WRITE) share their primary's.
const KIND_OF_PRIMARY: Record<string, StorageProblemKind> = {
  SQLITE_FULL: 'disk_full',
  SQLITE_READONLY: 'read_only',
  SQLITE_PERM: 'read_only',
  SQLITE_IOERR: 'io_error',
  SQLITE_CORRUPT: 'corrupt',
  SQLITE_NOTADB: 'corrupt',
  SQLITE_BUSY: 'busy',
  SQLITE_LOCKED: 'busy',
  SQLITE_CANTOPEN: 'cannot_open',
};

/** The storage problem behind an error, or undefined for errors that are not about the file (constraints, bugs). */
export function storageProblemOf(error: unknown): StorageProblem | undefined {
  if (error instanceof StorageError) return error.problem;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const primary = code.split('_').slice(0, 2).join('_');
  const kind = KIND_OF_PRIMARY[primary];
  return kind ? { kind, code } : undefined;
}

const PHRASES: Record<StorageProblemKind, (code: string) => string> = {
  disk_full: (code) => `the disk is full (${code})`,
  read_only: (code) => `the database is read-only (${code})`,
  io_error: (code) => `the disk reported an I/O error (${code})`,
  corrupt: (code) => `the database file is corrupt (${code})`,
  busy: (code) => `the database is locked by another process (${code})`,
  cannot_open: (code) => `the database file cannot be opened (${code})`,
  deleted: () => 'the database file was deleted or replaced while the assistant runs',
};

/** What happened, in words for a person: "the disk is full (SQLITE_FULL)". */
export function describeProblem(problem: StorageProblem): string {
  return PHRASES[problem.kind](problem.code);
}

/** The short headline /healthz gives: "database not writable: disk full". */
export function healthHeadline(problem: StorageProblem): string {
  switch (problem.kind) {
    case 'disk_full':
      return 'database not writable: disk full';
    case 'read_only':
      return 'database not writable: read-only';
    case 'io_error':
      return 'database not writable: I/O error';
    case 'corrupt':
      return 'database corrupt';
    case 'busy':
      return 'database busy: locked by another process';
    case 'cannot_open':
      return 'database cannot be opened';
    case 'deleted':
      return 'database file deleted';
  }
}

/** What an operator should do about a problem with `file` (DATA_DIR/llmops.db), at start-up or while it runs. */
export function remedy(problem: StorageProblem, file: string, when: 'startup' | 'running' = 'running'): string {
  const dataDir = dirname(file);
  switch (problem.kind) {
    case 'disk_full':
      return `free space on the disk that holds DATA_DIR=${dataDir}${freeSpace(dataDir)}, or set DATA_DIR to a folder on another disk`;
    case 'read_only':
      return `make DATA_DIR=${dataDir} and ${basename(file)} in it writable by this user, or set DATA_DIR to a writable folder`;
    case 'io_error':
      return `check the disk that holds DATA_DIR=${dataDir} (free space, the kernel log)`;
    case 'corrupt':
      return `${when === 'running' ? 'stop the assistant and ' : ''}move DATA_DIR/${basename(file)} (${file}, with its -wal and -shm files) aside; the assistant starts a new one`;
    case 'busy':
      return `stop the other process using ${file} (another assistant holding it exclusively, a backup, a sqlite3 shell) or set DATA_DIR to another folder`;
    case 'cannot_open': {
      const denied = whyNotWritable(dataDir);
      return denied
        ? `DATA_DIR=${denied}: make it writable or set DATA_DIR to a writable folder`
        : `check that ${file} is a readable and writable file`;
    }
    case 'deleted':
      return `put ${file} back, or restart the assistant to begin a new database; until then what it saves is lost when it stops`;
  }
}

/** A storage failure at run time: says what happened and where, and keeps the classified problem for callers. */
export class StorageError extends AppError {
  constructor(
    readonly problem: StorageProblem,
    readonly file: string,
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`storage_${problem.kind}`, runtimeMessage(problem, file), options);
    this.name = 'StorageError';
  }
}

/** What happened and where: "the disk is full (SQLITE_FULL) under DATA_DIR=/srv/llmops". */
export function runtimeMessage(problem: StorageProblem, file: string): string {
  if (problem.kind === 'deleted') {
    return `${file} was ${problem.code === 'replaced' ? 'replaced by another file' : 'deleted or moved away'} while the assistant runs`;
  }
  return `${describeProblem(problem)} under DATA_DIR=${dirname(file)}`;
}

/**
 * A database error at start-up as an error that names the data folder and what to do; errors
 * that are not about the database file are returned unchanged.
 */
export function startupStorageError(error: unknown, file: string): unknown {
  if (error instanceof AppError && !(error instanceof StorageError)) return error;
  const problem = storageProblemOf(error);
  if (!problem) return error;
  const detail = error instanceof Error && !(error instanceof StorageError) ? `: ${error.message}` : '';
  return new AppError(
    `database_${problem.kind}`,
    `DATA_DIR=${dirname(file)}: cannot use ${basename(file)}: ${describeProblem(problem)}${detail}. What to do: ${remedy(problem, file, 'startup')}.`,
    { cause: error },
  );
}

/** Why this user cannot write in `dir` ("/srv is on a read-only file system (EROFS)"), or undefined when it can. */
export function whyNotWritable(dir: string): string | undefined {
  try {
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EACCES';
    if (code === 'EROFS') return `${dir} is on a read-only file system (EROFS)`;
    if (code === 'ENOENT') return `${dir} does not exist (ENOENT)`;
    return `${dir} is not writable by this user (${code})`;
  }
}

function freeSpace(dir: string): string {
  try {
    const stats = statfsSync(dir);
    return ` (${formatBytes(stats.bavail * stats.bsize)} free)`;
  } catch {
    return '';
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(0)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
