import type { WeightDtype } from '../analysis/resource-sizing.ts';

/** Everything needed to run one version of a deployment, on any backend. */
export interface DeploymentSpec {
  name: string;
  environment: 'prod' | 'staging' | 'dev';
  version: string;
  model: string;
  gpu: string;
  gpuCount: number;
  dtype: WeightDtype;
  replicas: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  /** Demo traffic at the daily peak, for deployments the local runtime adds to the demo fleet. */
  peakRatePerSecond: number;
}

export interface RolloutResult {
  ok: boolean;
  summary: string;
  /** What happened, in order ("started replica 1 on :41233", "healthy after 0.8 s", …). */
  events: string[];
  urls: string[];
}

export interface DeployOptions {
  /** The tuning job this deployment is a trial of: its processes belong to the job, not to the deployment history. */
  trialOf?: number | undefined;
}

/** One interface for where models run: the local runtime (child processes) or Kubernetes. */
export interface DeploymentBackend {
  readonly kind: 'local' | 'kubernetes';
  /** What will run, for the plan people approve: the command line or the manifests. */
  render(spec: DeploymentSpec): string;
  /** Start the new version, wait until healthy, then retire the old one; on failure the old one keeps serving. */
  deploy(spec: DeploymentSpec, onProgress?: (event: string) => void, options?: DeployOptions): Promise<RolloutResult>;
  scale(spec: DeploymentSpec, replicas: number, onProgress?: (event: string) => void): Promise<RolloutResult>;
}
