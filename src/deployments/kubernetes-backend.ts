import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Service,
} from '@kubernetes/client-node';
import { stringify as toYaml } from 'yaml';
import { describeError } from '../errors.ts';
import type { DeploymentBackend, DeploymentSpec, RolloutResult } from './deployment-spec.ts';

/** Hugging Face repositories of the catalogue models, for `vllm serve`. */
const HF_REPOS: Record<string, string> = {
  'llama-3-8b': 'meta-llama/Meta-Llama-3-8B-Instruct',
  'llama-3.1-8b': 'meta-llama/Llama-3.1-8B-Instruct',
  'llama-3-70b': 'meta-llama/Meta-Llama-3-70B-Instruct',
  'llama-3.1-70b': 'meta-llama/Llama-3.1-70B-Instruct',
  'mistral-7b': 'mistralai/Mistral-7B-Instruct-v0.3',
  'mixtral-8x7b': 'mistralai/Mixtral-8x7B-Instruct-v0.1',
  'qwen2-7b': 'Qwen/Qwen2-7B-Instruct',
  'qwen2-72b': 'Qwen/Qwen2-72B-Instruct',
  'gemma-2-9b': 'google/gemma-2-9b-it',
  'phi-3-mini': 'microsoft/Phi-3-mini-4k-instruct',
};

/** GPU product labels as NVIDIA's GPU feature discovery sets them, for the node selector. */
const GPU_PRODUCTS: Record<string, string> = {
  L4: 'NVIDIA-L4',
  A10G: 'NVIDIA-A10G',
  L40S: 'NVIDIA-L40S',
  'A100-40GB': 'NVIDIA-A100-SXM4-40GB',
  'A100-80GB': 'NVIDIA-A100-SXM4-80GB',
  H100: 'NVIDIA-H100-80GB-HBM3',
  H200: 'NVIDIA-H200',
};

export interface KubernetesBackendOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  image: string;
  rolloutTimeoutMs?: number;
  pollMs?: number;
}

/**
 * Deploys vLLM to Kubernetes: a Deployment (GPU resources and node selector sized from the
 * spec, health probes, labels the assistant finds them by) and a Service, applied with
 * @kubernetes/client-node, then the rollout is watched until it is available or fails.
 */
export class KubernetesBackend implements DeploymentBackend {
  readonly kind = 'kubernetes' as const;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;

  constructor(private readonly options: KubernetesBackendOptions) {
    this.apps = options.kubeConfig.makeApiClient(AppsV1Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
  }

  render(spec: DeploymentSpec): string {
    return `${toYaml(this.deployment(spec))}---\n${toYaml(this.service(spec))}`;
  }

  async deploy(spec: DeploymentSpec, onProgress: (event: string) => void = () => undefined): Promise<RolloutResult> {
    const events: string[] = [];
    const say = (event: string) => {
      events.push(event);
      onProgress(event);
    };
    const name = resourceName(spec);
    const namespace = this.options.namespace;
    try {
      const service = this.service(spec);
      if (await this.exists(() => this.core.readNamespacedService({ name, namespace }))) {
        say(`service ${namespace}/${name} exists`);
      } else {
        await this.core.createNamespacedService({ namespace, body: service });
        say(`created service ${namespace}/${name}`);
      }
      const body = this.deployment(spec);
      const current = await this.read(name);
      if (current) {
        // A strategic merge patch, as `kubectl apply` sends: the API server merges it into what runs.
        await this.apps.patchNamespacedDeployment(
          { name, namespace, body },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        );
        say(`patched deployment ${namespace}/${name} to ${spec.version}`);
      } else {
        await this.apps.createNamespacedDeployment({ namespace, body });
        say(`created deployment ${namespace}/${name} (${spec.version})`);
      }
    } catch (error) {
      return this.failed(spec, `the Kubernetes API refused it: ${explain(error)}`, events);
    }
    return this.watch(spec, say, events);
  }

  async scale(spec: DeploymentSpec, replicas: number, onProgress?: (event: string) => void): Promise<RolloutResult> {
    return this.deploy({ ...spec, replicas }, onProgress);
  }

  private async watch(spec: DeploymentSpec, say: (event: string) => void, events: string[]): Promise<RolloutResult> {
    const name = resourceName(spec);
    const deadline = Date.now() + (this.options.rolloutTimeoutMs ?? 600_000);
    let last = '';
    while (Date.now() < deadline) {
      let status: V1Deployment;
      try {
        status = await this.apps.readNamespacedDeploymentStatus({ name, namespace: this.options.namespace });
      } catch (error) {
        return this.failed(spec, `reading the rollout status failed: ${explain(error)}`, events);
      }
      const s = status.status ?? {};
      const stalled = s.conditions?.find((c) => c.type === 'Progressing' && c.status === 'False');
      if (stalled) return this.failed(spec, `${stalled.reason ?? 'rollout stalled'}: ${stalled.message ?? ''}`.trim(), events);
      const progress = `${s.updatedReplicas ?? 0}/${spec.replicas} updated, ${s.availableReplicas ?? 0} available`;
      if (progress !== last) {
        say(progress);
        last = progress;
      }
      const current = (s.observedGeneration ?? 0) >= (status.metadata?.generation ?? 0);
      if (
        current &&
        (s.updatedReplicas ?? 0) >= spec.replicas &&
        (s.availableReplicas ?? 0) >= spec.replicas &&
        (s.unavailableReplicas ?? 0) === 0
      ) {
        const url = `http://${name}.${this.options.namespace}.svc.cluster.local:8000`;
        return {
          ok: true,
          summary: `${spec.name} ${spec.version} is available in ${spec.environment}: ${spec.replicas} replica${spec.replicas === 1 ? '' : 's'} at ${url}.`,
          events,
          urls: [url],
        };
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 2000));
    }
    return this.failed(spec, `not available within ${(this.options.rolloutTimeoutMs ?? 600_000) / 1000} s (${last})`, events);
  }

