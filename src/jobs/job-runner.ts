import { AppError, describeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { FINISHED_STATES, type Job, type JobKind, type JobRepository } from './job-repository.ts';
import { progressBar } from './progress-bar.ts';

/** What a running job may do: report progress, log, and stop when asked. */
export interface JobContext {
  job: Job;
  signal: AbortSignal;
  /** `fraction` in [0, 1]; `text` says what it is doing ("trial 8/20 — best 1,234 tokens/s"). */
  progress(fraction: number, text: string): void;
  log(line: string): void;
}

export interface JobOutcome {
  summary: string;
  data?: unknown;
}

export type JobHandler = (context: JobContext) => Promise<JobOutcome>;

/**
 * Tells a job's thread how it goes. `key` identifies the job's one progress message: Slack
 * posts it once and edits it after; `final` marks the last edit (the result or the failure).
 */
export type JobNotifier = (threadId: string, key: string, text: string, final: boolean) => Promise<void>;

export interface JobRunnerOptions {
  jobs: JobRepository;
  handlers: Partial<Record<JobKind, JobHandler>>;
  logger: Logger;
  notify: JobNotifier;
  /** Jobs running at once; the rest wait in order. Default 1 (they spend GPUs). */
  maxConcurrent?: number;
  /** Least time between two progress edits of one job's message. Default 2 s. */
  progressEveryMs?: number;
  /** Told of every job that ended (for the assistant's metrics). */
  onFinished?: (job: Job) => void;
}

/**
 * Runs jobs in this process: queued in order, `maxConcurrent` at a time, state and progress in
 * SQLite, progress edited into one message in the job's thread, cancellation through an
 * AbortSignal. A job that was running when the process stopped cannot be resumed: at start it
 * is marked interrupted and its thread is told.
 */
export class JobRunner {
  private readonly running = new Map<number, { controller: AbortController; done: Promise<Job> }>();
  private readonly queue: number[] = [];
  private readonly waiters = new Map<number, Array<(job: Job) => void>>();
  /** Who cancelled a running job, and jobs stopped by shutdown: how an aborted job ends. */
  private readonly cancelledBy = new Map<number, string>();
  private readonly shuttingDown = new Set<number>();

  constructor(private readonly options: JobRunnerOptions) {}

  /**
   * Marks jobs a previous process left queued or running as interrupted, and says so in their
   * threads, as well as in those of `interruptedAtStart` (jobs whose processes the start found
   * and stopped, already marked with what was stopped).
   */
  async recover(interruptedAtStart: readonly number[] = []): Promise<number> {
    const orphans = this.options.jobs.inStates(['queued', 'running']);
    for (const job of orphans) {
      if (!this.options.jobs.transition(job.id, ['queued', 'running'], 'interrupted', { error: 'the assistant restarted' }))
        continue;
      await this.tell(this.options.jobs.get(job.id) as Job, true);
    }
    for (const id of interruptedAtStart) {
      const job = this.options.jobs.get(id);
      if (job?.state === 'interrupted') await this.tell(job, true);
    }
    return orphans.length + interruptedAtStart.length;
  }

  submit(input: Parameters<JobRepository['create']>[0]): Job {
    if (!this.options.handlers[input.kind])
      throw new AppError('job_kind_unavailable', `${input.kind} jobs are not available in this configuration.`);
    const job = this.options.jobs.create(input);
    this.queue.push(job.id);
    this.pump();
    return job;
  }

  /** Stops a queued or running job; running jobs stop at their next check of the signal. */
  cancel(id: number, by: string): { ok: boolean; text: string } {
    const job = this.options.jobs.get(id);
    if (!job) return { ok: false, text: `There is no job ${id}.` };
    if (FINISHED_STATES.includes(job.state)) return { ok: false, text: `Job ${id} already ${job.state}; nothing to cancel.` };
    if (job.state === 'queued' && this.options.jobs.transition(id, ['queued'], 'cancelled', { cancelledBy: by })) {
      this.queue.splice(this.queue.indexOf(id), 1);
      const cancelled = this.options.jobs.get(id) as Job;
      void this.tell(cancelled, true);
      this.resolveWaiters(cancelled);
      return { ok: true, text: `Job ${id} (${job.kind} ${job.deployment}) was cancelled before it started.` };
    }
    const entry = this.running.get(id);
    if (!entry) return { ok: false, text: `Job ${id} is ${job.state} but not in this process; nothing was changed.` };
    this.cancelledBy.set(id, by);
    entry.controller.abort(new AppError('job_cancelled', `cancelled by ${by}`));
    return {
      ok: true,
      text: `Job ${id} (${job.kind} ${job.deployment}) is being cancelled; its thread will say when it stopped.`,
    };
  }

  /** Resolves when the job has finished (for tests and the command line). */
  wait(id: number): Promise<Job> {
    const job = this.options.jobs.get(id);
    if (!job) return Promise.reject(new AppError('job_unknown', `There is no job ${id}.`));
    if (FINISHED_STATES.includes(job.state)) return Promise.resolve(job);
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  /** Stops every running job (the process is shutting down); they end interrupted. */
  async close(): Promise<void> {
    for (const id of this.queue.splice(0)) this.options.jobs.transition(id, ['queued'], 'interrupted', { error: 'shutdown' });
    for (const [id, entry] of this.running) {
      this.shuttingDown.add(id);
      entry.controller.abort(new AppError('job_interrupted', 'the assistant is shutting down'));
    }
    await Promise.allSettled([...this.running.values()].map((entry) => entry.done));
  }

  private pump(): void {
    while (this.running.size < (this.options.maxConcurrent ?? 1) && this.queue.length > 0) {
      const id = this.queue.shift() as number;
      if (!this.options.jobs.transition(id, ['queued'], 'running')) continue;
      const controller = new AbortController();
      const done = this.execute(this.options.jobs.get(id) as Job, controller.signal).finally(() => {
        this.running.delete(id);
        this.pump();
      });
      this.running.set(id, { controller, done });
    }
  }

  private async execute(job: Job, signal: AbortSignal): Promise<Job> {
    const { jobs, logger } = this.options;
    const handler = this.options.handlers[job.kind] as JobHandler;
    let lastEdit = 0;
    const context: JobContext = {
      job,
      signal,
      progress: (fraction, text) => {
        jobs.setProgress(job.id, fraction, text);
        const now = Date.now();
        if (now - lastEdit < (this.options.progressEveryMs ?? 2000)) return;
        lastEdit = now;
        void this.tell(jobs.get(job.id) as Job, false);
      },
      log: (line) => jobs.appendLog(job.id, [line]),
    };
    await this.tell(job, false);
    try {
      const outcome = await handler(context);
      if (signal.aborted) throw signal.reason;
      jobs.setProgress(job.id, 1, 'done');
      jobs.transition(job.id, ['running'], 'succeeded', { result: outcome });
    } catch (error) {
      const by = this.cancelledBy.get(job.id);
      if (this.shuttingDown.has(job.id)) {
        jobs.transition(job.id, ['running'], 'interrupted', { error: 'the assistant shut down while it ran' });
      } else if (by !== undefined && signal.aborted) {
        jobs.transition(job.id, ['running'], 'cancelled', { cancelledBy: by, error: `cancelled by ${by}` });
      } else {
        logger.warn({ err: error, job: job.id }, 'job failed');
        jobs.transition(job.id, ['running'], 'failed', { error: describeError(error) });
      }
    } finally {
      this.cancelledBy.delete(job.id);
      this.shuttingDown.delete(job.id);
    }
    const finished = jobs.get(job.id) as Job;
    this.options.onFinished?.(finished);
    await this.tell(finished, true);
    this.resolveWaiters(finished);
    return finished;
  }

  private resolveWaiters(job: Job): void {
    for (const resolve of this.waiters.get(job.id) ?? []) resolve(job);
    this.waiters.delete(job.id);
  }

  private async tell(job: Job, final: boolean): Promise<void> {
    try {
      await this.options.notify(job.threadId, `job-${job.id}`, describeJob(job, this.options.jobs.tail(job.id, 5)), final);
    } catch (error) {
      this.options.logger.warn({ err: error, job: job.id }, 'could not post job progress to its thread');
    }
  }
}

/** One job as a person reads it: what, how far (a text progress bar), and the result or why it stopped. */
export function describeJob(job: Job, lastLines: readonly string[] = []): string {
  const title = `Job ${job.id} (${job.kind} ${job.deployment}, ${job.environment})`;
  switch (job.state) {
    case 'queued':
      return `${title}: queued.`;
    case 'running':
      return `${title}: ${progressBar(job.progress)} ${job.progressText || 'starting'}`;
    case 'succeeded':
      return `${title} finished: ${job.result?.summary ?? 'done'}`;
    case 'cancelled':
      return `${title} was cancelled by ${job.cancelledBy ?? 'someone'} at ${Math.round(job.progress * 100)}% (${job.progressText || 'before it started'}).`;
    case 'interrupted':
      return `${title} was interrupted (${job.error ?? 'the assistant stopped'}) at ${Math.round(job.progress * 100)}%; start it again to retry.`;
    case 'failed':
      return `${title} FAILED: ${job.error ?? 'unknown error'}${lastLines.length > 0 ? `\nLast lines:\n${lastLines.map((line) => `  ${line}`).join('\n')}` : ''}`;
  }
}
