import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentSpec } from '../src/deployments/deployment-spec.ts';
import { KubernetesBackend } from '../src/deployments/kubernetes-backend.ts';
import { nockedKubeConfig } from './support/kube-config.ts';

// The Kubernetes API as nock speaks it: Status objects for errors, Deployment objects with
// status for the rollout, at a cluster URL with a bearer token.
const CLUSTER = 'https://k8s.example.test:6443';
const NS = '/apis/apps/v1/namespaces/llm-serving';

const kubeConfig = () => nockedKubeConfig(CLUSTER);

const spec: DeploymentSpec = {
  name: 'qwen2-7b',
  environment: 'prod',
  version: 'v2',
  model: 'qwen2-7b',
  gpu: 'A100-80GB',
  gpuCount: 1,
  dtype: 'awq',
  replicas: 2,
  maxNumSeqs: 64,
  maxNumBatchedTokens: 8192,
  peakRatePerSecond: 1,
};

const notFound = (kind: string, name: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: `${kind} "${name}" not found`,
  reason: 'NotFound',
  details: { name, kind },
  code: 404,
});
const withStatus = (generation: number, status: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'qwen2-7b-prod', namespace: 'llm-serving', generation, resourceVersion: '1001' },
  status,
});

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

describe('Kubernetes backend', () => {
  it('renders a vLLM Deployment and Service sized from the spec', () => {
    const backend = new KubernetesBackend({
      kubeConfig: kubeConfig(),
      namespace: 'llm-serving',
      image: 'vllm/vllm-openai:v0.11.0',
    });
    const deployment = backend.deployment(spec);
    const container = deployment.spec?.template.spec?.containers[0];
    expect(container?.image).toBe('vllm/vllm-openai:v0.11.0');
    expect(container?.args).toEqual([
      '--model',
      'Qwen/Qwen2-7B-Instruct',
      '--served-model-name',
      'qwen2-7b',
      '--dtype',
      'auto',
      '--quantization',
      'awq',
      '--tensor-parallel-size',
      '1',
      '--max-num-seqs',
      '64',
      '--max-num-batched-tokens',
      '8192',
      '--port',
      '8000',
    ]);
    expect(container?.resources?.limits).toEqual({ 'nvidia.com/gpu': '1' });
    expect(container?.readinessProbe?.httpGet?.path).toBe('/health');
    expect(deployment.spec?.template.spec?.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' });
    expect(deployment.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'llmops-assistant',
      'llmops.io/version': 'v2',
      'llmops.io/environment': 'prod',
    });
    expect(backend.render(spec)).toContain('kind: Service');
  });

  it('creates the Service and Deployment, then watches the rollout until available', async () => {
    const created: Record<string, any> = {};
    const api = nock(CLUSTER, { reqheaders: { authorization: 'Bearer token-abc' } })
      .get('/api/v1/namespaces/llm-serving/services/qwen2-7b-prod')
      .reply(404, notFound('services', 'qwen2-7b-prod'))
      .post('/api/v1/namespaces/llm-serving/services', (body) => {
        created.service = body;
        return true;
      })
      .reply(201, (_uri, body) => body, { 'Content-Type': 'application/json' })
      .get(`${NS}/deployments/qwen2-7b-prod`)
      .reply(404, notFound('deployments.apps', 'qwen2-7b-prod'))
      .post(`${NS}/deployments`, (body) => {
        created.deployment = body;
        return true;
      })
      .reply(201, (_uri, body) => body, { 'Content-Type': 'application/json' })
      .get(`${NS}/deployments/qwen2-7b-prod/status`)
      .reply(
        200,
        withStatus(1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 0, unavailableReplicas: 1 }),
      )
      .get(`${NS}/deployments/qwen2-7b-prod/status`)
      .reply(
        200,
        withStatus(1, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }),
      );
    const backend = new KubernetesBackend({
      kubeConfig: kubeConfig(),
      namespace: 'llm-serving',
      image: 'vllm/vllm-openai:v0.11.0',
      pollMs: 10,
    });
    const progress: string[] = [];
    const result = await backend.deploy(spec, (event) => progress.push(event));
    expect(result.ok).toBe(true);
    expect(result.summary).toBe(
      'qwen2-7b v2 is available in prod: 2 replicas at http://qwen2-7b-prod.llm-serving.svc.cluster.local:8000.',
    );
    expect(progress).toEqual([
      'created service llm-serving/qwen2-7b-prod',
      'created deployment llm-serving/qwen2-7b-prod (v2)',
      '1/2 updated, 0 available',
      '2/2 updated, 2 available',
    ]);
    expect(created.deployment.spec.replicas).toBe(2);
    expect(created.service.spec.selector).toEqual({ 'app.kubernetes.io/instance': 'qwen2-7b-prod' });
    expect(api.isDone()).toBe(true);
  });

  it('patches an existing Deployment and reports a failed rollout, not hiding it', async () => {
    let replaced: Record<string, any> | undefined;
    nock(CLUSTER)
      .get('/api/v1/namespaces/llm-serving/services/qwen2-7b-prod')
      .reply(200, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'qwen2-7b-prod' } })
      .get(`${NS}/deployments/qwen2-7b-prod`)
      .reply(200, withStatus(3, {}))
      .patch(`${NS}/deployments/qwen2-7b-prod`, (body) => {
        replaced = body;
        return true;
      })
      .matchHeader('content-type', 'application/strategic-merge-patch+json')
      .reply(200, (_uri, body) => (typeof body === 'string' ? JSON.parse(body) : body), { 'Content-Type': 'application/json' })
      .get(`${NS}/deployments/qwen2-7b-prod/status`)
      .reply(
        200,
        withStatus(4, {
          observedGeneration: 4,
          replicas: 2,
          updatedReplicas: 1,
          availableReplicas: 1,
          unavailableReplicas: 1,
          conditions: [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "qwen2-7b-prod-6d9f7c" has timed out progressing.',
            },
          ],
        }),
      );
    const backend = new KubernetesBackend({
      kubeConfig: kubeConfig(),
      namespace: 'llm-serving',
      image: 'vllm/vllm-openai:v0.11.0',
      pollMs: 10,
    });
    const result = await backend.deploy({ ...spec, version: 'v3' });
    expect(replaced?.metadata.labels['llmops.io/version']).toBe('v3');
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      'Rollout of qwen2-7b v3 to prod failed: ProgressDeadlineExceeded: ReplicaSet "qwen2-7b-prod-6d9f7c" has timed out progressing.',
    );
  });

  it('says what the API refused', async () => {
    nock(CLUSTER).get('/api/v1/namespaces/llm-serving/services/qwen2-7b-prod').reply(403, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'services "qwen2-7b-prod" is forbidden: User "ci" cannot get resource "services"',
      reason: 'Forbidden',
      code: 403,
    });
    const backend = new KubernetesBackend({
      kubeConfig: kubeConfig(),
      namespace: 'llm-serving',
      image: 'vllm/vllm-openai:v0.11.0',
    });
    const result = await backend.deploy(spec);
    expect(result.ok).toBe(false);
    expect(result.summary).toContain('the Kubernetes API refused it: HTTP 403: services "qwen2-7b-prod" is forbidden');
  });
});
