import type { ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  linkSync,
  mkdtempSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthUntil } from './support/health-until.ts';
import { startService } from './support/start-service.ts';

// The database check of /healthz on the service `npm start` runs, as its file is corrupted, moved
// and deleted under it (a file of its own, so that it runs beside the in-process storage tests).
const _ROOT = new URL('..', import.meta.url).pathname;

describe('/healthz of npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'llmops-test-'));
  const file = join(dataDir, 'llmops.db');
  let service: { child: ChildProcess; port: number };

  beforeAll(async () => {
    service = await startService({ PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, DEMO: 'off', PORT: '0' });
  }, 40_000);

  afterAll(() => {
    service?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 within seconds of the file being corrupted, and 200 once its bytes are restored', async () => {
    const { port } = service;
    expect((await healthUntil(port, (status) => status === 200)).status).toBe(200);
    const fd = openSync(file, 'r+');
    const header = Buffer.alloc(100);
    readSync(fd, header, 0, 100, 0);
    writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 0);
    const corrupt = await healthUntil(port, (status) => status === 503);
    expect(corrupt.status).toBe(503);
    expect(corrupt.ms).toBeLessThan(3000);
    expect(corrupt.body.ok).toBe(false);
    expect(corrupt.body.checks.database).toBe(
      `database corrupt (bad_header) under DATA_DIR=${dataDir}: ${file} does not start with the SQLite header ("SQLite format 3"); stop the assistant and move DATA_DIR/llmops.db (${file}, with its -wal and -shm files) aside; the assistant starts a new one`,
    );
    writeSync(fd, header, 0, 100, 0);
    closeSync(fd);
    const restored = await healthUntil(port, (status) => status === 200);
    expect(restored.status).toBe(200);
    expect(restored.body.checks.database).toBe('ok');
  });

  it('answers 503 when the file is moved away (under a known or an unknown name), and 200 once it is back', async () => {
    const { port } = service;
    renameSync(file, `${file}.aside`);
    const moved = await healthUntil(port, (status) => status === 503);
    expect(moved.ms).toBeLessThan(3000);
    expect(moved.body.checks.database).toBe(
      `database file moved: ${file} no longer exists; the open database is now ${file}.aside, and what the assistant saves goes there; move it back, or restart to begin a new database at ${file}`,
    );
    renameSync(`${file}.aside`, file);
    expect((await healthUntil(port, (status) => status === 200)).status).toBe(200);

    // rm of a name that another hard link keeps: the file survives under a name the kernel does not tell.
    linkSync(file, `${file}.keep`);
    unlinkSync(file);
    const linked = await healthUntil(port, (status) => status === 503);
    expect(linked.body.checks.database).toMatch(
      /^database file moved: .* no longer exists; the open database still exists under another name/,
    );
    renameSync(`${file}.keep`, file);
    expect((await healthUntil(port, (status) => status === 200)).status).toBe(200);
  });

  it('answers 503 when the file is deleted, names where its content can be copied from, and a restart on the copy answers 200', async () => {
    const { port, child } = service;
    unlinkSync(file);
    const deleted = await healthUntil(port, (status) => status === 503);
    expect(deleted.ms).toBeLessThan(3000);
    const match = new RegExp(
      `^database file deleted: ${file} no longer exists; the assistant still holds the deleted file open and what it saves is lost when it stops; restart the assistant to begin a new database \\(its content up to the last checkpoint can be copied from (/proc/${child.pid}/fd/\\d+) before it stops\\)$`,
    ).exec(deleted.body.checks.database);
    expect(match, deleted.body.checks.database).not.toBeNull();

    // Following the advice: copy the content back, then the path is another file than the open one.
    copyFileSync(match?.[1] as string, file);
    const replaced = await healthUntil(port, (_status, database) => database.startsWith('database file replaced'));
    expect(replaced.body.checks.database).toBe(
      `database file replaced: ${file} is no longer the file the assistant opened, and what it saves goes to the old one; restart the assistant to use the new file`,
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    service = await startService({ PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, DEMO: 'off', PORT: '0' });
    const again = await healthUntil(service.port, (status) => status === 200);
    expect(again.status).toBe(200);
    const copy = new Database(file, { readonly: true });
    expect(copy.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(8);
    copy.close();
  }, 40_000);
});