  private failed(spec: DeploymentSpec, why: string, events: string[]): RolloutResult {
    events.push(`rollout failed: ${why}`);
    return {
      ok: false,
      summary: `Rollout of ${spec.name} ${spec.version} to ${spec.environment} failed: ${why.replace(/\.$/, '')}.`,
      events,
      urls: [],
    };
  }

  private async read(name: string): Promise<V1Deployment | undefined> {
    try {
      return await this.apps.readNamespacedDeployment({ name, namespace: this.options.namespace });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  private async exists(read: () => Promise<unknown>): Promise<boolean> {
    try {
      await read();
      return true;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return false;
      throw error;
    }
  }

  deployment(spec: DeploymentSpec): V1Deployment {
    const name = resourceName(spec);
    const labels = {
      'app.kubernetes.io/name': spec.name,
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/managed-by': 'llmops-assistant',
      'llmops.io/environment': spec.environment,
    };
    const args = [
      '--model',
      HF_REPOS[spec.model] ?? spec.model,
      '--served-model-name',
      spec.name,
      '--dtype',
      ['awq', 'gptq', 'int4', 'int8', 'fp8'].includes(spec.dtype)
        ? 'auto'
        : spec.dtype === 'fp16'
          ? 'float16'
          : spec.dtype === 'fp32'
            ? 'float32'
            : 'bfloat16',
      ...(['awq', 'gptq', 'fp8'].includes(spec.dtype) ? ['--quantization', spec.dtype] : []),
      '--tensor-parallel-size',
      String(spec.gpuCount),
      '--max-num-seqs',
      String(spec.maxNumSeqs),
      '--max-num-batched-tokens',
      String(spec.maxNumBatchedTokens),
      '--port',
      '8000',
    ];
    const probe = (initialDelaySeconds: number) => ({
      httpGet: { path: '/health', port: 8000 },
      initialDelaySeconds,
      periodSeconds: 10,
      failureThreshold: 6,
    });
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: this.options.namespace, labels: { ...labels, 'llmops.io/version': spec.version } },
      spec: {
        replicas: spec.replicas,
        selector: { matchLabels: { 'app.kubernetes.io/instance': name } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        progressDeadlineSeconds: 900,
        template: {
          metadata: { labels: { ...labels, 'llmops.io/version': spec.version } },
          spec: {
            nodeSelector: { 'nvidia.com/gpu.product': GPU_PRODUCTS[spec.gpu] ?? spec.gpu },
            containers: [
              {
                name: 'vllm',
                image: this.options.image,
                args,
                ports: [{ name: 'http', containerPort: 8000 }],
                env: [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token', optional: true } } }],
                resources: {
                  limits: { 'nvidia.com/gpu': String(spec.gpuCount) },
                  requests: { 'nvidia.com/gpu': String(spec.gpuCount) },
                },
                readinessProbe: probe(30),
                livenessProbe: probe(300),
              },
            ],
          },
        },
      },
    };
  }

  service(spec: DeploymentSpec): V1Service {
    const name = resourceName(spec);
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name,
        namespace: this.options.namespace,
        labels: { 'app.kubernetes.io/name': spec.name, 'app.kubernetes.io/managed-by': 'llmops-assistant' },
      },
      spec: { selector: { 'app.kubernetes.io/instance': name }, ports: [{ name: 'http', port: 8000, targetPort: 8000 }] },
    };
  }
}

/** Resource names are the deployment and environment, e.g. qwen2-7b-prod (DNS-1123). */
export function resourceName(spec: Pick<DeploymentSpec, 'name' | 'environment'>): string {
  return `${spec.name}-${spec.environment}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

function explain(error: unknown): string {
  if (error instanceof ApiException) {
    const body = typeof error.body === 'string' ? safeJson(error.body) : error.body;
    const message = (body as { message?: string } | undefined)?.message;
    return `HTTP ${error.code}${message ? `: ${message}` : ''}`;
  }
  return describeError(error);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}
