import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DeploymentHistory } from '../src/deployments/deployment-history.ts';
import { mulberry32 } from '../src/random/seeded-random.ts';
import { tempDataDir } from './support/test-assistant.ts';

// kill -9 of the assistant that owns the local runtime, at seeded random points of a rollout and of
// a tuning job; each restart on the same DATA_DIR must leave no process of ours behind, free their
// ports, run what the history says, and show no job running. ORPHAN_SEED=N replays other points.
const SEED = Number(process.env.ORPHAN_SEED ?? 14);
const ROOT = new URL('..', import.meta.url).pathname;
const OWNER = new URL('./support/runtime-owner.ts', import.meta.url).pathname;

interface OwnerEvent {
  event: string;
  text?: string;
  pid?: number;
  status?: string;
  fleet?: Array<{ name: string; environment: string; version: string; urls?: string[] }>;
}

/** The runtime's owner as a child process, with its events as they come. */
class Owner {
  readonly events: OwnerEvent[] = [];
  stderr = '';
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      this.events.push(JSON.parse(line) as OwnerEvent);
      for (const wake of this.waiters) wake();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      for (const wake of this.waiters) wake();
    });
  }

  /** The first event that matches, waiting for it (and failing with the owner's log if it exits or takes too long). */
  async waitFor(match: (event: OwnerEvent) => boolean, timeoutMs = 60_000): Promise<OwnerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > deadline)
        throw new Error(
          `${this.label}: no such event (${this.child.exitCode ?? this.child.signalCode ?? 'timed out'}); events: ${JSON.stringify(this.events.map((e) => e.text ?? e.event))}\n${this.stderr.slice(-4000)}`,
        );
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()) + 10);
        this.waiters.add(wake);
      });
    }
  }

  go(): void {
    this.child.stdin?.write('go\n');
  }

  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

