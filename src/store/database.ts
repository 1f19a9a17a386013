import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../errors.ts';
import { startupStorageError, whyNotWritable } from './storage-errors.ts';
import { registerStorage, StorageMonitor } from './storage-monitor.ts';

export type Db = Database.Database;

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/**
 * Opens (creating when missing) `DATA_DIR/llmops.db` in WAL mode and applies the numbered
 * migrations in `migrations/` that it has not seen, each in its own transaction. A failure
 * names the data folder and what to do (corrupt, full disk, read-only, locked, too new).
 */
export function openDatabase(dataDir: string, fileName = 'llmops.db'): Db {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new AppError(
      'data_dir_unwritable',
      `DATA_DIR=${dataDir}: cannot create the data directory (${(error as Error).message}); ${folderRemedy(dataDir, error)}`,
      { cause: error },
    );
  }
  const file = join(dataDir, fileName);
  let db: Db | undefined;
  try {
    db = new Database(file);
    registerStorage(db, new StorageMonitor(file));
    // First, so that a lock held by another process is waited for before any other statement.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    throw startupStorageError(error, file);
  }
}

/** What to do when the data folder cannot be created: a file in the way, or the nearest existing parent not writable. */
function folderRemedy(dataDir: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR') {
    return "DATA_DIR must be a folder, and a file has that name (or a parent's); set DATA_DIR to a folder";
  }
  let parent = dirname(dataDir);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  const denied = whyNotWritable(parent);
  if (denied) return `${denied}: set DATA_DIR to a writable folder, or make that one writable`;
  return 'create it, make its parent writable by this user, or set DATA_DIR to a writable folder';
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads `NNNN-name.sql` files in version order; a gap or a duplicate number is a packaging error. */
export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d{4})-(.+)\.sql$/.exec(file);
      if (!match) throw new AppError('migration_name_invalid', `Migration file "${file}" must be named NNNN-description.sql`);
      return { version: Number(match[1]), name: match[2] as string, sql: readFileSync(new URL(file, dir), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new AppError(
        'migration_sequence_invalid',
        `Migrations must be numbered 0001, 0002, … without gaps; found ${migration.version} at position ${index + 1}`,
      );
    }
  });
  return migrations;
}

export function migrate(db: Db, migrations: Migration[] = loadMigrations()): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new AppError(
      'database_too_new',
      `DATA_DIR=${dirname(db.name)}: ${basename(db.name)} is at schema version ${current}, newer than this release knows (${latest}), so a newer release wrote it; run that release, or set DATA_DIR to another folder (this release does not downgrade a database)`,
    );
  }
  for (const migration of migrations.filter((m) => m.version > current)) {
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
