import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../errors.ts';

export type Db = Database.Database;

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/**
 * Opens (creating when missing) `DATA_DIR/llmops.db` in WAL mode and applies the numbered
 * migrations in `migrations/` that it has not seen, each in its own transaction.
 */
export function openDatabase(dataDir: string, fileName = 'llmops.db'): Db {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new AppError(
      'data_dir_unwritable',
      `DATA_DIR=${dataDir}: cannot create the data directory (${(error as Error).message})`,
      { cause: error },
    );
  }
  const db = new Database(join(dataDir, fileName));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
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
      `The database is at schema version ${current}, newer than this release (${latest}); run a newer release or point DATA_DIR elsewhere`,
    );
  }
  for (const migration of migrations.filter((m) => m.version > current)) {
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
