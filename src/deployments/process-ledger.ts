import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { AppError, describeError } from '../errors.ts';
import type { Db } from '../store/database.ts';
import type { DeploymentSpec } from './deployment-spec.ts';
import { PROCESS_TOKEN_VARIABLE, type ProcessOwner, type ProcessTable, processTable } from './process-table.ts';

/** A deployment's replica, a tuning trial's replica, or an optimisation job's command. */
export type ProcessKind = 'replica' | 'trial' | 'job';

/** What a child is for, as the ledger records it. */
export interface ProcessPurpose {
  kind: ProcessKind;
  /** The deployment a replica or trial serves (name, environment, version and settings). */
  spec?: DeploymentSpec | undefined;
  /** Where it listens (replicas and trials). */
  port?: number | undefined;
  /** The job a trial or a job command belongs to. */
  jobId?: number | undefined;
}

export interface LedgerRecord extends ProcessPurpose {
  id: number;
  token: string;
  owner: ProcessOwner;
  /** Undefined when the owner was stopped between writing the record and starting the process. */
  pid?: number | undefined;
  pgid?: number | undefined;
  command: string[];
  startedAt: Date;
  servingSince?: Date | undefined;
}

interface Row {
  id: number;
  token: string;
  kind: ProcessKind;
  owner_machine: string;
  owner_pid: number;
  owner_start: string;
  pid: number | null;
  pgid: number | null;
  command: string;
  spec: string | null;
  port: number | null;
  job_id: number | null;
  started_at: string;
  serving_since: string | null;
}

/**
 * Every child process the assistant starts, in SQLite: written before the process starts,
 * removed when it exits. A record whose owner is no longer running is an orphan's, which the
 * next start stops (`reconcileOrphans`).
 */
export class ProcessLedger {
  readonly owner: ProcessOwner;

  constructor(
    private readonly db: Db,
    readonly table: ProcessTable = processTable(),
  ) {
    this.owner = table.self();
  }

  /**
   * Starts `argv` (no shell) in a process group of its own, so that stopping it stops what it
   * forks, with its ledger token in its environment. The record is written first: a storage
   * failure starts nothing, and an owner killed at any point leaves a record to find it by.
   */
  spawn(purpose: ProcessPurpose, argv: readonly [string, ...string[]], options: SpawnOptions): ChildProcess {
    const token = randomUUID();
    let id: number;
    try {
      id = this.insert(token, purpose, argv);
    } catch (error) {
      throw new AppError(
        'process_ledger_unwritable',
        `could not record the ${purpose.kind} in DATA_DIR's process ledger (${describeError(error)}), so it was not started: a process the ledger does not know could outlive the assistant unseen`,
        { cause: error },
      );
    }
    const [file, ...args] = argv;
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        ...options,
        detached: true,
        env: { ...(options.env ?? process.env), [PROCESS_TOKEN_VARIABLE]: token },
      });
    } catch (error) {
      this.remove(id);
      throw error;
    }
    const forget = () => this.remove(id);
    child.once('exit', forget);
    // A spawn that failed (command not found) reports 'error' and never 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) forget();
    });
    if (child.pid !== undefined) {
      try {
        this.db.prepare('UPDATE process_ledger SET pid = ?, pgid = ? WHERE id = ?').run(child.pid, child.pid, id);
      } catch (error) {
        // Unrecorded, it could outlive a crash unseen: it does not run at all.
        child.kill('SIGKILL');
        throw error;
      }
    }
    return child;
  }

  private insert(token: string, purpose: ProcessPurpose, argv: readonly string[]): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO process_ledger (token, kind, owner_machine, owner_pid, owner_start, command, deployment, environment, version, spec, port, job_id, started_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          token,
          purpose.kind,
          this.owner.machine,
          this.owner.pid,
          this.owner.start,
          JSON.stringify(argv),
          purpose.spec?.name ?? null,
          purpose.spec?.environment ?? null,
          purpose.spec?.version ?? null,
          purpose.spec ? JSON.stringify(purpose.spec) : null,
          purpose.port ?? null,
          purpose.jobId ?? null,
          new Date().toISOString(),
        ).lastInsertRowid,
    );
  }

  /** Notes that a replica now answers on its deployment's address (for what a restart says about it). */
  markServing(child: ChildProcess): void {
    if (child.pid === undefined) return;
    this.db
      .prepare(
        'UPDATE process_ledger SET serving_since = ? WHERE pid = ? AND owner_machine = ? AND owner_pid = ? AND owner_start = ?',
      )
      .run(new Date().toISOString(), child.pid, this.owner.machine, this.owner.pid, this.owner.start);
  }

  /** Every record, this process's included, oldest first. */
  records(): LedgerRecord[] {
    return (this.db.prepare('SELECT * FROM process_ledger ORDER BY id').all() as Row[]).map(fromRow);
  }

  /**
   * Makes this process the owner of another's record, so that of two starts at once only one
   * acts on it, and a start killed while it does leaves it to the next. False when another
   * process claimed it first.
   */
  claim(record: LedgerRecord): boolean {
    return (
      this.db
        .prepare(
          `UPDATE process_ledger SET owner_machine = ?, owner_pid = ?, owner_start = ?
           WHERE id = ? AND owner_machine = ? AND owner_pid = ? AND owner_start = ?`,
        )
        .run(
          this.owner.machine,
          this.owner.pid,
          this.owner.start,
          record.id,
          record.owner.machine,
          record.owner.pid,
          record.owner.start,
        ).changes === 1
    );
  }

  isMine(record: LedgerRecord): boolean {
    const { machine, pid, start } = record.owner;
    return machine === this.owner.machine && pid === this.owner.pid && start === this.owner.start;
  }

  remove(id: number): void {
    try {
      this.db.prepare('DELETE FROM process_ledger WHERE id = ?').run(id);
    } catch {
      // The database is closed (a child outlived the assistant's stop) or cannot be written: the
      // next start finds the record, sees its process gone and drops it then.
    }
  }
}

/** Starts a child through the ledger when there is one, else untracked; either way in its own process group. */
export function spawnChild(
  ledger: ProcessLedger | undefined,
  purpose: ProcessPurpose,
  argv: readonly [string, ...string[]],
  options: SpawnOptions,
): ChildProcess {
  if (ledger) return ledger.spawn(purpose, argv, options);
  const [file, ...args] = argv;
  return spawn(file, args, { ...options, detached: true });
}

function fromRow(row: Row): LedgerRecord {
  return {
    id: row.id,
    token: row.token,
    kind: row.kind,
    owner: { machine: row.owner_machine, pid: row.owner_pid, start: row.owner_start },
    pid: row.pid ?? undefined,
    pgid: row.pgid ?? undefined,
    command: parsed<string[]>(row.command) ?? [],
    spec: row.spec ? parsed<DeploymentSpec>(row.spec) : undefined,
    port: row.port ?? undefined,
    jobId: row.job_id ?? undefined,
    startedAt: new Date(row.started_at),
    servingSince: row.serving_since ? new Date(row.serving_since) : undefined,
  };
}

/** A record edited by hand must not stop the start: what cannot be read is left out (the token still finds the process). */
function parsed<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
