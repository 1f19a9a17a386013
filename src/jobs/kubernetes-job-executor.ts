import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { stringify as toYaml } from 'yaml';
import { AppError } from '../errors.ts';
import { displayUrl } from '../integrations/logs/upstream-failure.ts';
import { CANCELLED, type JobCommand, type JobExecutor, type JobRunOutcome } from './job-executor.ts';
import { apiStatus, kubernetesFailure, type Permission, statusMessage } from './kubernetes-api-failure.ts';
import { JOB_CONTAINER, jobManifest } from './kubernetes-job-manifest.ts';
import { jobContainer, jobState, newestPod } from './kubernetes-job-state.ts';
import { RecentLines } from './output-lines.ts';
import { PodLogFollower } from './pod-log-follower.ts';

export interface KubernetesJobExecutorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** How often the Job, its pod and the pod's log are read. Default 2 s. */
  pollMs?: number;
  /** The Job's activeDeadlineSeconds: Kubernetes stops it after this long. Default: no limit. */
  timeoutMs?: number;
  /** How long the API may fail while a Job runs before the run gives up watching it. Default 30 s. */
  outageGraceMs?: number;
}

/** What a run has seen so far: the last lines, a log reader per pod, the last image pull error. */
interface Seen {
  recent: RecentLines;
  followers: Map<string, PodLogFollower>;
  pullError?: string;
}

/** Answers that will not change by asking again. */
const PERMANENT = new Set(['kubernetes_auth', 'kubernetes_forbidden']);

/**
 * Runs a job as a Kubernetes batch/v1 Job: creates it, then polls the Job, its pod and the pod's
 * log until the Job completes or fails, passing each new log line on. Cancelling deletes the Job.
 */
export class KubernetesJobExecutor implements JobExecutor {
  readonly kind = 'kubernetes' as const;
  /** The cluster's API server, as it appears in messages. */
  readonly server: string;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;

