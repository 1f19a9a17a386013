import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { type ProcessLedger, spawnChild } from '../deployments/process-ledger.ts';
import { AppError } from '../errors.ts';
import { CANCELLED, type JobCommand, type JobExecutor, type JobRunOutcome } from './job-executor.ts';
import { LineSplitter, RecentLines } from './output-lines.ts';

export interface LocalJobExecutorOptions {
  /** How long a cancelled job has between SIGTERM and SIGKILL. Default 5 s. */
  killGraceMs?: number;
  /** Where each job's process is recorded while it runs (DATA_DIR's process ledger). */
  ledger?: ProcessLedger | undefined;
}

/** Runs a job as a child process of the assistant (no shell), for a machine with its own GPUs. */
export class LocalJobExecutor implements JobExecutor {
  readonly kind = 'local' as const;
  private readonly killGraceMs: number;
  private readonly ledger: ProcessLedger | undefined;

  constructor(options: LocalJobExecutorOptions = {}) {
    this.killGraceMs = options.killGraceMs ?? 5000;
    this.ledger = options.ledger;
  }

  /** The command as a POSIX shell line: `cd DIR && NAME=value argv…`. */
  render(_name: string, command: JobCommand): string {
    checkCommand(command);
    const env = Object.entries(command.env ?? {}).map(([key, value]) => `${key}=${shellQuote(value)}`);
    const line = [...env, ...command.command.map(shellQuote)].join(' ');
    return command.workDir ? `cd ${shellQuote(command.workDir)} && ${line}` : line;
  }

  async run(
    _name: string,
    command: JobCommand,
    { signal, onLog, jobId }: { signal: AbortSignal; onLog: (line: string) => void; jobId?: number | undefined },
  ): Promise<JobRunOutcome> {
    checkCommand(command);
    const recent = new RecentLines();
    if (signal.aborted) return { ok: false, exitCode: null, reason: CANCELLED, lastLines: [] };
    const file = command.command[0] as string;

    return new Promise((resolve) => {
      // Its own process group, so cancelling also stops the workers it forks (data loaders, shells).
      const child = spawnChild(this.ledger, { kind: 'job', jobId }, command.command as [string, ...string[]], {
        cwd: command.workDir,
        env: { ...withoutAssistantSecrets(process.env), ...command.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let cancelled = false;
      let killTimer: NodeJS.Timeout | undefined;
      const emit = (line: string) => {
        recent.add(line);
        onLog(line);
      };
      const splitters = ([child.stdout, child.stderr] as Readable[]).map((stream) => {
        const splitter = new LineSplitter();
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          for (const line of splitter.push(chunk)) emit(line);
        });
        return splitter;
      });
      const signalGroup = (name: NodeJS.Signals) => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, name);
        } catch {
          // The group is already gone.
        }
      };
      const cancel = () => {
        cancelled = true;
        signalGroup('SIGTERM');
        killTimer = setTimeout(() => signalGroup('SIGKILL'), this.killGraceMs);
      };
      signal.addEventListener('abort', cancel, { once: true });
      const finish = (outcome: Omit<JobRunOutcome, 'lastLines'>) => {
        signal.removeEventListener('abort', cancel);
        clearTimeout(killTimer);
        resolve({ ...outcome, lastLines: recent.list() });
      };

      child.on('error', (error: NodeJS.ErrnoException) => {
        // Only a failed spawn leaves no pid; we signal the group ourselves, so no other 'error' ends the run.
        if (child.pid !== undefined) return;
        finish({ ok: false, exitCode: null, reason: spawnFailure(error, file, command.workDir) });
      });
      child.on('close', (code, signalName) => {
        if (child.pid === undefined) return;
        for (const splitter of splitters) for (const line of splitter.flush()) emit(line);
        if (cancelled) return finish({ ok: false, exitCode: code, reason: CANCELLED });
        if (code === 0) return finish({ ok: true, exitCode: 0 });
        finish({ ok: false, exitCode: code, reason: code === null ? `killed by ${signalName}` : `exit code ${code}` });
      });
    });
  }
}

/** A word for a POSIX shell: as it is when safe, else single-quoted. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_/.,:=@%+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function checkCommand(command: JobCommand): void {
  if (command.command.length === 0 || command.command[0] === '') {
    throw new AppError('job_invalid', 'A job needs a command to run (argv was empty).');
  }
}

function spawnFailure(error: NodeJS.ErrnoException, file: string, workDir: string | undefined): string {
  // Node reports a missing working directory as ENOENT of the command, so look before blaming the command.
  if (workDir && !existsSync(workDir)) return `working directory not found: ${workDir}`;
  if (error.code === 'ENOENT') return `command not found: ${file}`;
  if (error.code === 'EACCES') return `permission denied: ${file} is not executable`;
  return `could not start ${file}: ${error.message}`;
}

/** The assistant's own credentials stay with it: a job's command gets the rest of the environment (HF_TOKEN, CUDA settings, PATH). */
const ASSISTANT_SECRETS =
  /^(SLACK_|OPENAI_API_KEY$|ALERTMANAGER_TOKEN$|PROMETHEUS_(BEARER_TOKEN|USERNAME|PASSWORD)$|LOKI_(BEARER_TOKEN|USERNAME|PASSWORD)$)/;

export function withoutAssistantSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !ASSISTANT_SECRETS.test(key)));
}
