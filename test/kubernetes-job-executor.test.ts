import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import type { JobCommand } from '../src/jobs/job-executor.ts';
import { KubernetesJobExecutor } from '../src/jobs/kubernetes-job-executor.ts';
import { nockedKubeConfig } from './support/kube-config.ts';

// The Kubernetes API as nock speaks it: the Job as POSTed and read back with its status,
// PodList JSON with container states, timestamped pod log text and Status objects for errors.
const CLUSTER = 'https://k8s.example.test:6443';
const JOBS = '/apis/batch/v1/namespaces/llm-jobs/jobs';
const PODS = '/api/v1/namespaces/llm-jobs/pods';
const JOB = 'quantise-llama-3-1-70b-awq';
const POD = `${JOB}-x7k2p`;
const IMAGE = 'registry.example.test/llmops/quantise:1.4.2';
const json = { 'Content-Type': 'application/json' };
const text = { 'Content-Type': 'text/plain' };

const kubeConfig = () => nockedKubeConfig(CLUSTER);

const quantise: JobCommand = {
  command: ['python', '-m', 'llmcompressor.run', '--model', 'meta-llama/Llama-3.1-70B-Instruct', '--scheme', 'W4A16'],
  env: { HF_HOME: '/models/cache', OUTPUT_DIR: '/models/llama-3.1-70b-awq' },
  image: IMAGE,
  gpus: 2,
  gpuProduct: 'NVIDIA-A100-SXM4-80GB',
  workDir: '/workspace',
};

/** No outage grace: a request the test did not expect fails the run at once instead of being retried. */
function executor(options: { timeoutMs?: number; outageGraceMs?: number } = {}) {
  return new KubernetesJobExecutor({ kubeConfig: kubeConfig(), namespace: 'llm-jobs', pollMs: 5, outageGraceMs: 0, ...options });
}

function jobWith(status: Record<string, unknown>) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: JOB, namespace: 'llm-jobs', uid: '5f0c1a9e-2b7d-4c1e-9a51-0d7f3e2b8c44', resourceVersion: '88231' },
    spec: { backoffLimit: 0, completions: 1, parallelism: 1 },
    status,
  };
}
const active = jobWith({ active: 1, ready: 1, startTime: '2026-11-29T14:00:02Z', uncountedTerminatedPods: {} });
const condition = (type: string, reason?: string, message?: string) => ({
  type,
  status: 'True',
  lastProbeTime: '2026-11-29T14:05:00Z',
  lastTransitionTime: '2026-11-29T14:05:00Z',
  ...(reason ? { reason, message } : {}),
});
const complete = jobWith({
  conditions: [
    condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
    condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
  ],
  startTime: '2026-11-29T14:00:02Z',
  completionTime: '2026-11-29T14:05:00Z',
  succeeded: 1,
  uncountedTerminatedPods: {},
});
const failed = jobWith({
  conditions: [
    condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
    condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
  ],
  startTime: '2026-11-29T14:00:02Z',
  failed: 1,
  uncountedTerminatedPods: {},
});

/** A PodList of the Job's one pod, its container in `state` (none reported yet when undefined). */
function podList(phase: string, state: Record<string, unknown> | undefined, podStatus: Record<string, unknown> = {}) {
  return {
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '88240' },
    items: [
      {
        metadata: {
          name: POD,
          namespace: 'llm-jobs',
          creationTimestamp: '2026-11-29T14:00:02Z',
          labels: { 'batch.kubernetes.io/job-name': JOB, 'job-name': JOB, 'llmops.io/job': JOB },
        },
        spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: IMAGE }] },
        status: {
          phase,
          ...podStatus,
          containerStatuses: state
            ? [
                {
                  name: 'job',
                  state,
                  ready: 'running' in state,
                  restartCount: 0,
                  image: IMAGE,
                  imageID: '',
                  started: 'running' in state,
                },
              ]
            : [],
        },
      },
    ],
  };
}
const running = { running: { startedAt: '2026-11-29T14:00:10Z' } };
const terminated = (exitCode: number, reason: string) => ({
  terminated: {
    exitCode,
    reason,
    startedAt: '2026-11-29T14:00:10Z',
    finishedAt: '2026-11-29T14:04:58Z',
    containerID: 'containerd://4be1',
  },
});

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** One poll: the Job, its pods, and (when the container has started) its log. */
function poll(api: nock.Scope, job: object, pods: object, log?: { since?: string; body: string }) {
  api.get(`${JOBS}/${JOB}`).reply(200, job, json);
  api
    .get(PODS)
    .query({ labelSelector: `job-name=${JOB}` })
    .reply(200, pods, json);
  if (log) {
    const query = { container: 'job', timestamps: 'true', ...(log.since ? { sinceTime: log.since } : {}) };
    api.get(`${PODS}/${POD}/log`).query(query).reply(200, log.body, text);
  }
}

