/** What `get_deployment_status` reports of one deployment, read from the servers themselves. */
export interface DeploymentStatus {
  name: string;
  environment: string;
  version: string;
  model: string;
  replicas: number;
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8001/v1. */
  endpoint: string;
  healthy: boolean;
  /** What the health check said, e.g. "GET /health → 503". */
  health: string;
  gpu?: string;
  dtype?: string;
  running?: number;
  waiting?: number;
  kvCacheUsage?: number;
}

/** Where deployments are known: the demo fleet now, the local runtime and Kubernetes later. */
export interface DeploymentRegistry {
  list(): Promise<DeploymentStatus[]>;
  /** The endpoint to send requests to, or undefined for an unknown deployment. */
  endpoint(name: string): Promise<{ baseUrl: string; model: string } | undefined>;
  names(): string[];
}

/** No deployments: the registry when the demo fleet is off and no backend is configured. */
export const EMPTY_REGISTRY: DeploymentRegistry = {
  list: async () => [],
  endpoint: async () => undefined,
  names: () => [],
};
