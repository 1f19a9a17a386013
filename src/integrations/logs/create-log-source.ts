import { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import { FileLogSource } from './file-log-source.ts';
import { KubernetesLogSource } from './kubernetes-log-source.ts';
import type { LogSource } from './log-source.ts';
import { LokiLogSource } from './loki-log-source.ts';

export type LogSourceConfig = Pick<
  Config,
  | 'LOG_SOURCE'
  | 'LOKI_URL'
  | 'LOKI_BEARER_TOKEN'
  | 'LOKI_USERNAME'
  | 'LOKI_PASSWORD'
  | 'LOKI_TENANT'
  | 'LOKI_DEPLOYMENT_LABEL'
  | 'LOKI_TIMEOUT_MS'
  | 'KUBE_NAMESPACE'
>;

export interface LogSourceDependencies {
  /** The demo fleet's log files, for the file source. */
  files: () => ReadonlyArray<{ deployment: string; path: string }>;
  /** The cluster for the kubernetes source; default: KUBECONFIG, ~/.kube/config or the in-cluster service account. */
  kubeConfig?: () => KubeConfig;
}

/** The log source LOG_SOURCE names, built from its settings. */
export function createLogSource(config: LogSourceConfig, dependencies: LogSourceDependencies): LogSource {
  switch (config.LOG_SOURCE) {
    case 'loki':
      // loadConfig refuses LOG_SOURCE=loki without LOKI_URL; this guards configs built by hand.
      if (!config.LOKI_URL) throw new AppError('config_invalid', 'LOG_SOURCE=loki: needs LOKI_URL, e.g. http://loki:3100');
      return new LokiLogSource({
        url: config.LOKI_URL,
        bearerToken: config.LOKI_BEARER_TOKEN,
        username: config.LOKI_USERNAME,
        password: config.LOKI_PASSWORD,
        tenant: config.LOKI_TENANT,
        deploymentLabel: config.LOKI_DEPLOYMENT_LABEL,
        timeoutMs: config.LOKI_TIMEOUT_MS,
      });
    case 'kubernetes':
      return new KubernetesLogSource({
        kubeConfig: dependencies.kubeConfig?.() ?? defaultKubeConfig(),
        namespace: config.KUBE_NAMESPACE,
      });
    case 'file':
      return new FileLogSource(dependencies.files);
  }
}

function defaultKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}