const dataDirs: string[] = [];
const owners: Owner[] = [];
afterAll(async () => {
  for (const owner of owners) {
    if (owner.child.exitCode !== null || owner.child.signalCode !== null) continue;
    owner.child.kill(owner.events.some((e) => e.event === 'frozen') ? 'SIGKILL' : 'SIGTERM');
    await owner.exited;
  }
  // A failed test must not leave servers behind either.
  for (const dataDir of dataDirs) {
    for (const row of ledger(dataDir)) for (const pid of processesWithToken(row.token)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 30_000);

function startOwner(dataDir: string, input: { action?: unknown; freezeAt?: string }, label: string): Owner {
  const child = spawn(process.execPath, ['--import', 'tsx', OWNER, JSON.stringify({ dataDir, ...input })], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const owner = new Owner(child, label);
  owners.push(owner);
  return owner;
}

interface LedgerRow {
  token: string;
  kind: string;
  pid: number | null;
  port: number | null;
  deployment: string | null;
  version: string | null;
  job_id: number | null;
}

function withDb<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'llmops.db'), { fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function ledger(dataDir: string): LedgerRow[] {
  try {
    return withDb(dataDir, (db) => db.prepare('SELECT * FROM process_ledger ORDER BY id').all() as LedgerRow[]);
  } catch {
    return [];
  }
}

/** Live (not zombie) processes whose environment carries the ledger token: the record's process and what it forked. */
function processesWithToken(token: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`LLMOPS_PROCESS_TOKEN=${token}`))
        pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const versionServed = async (url: string) =>
  ((await (await fetch(`${url}/admin/state`, { signal: AbortSignal.timeout(5000) })).json()) as { version: string }).version;

/**
 * What a person would check after the restart: nothing the killed owner started is alive, its
 * ports are free (or taken by the new owner's own replicas), and what serves is what the
 * history says, asked of the servers themselves.
 */
async function expectClean(dataDir: string, killed: LedgerRow[], ready: OwnerEvent): Promise<void> {
  const now = ledger(dataDir);
  for (const row of killed) expect(processesWithToken(row.token), `${row.kind} ${row.deployment} ${row.version}`).toEqual([]);
  const nowPorts = new Set(now.map((row) => row.port));
  const slotPorts = new Set(
    Object.values(
      (JSON.parse(readFileSync(join(dataDir, 'demo', 'ports.json'), 'utf8')) as { slots: Record<string, number> }).slots,
    ),
  );
  for (const row of killed) {
    if (row.port === null || nowPorts.has(row.port) || slotPorts.has(row.port)) continue;
    expect(await canBind(row.port), `port ${row.port} of ${row.kind} ${row.deployment} ${row.version}`).toBe(true);
  }
  // Every record now is the new owner's, alive and verified.
  for (const row of now) expect(processesWithToken(row.token).length, `${row.kind} ${row.deployment}`).toBeGreaterThan(0);

  const fleet = ready.fleet ?? [];
  expect(fleet.some((d) => d.name.endsWith('-tune'))).toBe(false);
  const active = withDb(dataDir, (db) =>
    new DeploymentHistory(db).active().filter((entry) => entry.backend === 'demo' || entry.backend === 'local'),
  );
  expect(fleet.map((d) => `${d.name}/${d.environment} ${d.version}`).sort()).toEqual(
    active.map((e) => `${e.name}/${e.environment} ${e.version}`).sort(),
  );
  for (const deployment of fleet) {
    expect(deployment.urls?.length, `${deployment.name}/${deployment.environment}`).toBeGreaterThan(0);
    for (const url of deployment.urls ?? []) expect(await versionServed(url)).toBe(deployment.version);
  }
  const running = withDb(
    dataDir,
    (db) => db.prepare("SELECT id FROM jobs WHERE state IN ('queued', 'running')").all() as Array<{ id: number }>,
  );
  expect(running).toEqual([]);
}

/** Polls `done` every 50 ms until it holds (60 s at most). */
async function waitUntil(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Seeded choice of `count` items, in a seeded order. */
function choose<T>(random: () => number, items: readonly T[], count: number): T[] {
  const pool = [...items];
  return Array.from({ length: count }, () => pool.splice(Math.floor(random() * pool.length), 1)[0] as T);
}

describe('orphans after kill -9 of the runtime owner', () => {
  it('a rollout killed at seeded points: no process of ours left, ports free, the history says what runs', async () => {
    const random = mulberry32(SEED);
    const dataDir = tempDataDir();
    dataDirs.push(dataDir);
    // Where the owner stops: a progress text to freeze at (so the kill lands exactly there), or a delay after the start.
    const points = choose(
      random,
      [
        { name: 'new replica started, not healthy', freezeAt: 'started qwen2-7b' },
        { name: 'healthy, before cut-over', freezeAt: 'healthy after' },
        { name: 'after cut-over, before the history', freezeAt: 'cut over:' },
        { name: 'old replicas stopped, before the history', freezeAt: 'old replica' },
        { name: 'after the history', freezeAt: 'done {' },
        { name: 'a random moment', delayMs: Math.round(random() * 1500) },
      ],
      3,
    );
    const versions = ['v3', 'v4', 'v5'];
    let previous: { killed: LedgerRow[]; version: string; recorded?: string; before?: string } | undefined;
    /** After a restart: clean, and the history either has the killed rollout or says it was interrupted. */
    const check = async (ready: OwnerEvent) => {
      if (!previous) return;
      const { killed, version, recorded, before } = previous;
      await expectClean(dataDir, killed, ready);
      const entries = withDb(dataDir, (db) => new DeploymentHistory(db).entries('qwen2-7b', 'staging'));
      const current = entries.findLast((entry) => entry.outcome === 'active');
      if (recorded === version) return expect(current?.version).toBe(version);
      expect(current?.version).toBe(before);
      expect(entries.at(-1)).toMatchObject({ version, outcome: 'failed', actor: 'system' });
      expect(entries.at(-1)?.note).toMatch(
        new RegExp(
          `^The rollout of qwen2-7b ${version} to staging was interrupted: .* The history keeps ${before}, which runs again\\.$`,
        ),
      );
    };
    for (const [index, point] of points.entries()) {
      const version = versions[index] as string;
      const owner = startOwner(
        dataDir,
        { action: { kind: 'rollout', model: 'qwen2-7b', version, environment: 'staging' }, freezeAt: point.freezeAt },
        `${point.name} (${version})`,
      );
      await check(await owner.waitFor((e) => e.event === 'ready'));
      const before = withDb(dataDir, (db) => new DeploymentHistory(db).current('qwen2-7b', 'staging')?.version);
      owner.go();
      if (point.freezeAt) await owner.waitFor((e) => e.event === 'frozen' || e.event === 'done');
      else {
        await owner.waitFor((e) => e.event === 'progress' && Boolean(e.text?.startsWith('started')));
        await new Promise((resolve) => setTimeout(resolve, point.delayMs));
      }
      const killed = ledger(dataDir);
      // The new replica was recorded before anything could kill its owner.
      expect(killed.map((row) => row.version)).toContain(version);
      await owner.kill9();
      const recorded = withDb(dataDir, (db) => new DeploymentHistory(db).current('qwen2-7b', 'staging')?.version);
      previous = { killed, version, recorded, before };
    }
    await check(await startOwner(dataDir, {}, 'last restart').waitFor((e) => e.event === 'ready'));
    const audit = withDb(
      dataDir,
      (db) => db.prepare("SELECT action FROM audit_log WHERE actor = 'system'").all() as Array<{ action: string }>,
    );
    expect(audit.map((a) => a.action)).toContain('orphan_stopped');
  }, 120_000);

  it('a tuning job killed mid-trial at seeded points: trials stopped, ports free, the job interrupted with the reason', async () => {
    const random = mulberry32(SEED + 1);
    const dataDir = tempDataDir();
    dataDirs.push(dataDir);
    // How long after the first trial's replica was recorded (the baseline's; each later one costs a whole load test
    // to reach): while it starts, while it answers /health, in the middle of its load test.
    const points = Array.from({ length: 3 }, () => ({ delayMs: Math.round(random() * 4000) }));
    let previous: { killed: LedgerRow[]; job: number } | undefined;
    const check = async (owner: Owner) => {
      const ready = await owner.waitFor((e) => e.event === 'ready');
      if (!previous) return;
      const { killed, job } = previous;
      await expectClean(dataDir, killed, ready);
      const state = withDb(
        dataDir,
        (db) => db.prepare('SELECT state, error FROM jobs WHERE id = ?').get(job) as { state: string; error: string },
      );
      expect(state.state).toBe('interrupted');
      const trial = killed.find((row) => row.kind === 'trial' && row.job_id === job);
      expect(trial, 'a trial replica was recorded when the owner was killed').toBeDefined();
      expect(state.error).toMatch(
        new RegExp(
          `^the assistant \\(pid \\d+\\) ended without shutting down while trial mistral-7b-tune job${job}-(baseline|t\\d+) ran; `,
        ),
      );
      // The job's thread is told, as a person sees it.
      const told = await owner.waitFor(
        (e) => e.event === 'job' && Boolean(e.text?.startsWith(`Job ${job} (tune mistral-7b, dev) was interrupted`)),
      );
      expect(told.text).toContain(state.error);
      const tuneSlot = (
        JSON.parse(readFileSync(join(dataDir, 'demo', 'ports.json'), 'utf8')) as { slots: Record<string, number> }
      ).slots['mistral-7b-tune/dev/0'];
      if (tuneSlot !== undefined) expect(await canBind(tuneSlot)).toBe(true);
    };
    for (const [index, point] of points.entries()) {
      const job = index + 1;
      const owner = startOwner(dataDir, { action: { kind: 'tune', deployment: 'mistral-7b', trials: 3 } }, `tune ${job}`);
      await check(owner);
      owner.go();
      await waitUntil(
        () => ledger(dataDir).some((row) => row.kind === 'trial' && row.job_id === job && row.pid !== null),
        `the first trial of job ${job} to start\n${owner.stderr.slice(-3000)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, point.delayMs));
      const killed = ledger(dataDir);
      await owner.kill9();
      previous = { killed, job };
    }
    await check(startOwner(dataDir, {}, 'last restart'));
  }, 120_000);
});
