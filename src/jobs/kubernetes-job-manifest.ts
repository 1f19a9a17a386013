import type { V1Job } from '@kubernetes/client-node';
import { AppError } from '../errors.ts';
import type { JobCommand } from './job-executor.ts';

/** The container's name in every job pod; logs are read from it. */
export const JOB_CONTAINER = 'job';
/** How long a finished Job (and its pod, with the logs) stays for people to inspect. */
const KEEP_FINISHED_SECONDS = 3600;

/** A job name as a DNS-1123 label: lower case, digits and `-`, starting and ending alphanumeric, at most 63 characters. */
export function jobName(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  if (label === '') throw new AppError('job_invalid', `"${name}" has no letters or digits to name a Kubernetes Job after.`);
  return label;
}

/** The batch/v1 Job that runs the command once: no retries, GPUs and node selector from the command, removed an hour after it ends. */
export function jobManifest(name: string, command: JobCommand, options: { namespace: string; timeoutMs?: number }): V1Job {
  if (command.command.length === 0) throw new AppError('job_invalid', 'A job needs a command to run (argv was empty).');
  if (!command.image) {
    throw new AppError('job_invalid', `Job ${name} needs a container image to run on Kubernetes (image was not given).`);
  }
  const label = jobName(name);
  const gpus = command.gpus ?? 0;
  const env = Object.entries(command.env ?? {}).map(([key, value]) => ({ name: key, value }));
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: label,
      namespace: options.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'llmops-assistant', 'llmops.io/job': label },
    },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: KEEP_FINISHED_SECONDS,
      ...(options.timeoutMs ? { activeDeadlineSeconds: Math.ceil(options.timeoutMs / 1000) } : {}),
      template: {
        // Not managed-by: the log source reads the `vllm` container of every managed pod, which a job pod lacks.
        metadata: { labels: { 'llmops.io/job': label } },
        spec: {
          restartPolicy: 'Never',
          ...(command.gpuProduct ? { nodeSelector: { 'nvidia.com/gpu.product': command.gpuProduct } } : {}),
          containers: [
            {
              name: JOB_CONTAINER,
              image: command.image,
              command: command.command,
              ...(env.length > 0 ? { env } : {}),
              ...(command.workDir ? { workingDir: command.workDir } : {}),
              ...(gpus > 0 ? { resources: { limits: { 'nvidia.com/gpu': String(gpus) } } } : {}),
            },
          ],
        },
      },
    },
  };
}
