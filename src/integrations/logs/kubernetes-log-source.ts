import { ApiException, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { AppError } from '../../errors.ts';
import { kubernetesFailure, type Permission, statusMessage } from '../../jobs/kubernetes-api-failure.ts';
import {
  type LogLine,
  type LogQuery,
  type LogSource,
  levelAtLeast,
  matches,
  pollTail,
  type TailOptions,
  type TailQuery,
} from './log-source.ts';
import { parseLogLine } from './parse-log-line.ts';
import { displayUrl } from './upstream-failure.ts';

export interface KubernetesLogSourceOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** The container whose logs are read. Default `vllm`, the one KubernetesBackend runs. */
  container?: string | undefined;
  now?: () => Date;
}

/** The labels KubernetesBackend puts on the pods it creates. */
const DEPLOYMENT_LABEL = 'app.kubernetes.io/name';
const MANAGED_SELECTOR = 'app.kubernetes.io/managed-by=llmops-assistant';

/** `2026-11-29T14:03:07.123456789Z <line>`: the API server's prefix with `timestamps=true` (RFC 3339, trailing zeros cut). */
const TIMESTAMPED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}) (.*)$/;

/** A 400 for a container that has not started has no logs to read yet: such pods are skipped. */
const NOT_STARTED = /waiting to start|ContainerCreating|PodInitializing/;

interface Stamped {
  ns: bigint;
  pod: string;
  line: LogLine;
}

/** Pod logs of the assistant's deployments, read through the Kubernetes API and filtered here. */
export class KubernetesLogSource implements LogSource {
  readonly name = 'kubernetes';

  tail(query: TailQuery, options: TailOptions): AsyncGenerator<LogLine> {
    return pollTail(this, query, options);
  }
  /** The cluster's API server, as it appears in messages. */
  readonly server: string;
  private readonly core: CoreV1Api;
  private readonly container: string;

  constructor(private readonly options: KubernetesLogSourceOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.server = displayUrl(options.kubeConfig.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)');
    this.container = options.container ?? 'vllm';
  }

  async query(query: LogQuery): Promise<LogLine[]> {
    const lines = await this.read(query);
    return lines
      .filter(({ line }) => levelAtLeast(line.level, query.level) && matches(line, query.match))
      .sort((a, b) => compare(b, a))
      .slice(0, query.limit)
      .map(({ line }) => line);
  }

  async lines(query: Omit<LogQuery, 'match' | 'level'>): Promise<LogLine[]> {
    const lines = await this.read(query);
    return lines
      .sort(compare)
      .slice(0, query.limit)
      .map(({ line }) => line);
  }

  /** Every line of the range from every pod of the deployment (of every managed deployment when none). */
  private async read(query: Pick<LogQuery, 'deployment' | 'start' | 'end'>): Promise<Stamped[]> {
    const pods = await this.pods(query.deployment);
    const now = this.options.now?.() ?? new Date();
    const sinceSeconds = Math.max(1, Math.ceil((now.getTime() - query.start.getTime()) / 1000));
    const perPod = await Promise.all(pods.map((pod) => this.podLines(pod, sinceSeconds, query)));
    return perPod.flat();
  }

  private async pods(deployment: string | undefined): Promise<V1Pod[]> {
    const namespace = this.options.namespace;
    const labelSelector = deployment ? `${DEPLOYMENT_LABEL}=${deployment}` : MANAGED_SELECTOR;
    try {
      const list = await this.core.listNamespacedPod({ namespace, labelSelector });
      return list.items;
    } catch (error) {
      throw this.failure(error, `listing pods with ${labelSelector} in namespace ${namespace}`, {
        verb: 'list',
        resource: 'pods',
      });
    }
  }

  private async podLines(pod: V1Pod, sinceSeconds: number, query: Pick<LogQuery, 'deployment' | 'start' | 'end'>) {
    const name = pod.metadata?.name ?? '';
    const namespace = this.options.namespace;
    let text: string;
    try {
      text = await this.core.readNamespacedPodLog({ name, namespace, container: this.container, timestamps: true, sinceSeconds });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return [];
      if (error instanceof ApiException && error.code === 400 && NOT_STARTED.test(statusMessage(error.body))) return [];
      throw this.failure(error, `reading the logs of pod ${namespace}/${name} (container ${this.container})`, {
        verb: 'get',
        resource: 'pods/log',
      });
    }
    const deployment = pod.metadata?.labels?.[DEPLOYMENT_LABEL] ?? query.deployment ?? name;
    const from = BigInt(query.start.getTime()) * 1_000_000n;
    // A line stamped within the end's millisecond still belongs to the range.
    const to = (BigInt(query.end.getTime()) + 1n) * 1_000_000n;
    const lines: Stamped[] = [];
    for (const row of text.split('\n')) {
      const stamped = TIMESTAMPED.exec(row.replace(/\r$/, ''));
      if (!stamped) continue;
      const [, seconds, fraction = '', zone, raw = ''] = stamped;
      const ns = BigInt(Date.parse(`${seconds}${zone}`)) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
      if (ns < from || ns >= to) continue;
      const { level, message } = parseLogLine(raw);
      lines.push({
        ns,
        pod: name,
        line: { at: new Date(Number(ns / 1_000_000n)), level: level ?? 'UNKNOWN', deployment, message, raw },
      });
    }
    return lines;
  }

  private failure(error: unknown, doing: string, needs: Permission): AppError {
    return kubernetesFailure(error, { server: this.server, namespace: this.options.namespace }, doing, needs);
  }
}

/** Oldest first; lines of one instant in pod order, so merged logs read the same every time. */
function compare(a: Stamped, b: Stamped): number {
  if (a.ns !== b.ns) return a.ns < b.ns ? -1 : 1;
  return a.pod.localeCompare(b.pod);
}