function cluster() {
  return nock(CLUSTER, { reqheaders: { authorization: 'Bearer token-abc' } });
}

function createJob(api: nock.Scope, posted: { body?: unknown } = {}) {
  return api
    .post(JOBS, (body) => {
      posted.body = body;
      return true;
    })
    .reply(201, (_uri, body) => ({ ...(body as object), status: {} }), json);
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});
// Files of a worker run one after another: leave the network as it was found.
afterAll(() => {
  nock.enableNetConnect();
});

describe('Kubernetes job executor', () => {
  it('creates the Job as specified, streams its log once per line while polling, and reports success', async () => {
    const api = cluster();
    const posted: { body?: unknown } = {};
    createJob(api, posted);
    poll(api, jobWith({ active: 1, ready: 0 }), podList('Pending', { waiting: { reason: 'ContainerCreating' } }));
    poll(api, active, podList('Running', running), {
      body: [
        '2026-11-29T14:00:11.52Z loading checkpoint shards',
        '2026-11-29T14:00:40.100000001Z calibrating  25%\rcalibrating  50%\rcalibrating 100%',
        '',
      ].join('\n'),
    });
    // The server answers from the whole second of the last line; lines already passed on are dropped.
    poll(api, complete, podList('Succeeded', terminated(0, 'Completed')), {
      since: '2026-11-29T14:00:40Z',
      body: [
        '2026-11-29T14:00:40.100000001Z calibrating  25%\rcalibrating  50%\rcalibrating 100%',
        '2026-11-29T14:04:57Z saved /models/llama-3.1-70b-awq',
        '2026-11-29T14:04:57Z done',
        '',
      ].join('\n'),
    });

    const lines: string[] = [];
    const outcome = await executor({ timeoutMs: 7_200_000 }).run('Quantise Llama-3.1-70B AWQ', quantise, {
      signal: new AbortController().signal,
      onLog: (line) => lines.push(line),
    });

    expect(posted.body).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: JOB,
        namespace: 'llm-jobs',
        labels: { 'app.kubernetes.io/managed-by': 'llmops-assistant', 'llmops.io/job': JOB },
      },
      spec: {
        backoffLimit: 0,
        ttlSecondsAfterFinished: 3600,
        activeDeadlineSeconds: 7200,
        template: {
          metadata: { labels: { 'llmops.io/job': JOB } },
          spec: {
            restartPolicy: 'Never',
            nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' },
            containers: [
              {
                name: 'job',
                image: IMAGE,
                command: quantise.command,
                env: [
                  { name: 'HF_HOME', value: '/models/cache' },
                  { name: 'OUTPUT_DIR', value: '/models/llama-3.1-70b-awq' },
                ],
                workingDir: '/workspace',
                resources: { limits: { 'nvidia.com/gpu': '2' } },
              },
            ],
          },
        },
      },
    });
    expect(lines).toEqual([
      'loading checkpoint shards',
      'calibrating  25%',
      'calibrating  50%',
      'calibrating 100%',
      'saved /models/llama-3.1-70b-awq',
      'done',
    ]);
    expect(outcome).toEqual({ ok: true, exitCode: 0, lastLines: lines });
    expect(api.isDone()).toBe(true);
  });

  it('reports a failed Job with its exit code and the last 20 log lines', async () => {
    const api = cluster();
    createJob(api);
    const traceback = Array.from({ length: 24 }, (_, i) => `2026-11-29T14:01:${String(i).padStart(2, '0')}Z frame ${i + 1}`);
    traceback.push('2026-11-29T14:01:30Z ValueError: unsupported scheme W4A17');
    poll(api, failed, podList('Failed', terminated(1, 'Error')), { body: `${traceback.join('\n')}\n` });

    const outcome = await executor().run(JOB, quantise, { signal: new AbortController().signal, onLog: () => undefined });

    expect(outcome.ok).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.reason).toBe('exit code 1');
    expect(outcome.lastLines).toHaveLength(20);
    expect(outcome.lastLines[0]).toBe('frame 6');
    expect(outcome.lastLines.at(-1)).toBe('ValueError: unsupported scheme W4A17');
    expect(api.isDone()).toBe(true);
  });

  it('says OOMKilled when the container ran out of memory', async () => {
    const api = cluster();
    createJob(api);
    poll(api, failed, podList('Failed', terminated(137, 'OOMKilled')), { body: '2026-11-29T14:02:00Z loading teacher model\n' });

    const outcome = await executor().run(JOB, quantise, { signal: new AbortController().signal, onLog: () => undefined });

    expect(outcome).toEqual({
      ok: false,
      exitCode: 137,
      reason: 'OOMKilled: the container ran out of memory (exit code 137)',
      lastLines: ['loading teacher model'],
    });
  });

  it('a Job out of time whose pod never found a node says so', async () => {
    const api = cluster();
    createJob(api);
    const outOfTime = {
      ...jobWith({
        conditions: [condition('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline')],
        failed: 1,
      }),
      spec: { backoffLimit: 0, activeDeadlineSeconds: 600 },
    };
    const message = '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.';
    const unschedulable = { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] };
    poll(api, outOfTime, podList('Pending', undefined, unschedulable));

    const outcome = await executor().run(JOB, quantise, { signal: new AbortController().signal, onLog: () => undefined });

    expect(outcome).toEqual({
      ok: false,
      exitCode: null,
      reason: `DeadlineExceeded: the job did not finish within its 600 s (the pod was never scheduled: ${message})`,
      lastLines: [],
    });
  });

  it('gives up on an image that cannot be pulled, deletes the Job and says why', async () => {
    const api = cluster();
    createJob(api);
    const pullError = `failed to pull and unpack image "${IMAGE}": failed to resolve reference "${IMAGE}": not found`;
    poll(api, jobWith({ active: 1, ready: 0 }), podList('Pending', { waiting: { reason: 'ErrImagePull', message: pullError } }));
    poll(
      api,
      jobWith({ active: 1, ready: 0 }),
      podList('Pending', { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${IMAGE}"` } }),
    );
    api
      .delete(`${JOBS}/${JOB}`)
      .query({ propagationPolicy: 'Background' })
      .reply(
        200,
        {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name: JOB, group: 'batch', kind: 'jobs' },
        },
        json,
      );

    const outcome = await executor().run(JOB, quantise, { signal: new AbortController().signal, onLog: () => undefined });

    expect(outcome).toEqual({
      ok: false,
      exitCode: null,
      reason: `ImagePullBackOff: Back-off pulling image "${IMAGE}" (last pull error: ${pullError})`,
      lastLines: [],
    });
    expect(api.isDone()).toBe(true);
  });

  it('cancelling deletes the Job with background propagation and resolves as cancelled', async () => {
    const api = cluster();
    createJob(api);
    poll(api, active, podList('Running', running), { body: '2026-11-29T14:00:11Z distilling epoch 1/3\n' });
    const deleted = api
      .delete(`${JOBS}/${JOB}`)
      .query({ propagationPolicy: 'Background' })
      .reply(
        200,
        {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name: JOB, group: 'batch', kind: 'jobs' },
        },
        json,
      );
    const controller = new AbortController();

    const outcome = await executor().run(JOB, quantise, {
      signal: controller.signal,
      onLog: () => controller.abort(),
    });

    expect(outcome).toEqual({ ok: false, exitCode: null, reason: 'cancelled', lastLines: ['distilling epoch 1/3'] });
    expect(deleted.isDone()).toBe(true);
  });

  it('rides out a brief API outage while the Job runs', async () => {
    const api = cluster();
    createJob(api);
    api
      .get(`${JOBS}/${JOB}`)
      .reply(503, status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'), json);
    poll(api, complete, podList('Succeeded', terminated(0, 'Completed')), { body: '2026-11-29T14:04:57Z done\n' });

    const outcome = await executor({ outageGraceMs: 5000 }).run(JOB, quantise, {
      signal: new AbortController().signal,
      onLog: () => undefined,
    });

    expect(outcome).toEqual({ ok: true, exitCode: 0, lastLines: ['done'] });
    expect(api.isDone()).toBe(true);
  });

  it('403 on create: rejects naming the permission the service account lacks', async () => {
    cluster()
      .post(JOBS)
      .reply(
        403,
        status(
          403,
          'Forbidden',
          'jobs.batch is forbidden: User "system:serviceaccount:llm-serving:llmops" cannot create resource "jobs" in API group "batch" in the namespace "llm-jobs"',
        ),
        json,
      );

    const error = await rejection(
      executor().run(JOB, quantise, { signal: new AbortController().signal, onLog: () => undefined }),
    );

    expect(error.code).toBe('kubernetes_forbidden');
    expect(error.message).toBe(
      `The Kubernetes API at ${CLUSTER} forbade creating Job llm-jobs/${JOB} (HTTP 403: jobs.batch is forbidden: ` +
        'User "system:serviceaccount:llm-serving:llmops" cannot create resource "jobs" in API group "batch" in the namespace "llm-jobs"); ' +
        'the service account may not do that: it needs `create` on `jobs` in API group batch in namespace llm-jobs',
    );
  });

  it('403 on the pod log while the Job runs: rejects naming get on pods/log and where the Job is', async () => {
    const api = cluster();
    createJob(api);
    api.get(`${JOBS}/${JOB}`).reply(200, active, json);
    api
      .get(PODS)
      .query({ labelSelector: `job-name=${JOB}` })
      .reply(200, podList('Running', running), json);
    api
      .get(`${PODS}/${POD}/log`)
      .query(true)
      .reply(
        403,
        status(
          403,
          'Forbidden',
          `pods "${POD}" is forbidden: User "system:serviceaccount:llm-serving:llmops" cannot get resource "pods/log"`,
        ),
        json,
      );

    const error = await rejection(
      executor().run(JOB, quantise, { signal: new AbortController().signal, onLog: () => undefined }),
    );

    expect(error.code).toBe('kubernetes_forbidden');
    expect(error.message).toContain('it needs `get` on `pods/log` in namespace llm-jobs');
    expect(error.message).toContain(`Job llm-jobs/${JOB} may still be running: kubectl -n llm-jobs get job ${JOB}`);
  });

  it('an unreachable cluster: rejects saying so', async () => {
    cluster()
      .post(JOBS)
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' }));

    const error = await rejection(
      executor().run(JOB, quantise, { signal: new AbortController().signal, onLog: () => undefined }),
    );

    expect(error.code).toBe('kubernetes_unreachable');
    expect(error.message).toContain(
      `The Kubernetes API at ${CLUSTER} is unreachable (ECONNREFUSED) while creating Job llm-jobs/${JOB}`,
    );
  });

  it('renders the Job manifest as YAML, named as a DNS-1123 label', () => {
    const yaml = executor().render('Distil Qwen2-72B → Qwen2-7B (teacher: qwen2-72b, student: qwen2-7b, run 2026-11-29)', {
      command: ['python', 'distil.py'],
      image: IMAGE,
    });
    const name = /^ {2}name: (.*)$/m.exec(yaml)?.[1] ?? '';
    expect(name).toBe('distil-qwen2-72b-qwen2-7b-teacher-qwen2-72b-student-qwen2-7b-ru');
    expect(name.length).toBeLessThanOrEqual(63);
    expect(yaml).toContain('kind: Job');
    expect(yaml).toContain('restartPolicy: Never');
    expect(yaml).not.toContain('nvidia.com/gpu');
  });
});
