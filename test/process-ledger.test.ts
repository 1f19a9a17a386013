import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/approvals/audit-log.ts';
import { DeploymentHistory } from '../src/deployments/deployment-history.ts';
import type { DeploymentSpec } from '../src/deployments/deployment-spec.ts';
import { reconcileOrphans } from '../src/deployments/orphan-reconciler.ts';
import { type LedgerRecord, ProcessLedger } from '../src/deployments/process-ledger.ts';
import { type ProcessTable, procTable, psTable } from '../src/deployments/process-table.ts';
import { JobRepository } from '../src/jobs/job-repository.ts';
import { openDatabase } from '../src/store/database.ts';
import { silentLogger, tempDataDir } from './support/test-assistant.ts';

// Real processes, real signals: the ledger and the start-up reconciliation without a whole assistant.
const dataDir = tempDataDir();
const db = openDatabase(dataDir);
const history = new DeploymentHistory(db);
const jobs = new JobRepository(db);
const audit = new AuditLog(db);
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.pid !== undefined) kill(-child.pid);
  db.prepare('DELETE FROM process_ledger').run();
});
afterAll(() => {
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function kill(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** A process table that says this process is an owner that no longer runs (as after kill -9). */
function deadOwner(table: ProcessTable = procTable): ProcessTable {
  return { ...table, self: () => ({ ...table.self(), pid: 999_999, start: 'long ago' }) };
}

/** Running, not a zombie. */
const alive = (pid: number) => procTable.isRunning({ pid, start: statStart(pid) });
function statStart(pid: number): string {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19] as string;
  } catch {
    return 'gone';
  }
}

/**
 * Node that forks a grandchild into its own process group and idles; the grandchild prints its pid
 * once it is set up. `stubborn`: both ignore SIGTERM.
 */
function parentAndChild(stubborn = false): readonly [string, ...string[]] {
  const ignore = stubborn ? "process.on('SIGTERM',()=>{});" : '';
  const grandchild = `${ignore}console.log(process.pid);setInterval(()=>{},1000)`;
  return [
    process.execPath,
    '-e',
    `${ignore}require('child_process').spawn(process.execPath,['-e',${JSON.stringify(grandchild)}],{stdio:['ignore','inherit','ignore']});setInterval(()=>{},1000)`,
  ];
}

async function grandchildOf(child: ChildProcess): Promise<number> {
  const line = await new Promise<string>((resolve) => child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  return Number(line.trim());
}

const spec = (version: string, replicas = 1): DeploymentSpec => ({
  name: 'qwen2-7b',
  environment: 'staging',
  version,
  model: 'qwen2-7b',
  gpu: 'L4',
  gpuCount: 1,
  dtype: 'fp8',
  replicas,
  maxNumSeqs: 32,
  maxNumBatchedTokens: 4096,
  peakRatePerSecond: 1,
});

describe('the process ledger', () => {
  it('records a child before it starts, with its group and a token in its environment, and forgets it when it exits', async () => {
    const ledger = new ProcessLedger(db);
    const child = ledger.spawn({ kind: 'job', jobId: 7 }, [process.execPath, '-e', 'setInterval(()=>{},1000)'], {
      stdio: 'ignore',
    });
    started.push(child);
    const [record] = ledger.records();
    expect(record).toMatchObject({ kind: 'job', jobId: 7, pid: child.pid, pgid: child.pid, owner: ledger.owner });
    expect(readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0')).toContain(`LLMOPS_PROCESS_TOKEN=${record?.token}`);
    expect(
      procTable
        .find(ledger.records())
        .get(record?.token as string)
        ?.map((p) => p.pid),
    ).toEqual([child.pid]);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid as number, 'SIGTERM');
    await exited;
    expect(ledger.records()).toEqual([]);
  });

  it('forgets a command that could not start, and starts nothing it cannot record', async () => {
    const ledger = new ProcessLedger(db);
    const child = ledger.spawn({ kind: 'job' }, ['/no/such/command'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('error', resolve));
    expect(ledger.records()).toEqual([]);

    const closed = openDatabase(dataDir);
    const unrecordable = new ProcessLedger(closed);
    closed.close();
    expect(() => unrecordable.spawn({ kind: 'job' }, [process.execPath, '-e', 'setInterval(()=>{},1000)'], {})).toThrow(
      /^could not record the job in DATA_DIR.s process ledger \(The database connection is not open\), so it was not started/,
    );
    expect(ledger.records()).toEqual([]);
  });
});

describe('reconciling orphans at start', () => {
  it('stops a killed owner’s job with what it forked (SIGKILL after the grace period) and marks the job interrupted', async () => {
    const job = jobs.create({
      kind: 'quantize',
      deployment: 'mistral-7b',
      environment: 'staging',
      params: {},
      requester: 'U0ALICE',
      threadId: 't1',
      executor: 'local',
    });
    jobs.transition(job.id, ['queued'], 'running');
    const child = new ProcessLedger(db, deadOwner()).spawn({ kind: 'job', jobId: job.id }, parentAndChild(true), {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    started.push(child);
    const grandchild = await grandchildOf(child);
    expect(alive(grandchild)).toBe(true);

    const report = await reconcileOrphans({
      ledger: new ProcessLedger(db),
      history,
      jobs,
      audit,
      logger: silentLogger,
      restartsRecorded: true,
      graceMs: 300,
    });
    expect(alive(child.pid as number)).toBe(false);
    expect(alive(grandchild)).toBe(false);
    expect(report.stopped[0]?.processes.map((p) => p.pid).sort()).toEqual([child.pid, grandchild].sort());
    expect(report.stopped[0]?.killed.sort()).toEqual([child.pid, grandchild].sort());
    expect(report.interruptedJobs).toEqual([job.id]);
    expect(jobs.get(job.id)).toMatchObject({
      state: 'interrupted',
      error: expect.stringMatching(
        /^the assistant \(pid 999999\) ended without shutting down while its command \(.*node -e .*\) ran; its processes \(pid \d+, \d+\) were stopped at the next start$/,
      ),
    });
    expect(new ProcessLedger(db).records()).toEqual([]);
    const entry = audit
      .query({ start: new Date(0), end: new Date(Date.now() + 1000) })
      .find((e) => e.action === 'orphan_stopped');
    expect(entry).toMatchObject({ actor: 'system', details: { kind: 'job', job: job.id, pid: child.pid } });
  });

  it('leaves a process that reuses a recorded pid alone, and records of another machine too', async () => {
    const stranger = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore', detached: true });
    started.push(stranger);
    // A record that outlived its process, whose pid went to another program since.
    const owner = deadOwner().self();
    db.prepare(
      `INSERT INTO process_ledger (token, kind, owner_machine, owner_pid, owner_start, pid, pgid, command, started_at)
       VALUES ('gone', 'replica', ?, ?, ?, ?, ?, '["vllm"]', ?)`,
    ).run(owner.machine, owner.pid, owner.start, stranger.pid, stranger.pid, new Date().toISOString());
    const elsewhere = new ProcessLedger(db, {
      ...procTable,
      self: () => ({ machine: 'another-host', pid: 1, start: '1' }),
    });
    started.push(elsewhere.spawn({ kind: 'job' }, [process.execPath, '-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' }));

    const report = await reconcileOrphans({
      ledger: new ProcessLedger(db),
      history,
      jobs,
      audit,
      logger: silentLogger,
      restartsRecorded: true,
      graceMs: 300,
    });
    expect(alive(stranger.pid as number)).toBe(true);
    expect(report.stopped.map((o) => o.processes)).toEqual([[]]);
    expect(new ProcessLedger(db).records().map((r) => r.owner.machine)).toEqual(['another-host']);
  });

  it('records an interrupted rollout and what runs instead; a replica of the recorded version is only stopped', async () => {
    history.record(spec('v1'), 'U0ALICE', 'local', 'active');
    const dead = new ProcessLedger(db, deadOwner());
    const idle: readonly [string, ...string[]] = [process.execPath, '-e', 'setInterval(()=>{},1000)'];
    started.push(dead.spawn({ kind: 'replica', spec: spec('v1'), port: 41001 }, idle, { stdio: 'ignore' }));
    const fresh = dead.spawn({ kind: 'replica', spec: spec('v2'), port: 41002 }, idle, { stdio: 'ignore' });
    started.push(fresh);
    dead.markServing(fresh);

    const report = await reconcileOrphans({
      ledger: new ProcessLedger(db),
      history,
      jobs,
      audit,
      logger: silentLogger,
      restartsRecorded: true,
      graceMs: 300,
    });
    expect(report.stopped.map((o) => o.processes.length)).toEqual([1, 1]);
    expect(started.every((child) => !alive(child.pid as number))).toBe(true);
    expect(report.interruptedRollouts.map((r) => r.version)).toEqual(['v2']);
    const entries = history.entries('qwen2-7b', 'staging');
    expect(entries.map((e) => `${e.version} ${e.outcome}`)).toEqual(['v1 active', 'v2 failed']);
    expect(entries[1]?.note).toMatch(
      new RegExp(
        `^The rollout of qwen2-7b v2 to staging was interrupted: the assistant \\(pid 999999\\) ended without shutting down after v2 took over the deployment's address at \\S+, before the history was written\\. Its new replica was stopped \\(pid ${fresh.pid}, port 41002\\)\\. The history keeps v1, which runs again\\.$`,
      ),
    );
    expect(history.current('qwen2-7b', 'staging')?.version).toBe('v1');
    expect(history.rollbackTarget('qwen2-7b', 'staging')).toBeUndefined();

    // Without the demo fleet nothing starts it again, and the note says so.
    const scale = dead.spawn({ kind: 'replica', spec: spec('v1', 2), port: 41003 }, idle, { stdio: 'ignore' });
    started.push(scale);
    await reconcileOrphans({
      ledger: new ProcessLedger(db),
      history,
      jobs,
      audit,
      logger: silentLogger,
      restartsRecorded: false,
      graceMs: 300,
    });
    expect(history.entries('qwen2-7b', 'staging').at(-1)?.note).toMatch(
      /^The change of qwen2-7b in staging to 2 replicas was interrupted: .* after its new replica started, before it served\. .* The history keeps v1, but nothing serves qwen2-7b in staging now: the local runtime starts deployments again only with the demo fleet \(DEMO=on\); deploy v1 again to serve it\.$/,
    );
  });

  it('of two starts at once, only one acts on a record', async () => {
    const dead = new ProcessLedger(db, deadOwner());
    started.push(
      dead.spawn({ kind: 'replica', spec: spec('v3') }, [process.execPath, '-e', 'setInterval(()=>{},1000)'], {
        stdio: 'ignore',
      }),
    );
    const options = { history, jobs, audit, logger: silentLogger, restartsRecorded: true, graceMs: 300 };
    const [a, b] = await Promise.all([
      reconcileOrphans({ ...options, ledger: new ProcessLedger(db) }),
      reconcileOrphans({
        ...options,
        ledger: new ProcessLedger(db, { ...procTable, self: () => ({ ...procTable.self(), start: 'other' }) }),
      }),
    ]);
    expect(a.stopped.length + b.stopped.length).toBe(1);
  });
});

describe('the process table without /proc (ps)', () => {
  it('tells its own child by the command line and stops it', async () => {
    const argv: readonly [string, ...string[]] = [process.execPath, '-e', 'setInterval(()=>{},1000)'];
    const dead = new ProcessLedger(db, deadOwner(psTable));
    const child = dead.spawn({ kind: 'job' }, argv, { stdio: 'ignore' });
    started.push(child);
    const other = new ProcessLedger(db, psTable);
    expect(psTable.isRunning(other.owner)).toBe(true);
    expect(psTable.isRunning(dead.owner)).toBe(false);
    const [record] = other.records();
    expect(psTable.find([{ ...(record as LedgerRecord), command: ['something', 'else'] }]).size).toBe(0);
    const report = await reconcileOrphans({
      ledger: other,
      history,
      jobs,
      audit,
      logger: silentLogger,
      restartsRecorded: true,
      graceMs: 300,
    });
    expect(report.stopped[0]?.processes.map((p) => p.pid)).toEqual([child.pid]);
    expect(alive(child.pid as number)).toBe(false);
  });
});
