import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/store/database.ts';
import { DatabaseHealth } from '../src/store/database-health.ts';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** A database holding about `megabytes` of conversation rows, as a long-running assistant's would. */
function filledDatabase(dir: string, megabytes: number) {
  const db = openDatabase(dir);
  const body = JSON.stringify({ type: 'ai', data: { content: 'x'.repeat(1000) } });
  db.prepare("INSERT INTO threads (id, surface, created_at, updated_at) VALUES ('bench', 'test', '', '')").run();
  const insert = db.prepare("INSERT INTO messages (thread_id, role, body, created_at) VALUES ('bench', 'ai', ?, '')");
  db.transaction(() => {
    for (let i = 0; i < megabytes * 1000; i++) insert.run(body);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  return db;
}

/**
 * What /healthz costs on the event loop: a cached answer, a full check (path, header, a fresh
 * read-only connection reading every table's first row, the write probe), and a full check that
 * also runs PRAGMA quick_check (at most every 10 minutes, on files up to 256 MB).
 */
export async function benchHealth(sizesMb: number[] = [4, 64]): Promise<void> {
  console.log('\n/healthz database check (median of runs; the event loop is blocked this long)');
  console.log('size      | cached    | full check | with quick_check');
  console.log('----------|-----------|------------|-----------------');
  for (const size of sizesMb) {
    const dir = mkdtempSync(join(tmpdir(), 'llmops-bench-health-'));
    const db = filledDatabase(dir, size);
    try {
      let now = 0;
      const health = new DatabaseHealth(db, { now: () => now });
      const time = (run: () => void, rounds: number) =>
        median(
          Array.from({ length: rounds }, () => {
            const started = performance.now();
            run();
            return performance.now() - started;
          }),
        );
      const withQuickCheck = time(() => {
        now += 700_000;
        if (health.check() !== 'ok') throw new Error('the bench database should be healthy');
      }, 5);
      const full = time(() => {
        now += 1_001;
        health.check();
      }, 50);
      const cached = time(() => health.check(), 1000);
      const bytes = statSync(join(dir, 'llmops.db')).size;
      console.log(
        `${`${(bytes / 1024 ** 2).toFixed(0)} MB`.padEnd(10)}| ${`${(cached * 1000).toFixed(1)} µs`.padEnd(10)}| ${`${full.toFixed(2)} ms`.padEnd(11)}| ${withQuickCheck.toFixed(1)} ms`,
      );
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