  constructor(private readonly options: KubernetesJobExecutorOptions) {
    this.batch = options.kubeConfig.makeApiClient(BatchV1Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.server = displayUrl(options.kubeConfig.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)');
  }

  render(name: string, command: JobCommand): string {
    return toYaml(this.manifest(name, command));
  }

  manifest(name: string, command: JobCommand): V1Job {
    return jobManifest(name, command, { namespace: this.options.namespace, timeoutMs: this.options.timeoutMs });
  }

  async run(
    name: string,
    command: JobCommand,
    { signal, onLog }: { signal: AbortSignal; onLog: (line: string) => void },
  ): Promise<JobRunOutcome> {
    const body = this.manifest(name, command);
    const job = body.metadata?.name ?? name;
    const namespace = this.options.namespace;
    if (signal.aborted) return { ok: false, exitCode: null, reason: CANCELLED, lastLines: [] };
    try {
      await this.batch.createNamespacedJob({ namespace, body });
    } catch (error) {
      // The Job itself cannot run; the executor works.
      if (apiStatus(error) === 409) {
        return notRun(
          `a Job named ${job} already exists in namespace ${namespace}; delete it (kubectl -n ${namespace} delete job ${job}) or choose another name`,
        );
      }
      if (apiStatus(error) === 422) {
        return notRun(`the Kubernetes API rejected the Job: ${statusMessage((error as { body?: unknown }).body)}`);
      }
      throw this.failure(error, `creating Job ${namespace}/${job}`, { verb: 'create', resource: 'jobs', group: 'batch' });
    }
    return this.watch(job, signal, onLog);
  }

  private async watch(job: string, signal: AbortSignal, onLog: (line: string) => void): Promise<JobRunOutcome> {
    const namespace = this.options.namespace;
    const seen: Seen = { recent: new RecentLines(), followers: new Map() };
    let failingSince: number | undefined;
    while (!signal.aborted) {
      try {
        const outcome = await this.poll(job, seen, onLog);
        if (outcome) return outcome;
        failingSince = undefined;
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        failingSince ??= Date.now();
        if (PERMANENT.has(error.code) || Date.now() - failingSince >= (this.options.outageGraceMs ?? 30_000)) {
          throw new AppError(
            error.code,
            `${error.message}. Job ${namespace}/${job} may still be running: kubectl -n ${namespace} get job ${job}`,
            { cause: error },
          );
        }
      }
      await pause(this.options.pollMs ?? 2000, signal);
    }
    await this.delete(job);
    return { ok: false, exitCode: null, reason: CANCELLED, lastLines: seen.recent.list() };
  }

  /** One look at the Job, its pod and the pod's new log lines; the outcome once the Job has ended. */
  private async poll(job: string, seen: Seen, onLog: (line: string) => void): Promise<JobRunOutcome | undefined> {
    const current = await this.readJob(job);
    const lastLines = () => seen.recent.list();
    if (!current) {
      return {
        ok: false,
        exitCode: null,
        reason: `Job ${this.options.namespace}/${job} was deleted before it finished`,
        lastLines: lastLines(),
      };
    }
    const pod = newestPod(await this.pods(job));
    for (const line of await this.newLines(pod, seen.followers)) {
      seen.recent.add(line);
      onLog(line);
    }
    const waiting = jobContainer(pod)?.state?.waiting;
    if (waiting?.reason === 'ErrImagePull' && waiting.message) seen.pullError = waiting.message;

    const state = jobState(current, pod, seen.pullError);
    switch (state.kind) {
      case 'running':
        return undefined;
      case 'succeeded':
        return { ok: true, exitCode: state.exitCode, lastLines: lastLines() };
      case 'failed':
        return { ok: false, exitCode: state.exitCode, reason: state.reason, lastLines: lastLines() };
      case 'stuck': {
        // Left alone it would hold its GPU until the deadline; a person has to fix the cause first.
        const notDeleted = await this.delete(job).then(
          () => '',
          (error: unknown) => `; the Job could not be deleted, delete it by hand (${(error as Error).message})`,
        );
        return { ok: false, exitCode: null, reason: `${state.reason}${notDeleted}`, lastLines: lastLines() };
      }
    }
  }

  /** The Job, or undefined when someone deleted it. */
  private async readJob(job: string): Promise<V1Job | undefined> {
    const namespace = this.options.namespace;
    try {
      return await this.batch.readNamespacedJob({ name: job, namespace });
    } catch (error) {
      if (apiStatus(error) === 404) return undefined;
      throw this.failure(error, `reading Job ${namespace}/${job}`, { verb: 'get', resource: 'jobs', group: 'batch' });
    }
  }

  private async pods(job: string): Promise<V1Pod[]> {
    const namespace = this.options.namespace;
    const labelSelector = `job-name=${job}`;
    try {
      return (await this.core.listNamespacedPod({ namespace, labelSelector })).items;
    } catch (error) {
      throw this.failure(error, `listing the pods of Job ${namespace}/${job} (${labelSelector})`, {
        verb: 'list',
        resource: 'pods',
      });
    }
  }

  /** The log lines the pod wrote since the last poll; none before its container starts. */
  private async newLines(pod: V1Pod | undefined, followers: Map<string, PodLogFollower>): Promise<string[]> {
    const name = pod?.metadata?.name;
    const state = jobContainer(pod)?.state;
    if (!name || !(state?.running || state?.terminated)) return [];
    const namespace = this.options.namespace;
    let follower = followers.get(name);
    if (!follower) {
      follower = new PodLogFollower(this.core, { namespace, pod: name, container: JOB_CONTAINER });
      followers.set(name, follower);
    }
    try {
      return await follower.next();
    } catch (error) {
      throw this.failure(error, `reading the logs of pod ${namespace}/${name}`, { verb: 'get', resource: 'pods/log' });
    }
  }

  /** Deletes the Job and, in the background, its pod; a Job already gone is fine. */
  private async delete(job: string): Promise<void> {
    const namespace = this.options.namespace;
    try {
      await this.batch.deleteNamespacedJob({ name: job, namespace, propagationPolicy: 'Background' });
    } catch (error) {
      if (apiStatus(error) === 404) return;
      throw this.failure(error, `deleting Job ${namespace}/${job}`, { verb: 'delete', resource: 'jobs', group: 'batch' });
    }
  }

  private failure(error: unknown, doing: string, needs: Permission): AppError {
    return kubernetesFailure(error, { server: this.server, namespace: this.options.namespace }, doing, needs);
  }
}

function notRun(reason: string): JobRunOutcome {
  return { ok: false, exitCode: null, reason, lastLines: [] };
}

/** Waits `ms`, or less when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
