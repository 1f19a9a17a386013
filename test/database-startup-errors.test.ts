import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, it } from 'vitest';
import { openDatabase } from '../src/store/database.ts';
import { tempDataDir } from './support/test-assistant.ts';
import { mountTmpfs, tmpfsUnavailable } from './support/tmpfs.ts';

// Start-up database errors through the real entry points: what failed, the data folder, and what to do.
const ROOT = new URL('..', import.meta.url).pathname;
const SIZING = 'how much GPU memory does mistral-7b need in fp16 on an L4';
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = tempDataDir();
  dirs.push(dir);
  return dir;
}

function run(command: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DEMO: 'off', PORT: '0', ...env },
        encoding: 'utf8',
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}
// The installed command (the package's bin) and npm start, the two entry points.
const chatOnce = (dir: string) => run(process.execPath, [`${ROOT}bin/llmops.js`, 'chat', '--once', SIZING], { DATA_DIR: dir });
// Without a terminal, npm start runs as a service; a start-up error ends it at once.
const npmStart = (dir: string) => run('npm', ['start', '-s'], { DATA_DIR: dir });

// Each case has its own data folder and processes, and mostly waits on them: they run at once.
describe.concurrent('start-up database errors name the data folder and what to do', () => {
  it('a corrupt database: move it aside, and the next start begins a new one', async ({ expect }) => {
    const dir = dataDir();
    writeFileSync(join(dir, 'llmops.db'), 'these are not the bytes of a SQLite database\n'.repeat(200));
    const failed = await chatOnce(dir);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toBe(
      `llmops: DATA_DIR=${dir}: cannot use llmops.db: the database file is corrupt (SQLITE_NOTADB): file is not a database. What to do: move DATA_DIR/llmops.db (${dir}/llmops.db, with its -wal and -shm files) aside; the assistant starts a new one.\n`,
    );
    renameSync(join(dir, 'llmops.db'), join(dir, 'llmops.db.corrupt'));
    const again = await chatOnce(dir);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Mistral 7B in fp16 needs 13\.49 GiB for weights/);
  });

  it('a database written by a newer release', async ({ expect }) => {
    const dir = dataDir();
    const db = openDatabase(dir);
    db.pragma('user_version = 99');
    db.close();
    const failed = await chatOnce(dir);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      new RegExp(
        `^llmops: DATA_DIR=${dir}: llmops\\.db is at schema version 99, newer than this release knows \\(\\d+\\), so a newer release wrote it; run that release, or set DATA_DIR to another folder \\(this release does not downgrade a database\\)\\n$`,
      ),
    );
  });

  it('a database another process holds locked: named after waiting 5 s, and it starts once the lock is gone', async ({
    expect,
  }) => {
    const dir = dataDir();
    openDatabase(dir).close();
    const holder = new Database(join(dir, 'llmops.db'));
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE');
    let failed: Awaited<ReturnType<typeof chatOnce>>;
    try {
      failed = await chatOnce(dir);
    } finally {
      holder.exec('COMMIT');
      holder.close();
    }
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      `llmops: DATA_DIR=${dir}: cannot use llmops.db: the database is locked by another process (SQLITE_BUSY): database is locked. What to do: stop the other process using ${dir}/llmops.db (another assistant holding it exclusively, a backup, a sqlite3 shell) or set DATA_DIR to another folder.\n`,
    );
    expect((await chatOnce(dir)).code).toBe(0);
  }, 40_000);

  it('a data folder that a file stands in the way of', async ({ expect }) => {
    const dir = dataDir();
    writeFileSync(join(dir, 'not-a-folder'), 'x');
    const failed = await npmStart(join(dir, 'not-a-folder', 'data'));
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      `llmops: DATA_DIR=${dir}/not-a-folder/data: cannot create the data directory (ENOTDIR: not a directory, mkdir '${dir}/not-a-folder/data'); DATA_DIR must be a folder, and a file has that name (or a parent's); set DATA_DIR to a folder\n`,
    );
  });

  describe.skipIf(tmpfsUnavailable !== undefined)(
    `on file systems that fail${tmpfsUnavailable ? ` [skipped: ${tmpfsUnavailable}]` : ''}`,
    () => {
      it('a data folder on a read-only file system, existing or to be created', async ({ expect }) => {
        const disk = mountTmpfs('256k', { readOnly: true });
        try {
          const existing = await npmStart(disk.dir);
          expect(existing.code).toBe(1);
          expect(existing.stderr).toBe(
            `llmops: DATA_DIR=${disk.dir}: cannot use llmops.db: the database file cannot be opened (SQLITE_CANTOPEN): unable to open database file. What to do: DATA_DIR=${disk.dir} is on a read-only file system (EROFS): make it writable or set DATA_DIR to a writable folder.\n`,
          );
          const missing = await npmStart(join(disk.dir, 'data'));
          expect(missing.code).toBe(1);
          expect(missing.stderr).toMatch(
            new RegExp(
              `^llmops: DATA_DIR=${disk.dir}/data: cannot create the data directory \\(.*\\); ${disk.dir} is on a read-only file system \\(EROFS\\): set DATA_DIR to a writable folder, or make that one writable\\n$`,
            ),
          );
        } finally {
          disk.unmount();
        }
      });

      it('a full disk: says how much is free, and starts once there is room', async ({ expect }) => {
        const disk = mountTmpfs('1m');
        try {
          // The command's own log file is created first; the database is what cannot grow.
          mkdirSync(join(disk.dir, 'logs'));
          expect(() => writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(4 << 20))).toThrow(/ENOSPC/);
          const failed = await chatOnce(disk.dir);
          expect(failed.code).toBe(1);
          expect(failed.stderr).toBe(
            `llmops: DATA_DIR=${disk.dir}: cannot use llmops.db: the disk is full (SQLITE_FULL): database or disk is full. What to do: free space on the disk that holds DATA_DIR=${disk.dir} (0 B free), or set DATA_DIR to a folder on another disk.\n`,
          );
          rmSync(join(disk.dir, 'filler'));
          const again = await chatOnce(disk.dir);
          expect(again.stderr).toBe('');
          expect(again.code).toBe(0);
          expect(existsSync(join(disk.dir, 'llmops.db'))).toBe(true);
        } finally {
          disk.unmount();
        }
      });
    },
  );
});
