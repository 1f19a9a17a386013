/** What a job runs: a command, and for Kubernetes the image and resources. */
export interface JobCommand {
  /** argv, no shell. */
  command: string[];
  env?: Record<string, string>;
  /** Kubernetes only. */
  image?: string;
  gpus?: number;
  /** A GPU product label such as NVIDIA-A100-SXM4-80GB for the node selector (Kubernetes only). */
  gpuProduct?: string;
  workDir?: string;
}

export interface JobRunOutcome {
  ok: boolean;
  /** Exit code of the process / container; null when it never ran or was killed. */
  exitCode: number | null;
  /** Why it failed, in one sentence a person understands ("exit code 2", "OOMKilled", "ImagePullBackOff: …", "cancelled"). */
  reason?: string;
  /** The last lines the job printed (at most 20), for the failure report. */
  lastLines: string[];
}

export interface JobExecutor {
  readonly kind: 'local' | 'kubernetes';
  /** What will run, for the proposal people approve: the command line, or the Job manifest as YAML. */
  render(name: string, command: JobCommand): string;
  /** Runs to completion, streaming each output line to onLog; honours the signal by stopping the job (process killed / Job deleted) and resolving with ok false, reason "cancelled". Rejects only when the executor itself cannot work (e.g. cluster unreachable), with an AppError (src/errors.ts) that says so. */
  run(
    name: string,
    command: JobCommand,
    /** `jobId`: the job the command runs for, recorded with a local process so a restart can say which job it stopped. */
    options: { signal: AbortSignal; onLog: (line: string) => void; jobId?: number | undefined },
  ): Promise<JobRunOutcome>;
}

/** The reason of a run stopped through its signal. */
export const CANCELLED = 'cancelled';
