import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';
import { JOB_CONTAINER } from './kubernetes-job-manifest.ts';

/** Where a Job stands: still going, finished, or stuck on something waiting will not fix. */
export type JobState =
  | { kind: 'running' }
  | { kind: 'succeeded'; exitCode: number }
  | { kind: 'failed'; exitCode: number | null; reason: string }
  | { kind: 'stuck'; reason: string };

/**
 * Waiting reasons the kubelet retries for ever without success unless a person steps in (a wrong
 * image, a missing secret). ErrImagePull is left out: one failed pull may be a registry hiccup, and
 * the kubelet reports ImagePullBackOff once the retry fails too.
 */
const STUCK = new Set([
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

/** The state of a Job from its conditions and its pod's container; `pullError` is the last ErrImagePull message seen. */
export function jobState(job: V1Job, pod: V1Pod | undefined, pullError?: string): JobState {
  const conditions = job.status?.conditions ?? [];
  const holds = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  const container = jobContainer(pod);
  const terminated = container?.state?.terminated;

  if (holds('Complete')) return { kind: 'succeeded', exitCode: terminated?.exitCode ?? 0 };
  const failed = holds('Failed');
  if (failed) {
    const exitCode = terminated?.exitCode ?? null;
    if (failed.reason === 'DeadlineExceeded') {
      const unscheduled = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      const why = unscheduled?.message ? ` (the pod was never scheduled: ${unscheduled.message})` : '';
      const limit = job.spec?.activeDeadlineSeconds;
      const within = limit ? `within its ${limit} s` : 'in time';
      return { kind: 'failed', exitCode: null, reason: `DeadlineExceeded: the job did not finish ${within}${why}` };
    }
    if (pod?.status?.reason) {
      return { kind: 'failed', exitCode, reason: `${pod.status.reason}: ${pod.status.message ?? 'the pod failed'}` };
    }
    if (terminated?.reason === 'OOMKilled') {
      return {
        kind: 'failed',
        exitCode,
        reason: `OOMKilled: the container ran out of memory (exit code ${terminated.exitCode})`,
      };
    }
    if (terminated && terminated.exitCode !== 0) {
      // The termination message is what the program left as its reason; its first line is enough here.
      const message = terminated.message?.trim().split('\n')[0]?.slice(0, 200);
      return { kind: 'failed', exitCode, reason: `exit code ${terminated.exitCode}${message ? `: ${message}` : ''}` };
    }
    return { kind: 'failed', exitCode, reason: `${failed.reason ?? 'Failed'}: ${failed.message ?? 'the Job failed'}` };
  }

  const waiting = container?.state?.waiting;
  if (waiting?.reason && STUCK.has(waiting.reason)) {
    const detail = waiting.reason === 'ImagePullBackOff' && pullError ? ` (last pull error: ${pullError})` : '';
    return { kind: 'stuck', reason: `${waiting.reason}: ${waiting.message ?? 'the container cannot start'}${detail}` };
  }
  return { kind: 'running' };
}

/** The status of the job's container in its pod, once the kubelet reports one. */
export function jobContainer(pod: V1Pod | undefined): V1ContainerStatus | undefined {
  return pod?.status?.containerStatuses?.find((status) => status.name === JOB_CONTAINER);
}

/** The newest of a Job's pods (with backoffLimit 0 there is one, unless it was replaced). */
export function newestPod(pods: V1Pod[]): V1Pod | undefined {
  const created = (pod: V1Pod) => pod.metadata?.creationTimestamp?.getTime() ?? 0;
  return pods.reduce<V1Pod | undefined>((newest, pod) => (!newest || created(pod) > created(newest) ? pod : newest), undefined);
}
