import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** Set in the environment of every child the assistant starts; its value is the child's ledger token. */
export const PROCESS_TOKEN_VARIABLE = 'LLMOPS_PROCESS_TOKEN';

/** One process as the operating system knows it; `start` tells it from a later process that reuses the pid. */
export interface LiveProcess {
  pid: number;
  pgid: number;
  start: string;
}

/** Who started a ledger record: the assistant process, on which machine (pid namespace), since when. */
export interface ProcessOwner {
  machine: string;
  pid: number;
  start: string;
}

/** What the ledger needs to find its processes again. */
export interface RecordedProcess {
  token: string;
  pid?: number | undefined;
  command: readonly string[];
}

/**
 * The operating system's view of processes, for telling the assistant's children from
 * strangers: on Linux from /proc (a child is ours when its environment carries its token, which
 * its own children inherit), elsewhere from `ps` (a child is ours when its command line is the
 * recorded one).
 */
export interface ProcessTable {
  readonly kind: 'proc' | 'ps';
  self(): ProcessOwner;
  /** Whether the process is still the one that had this identity (same pid, same start, not a zombie). */
  isRunning(process: Pick<LiveProcess, 'pid' | 'start'>): boolean;
  /** The live processes of each record: the recorded child, what it forked, and the rest of their process groups. */
  find(records: readonly RecordedProcess[]): Map<string, LiveProcess[]>;
}

/** /proc where there is one (Linux), else `ps`. */
export function processTable(): ProcessTable {
  return existsSync('/proc/self/stat') ? procTable : psTable;
}

interface Stat {
  state: string;
  pgid: number;
  start: string;
}

/** Fields of /proc/PID/stat after the command name, which may itself hold spaces and parentheses. */
function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Field 3 is the state, 5 the process group, 22 the start time in clock ticks after boot.
  return { state: fields[0] as string, pgid: Number(fields[2]), start: fields[19] as string };
}

function tokenOf(pid: number): string | undefined {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    // Gone, or another user's: not ours either way.
    return undefined;
  }
  const prefix = `${PROCESS_TOKEN_VARIABLE}=`;
  return environ
    .split('\0')
    .find((entry) => entry.startsWith(prefix))
    ?.slice(prefix.length);
}

function readOr(read: () => string, otherwise: string): string {
  try {
    return read();
  } catch {
    // Some sandboxes hide it.
    return otherwise;
  }
}

const dead = (state: string | undefined) => state === undefined || state === 'Z' || state === 'X';

export const procTable: ProcessTable = {
  kind: 'proc',
  self() {
    // Pids are only comparable inside one boot and one pid namespace (a container has its own).
    const boot = readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), hostname());
    const namespace = readOr(() => readlinkSync('/proc/self/ns/pid'), 'pid');
    return { machine: `${boot}/${namespace}`, pid: process.pid, start: readStat(process.pid)?.start ?? '' };
  },
  isRunning({ pid, start }) {
    const stat = readStat(pid);
    return !dead(stat?.state) && stat?.start === start;
  },
  find(records) {
    const wanted = new Set(records.map((record) => record.token));
    const all: Array<LiveProcess & { token: string | undefined }> = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const stat = readStat(pid);
      if (!stat || dead(stat.state)) continue;
      all.push({ pid, pgid: stat.pgid, start: stat.start, token: tokenOf(pid) });
    }
    const found = new Map<string, LiveProcess[]>();
    for (const token of wanted) {
      const carriers = all.filter((process) => process.token === token);
      // A group led by one of ours is ours whole, even members started with a cleaned environment.
      const groups = new Set(carriers.filter((process) => process.pid === process.pgid).map((process) => process.pgid));
      const members = all.filter((process) => process.token === token || groups.has(process.pgid));
      if (members.length > 0)
        found.set(
          token,
          members.map(({ pid, pgid, start }) => ({ pid, pgid, start })),
        );
    }
    return found;
  },
};

function ps(pid: number, field: string): string | undefined {
  const run = spawnSync('ps', ['-ww', '-o', `${field}=`, '-p', String(pid)], { encoding: 'utf8' });
  const value = run.status === 0 ? run.stdout.trim() : '';
  return value === '' ? undefined : value;
}

export const psTable: ProcessTable = {
  kind: 'ps',
  self() {
    return { machine: hostname(), pid: process.pid, start: ps(process.pid, 'lstart') ?? '' };
  },
  isRunning({ pid, start }) {
    return !(ps(pid, 'stat') ?? 'Z').startsWith('Z') && ps(pid, 'lstart') === start;
  },
  find(records) {
    const found = new Map<string, LiveProcess[]>();
    for (const record of records) {
      if (record.pid === undefined) continue;
      const args = ps(record.pid, 'args');
      const stat = ps(record.pid, 'stat');
      if (args !== record.command.join(' ') || stat === undefined || stat.startsWith('Z')) continue;
      // Without /proc the children it forked are only found through its process group.
      found.set(record.token, [{ pid: record.pid, pgid: Number(ps(record.pid, 'pgid')), start: ps(record.pid, 'lstart') ?? '' }]);
    }
    return found;
  },
};

/**
 * Stops processes the way a supervisor does: SIGTERM to each process group (and to any
 * process outside them), SIGKILL to what is left after `graceMs`. Resolves with the pids that
 * needed SIGKILL and any that outlived it too.
 */
export async function stopProcesses(
  table: ProcessTable,
  processes: readonly LiveProcess[],
  graceMs: number,
): Promise<{ killed: number[]; survivors: number[] }> {
  const running = () => processes.filter((process) => table.isRunning(process));
  const signal = (name: NodeJS.Signals) => {
    const targets = running();
    const groups = new Set(targets.filter((p) => targets.some((leader) => leader.pid === p.pgid)).map((p) => p.pgid));
    for (const pgid of groups) send(-pgid, name);
    for (const process of targets) if (!groups.has(process.pgid)) send(process.pid, name);
  };
  signal('SIGTERM');
  if (await gone(running, graceMs)) return { killed: [], survivors: [] };
  const killed = running().map((process) => process.pid);
  signal('SIGKILL');
  await gone(running, 2000);
  return { killed, survivors: running().map((process) => process.pid) };
}

function send(target: number, name: NodeJS.Signals): void {
  try {
    process.kill(target, name);
  } catch {
    // Exited in between.
  }
}

async function gone(running: () => LiveProcess[], withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (running().length > 0) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
