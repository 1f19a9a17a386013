import type { DeploymentRegistry, DeploymentStatus } from '../deployments/deployment-registry.ts';
import type { FleetDeploymentDescription } from './fleet-file.ts';

/**
 * The demo fleet as a deployment registry, whether this process runs it or another one
 * does: every status comes over HTTP from the simulated servers themselves.
 */
export class DemoRegistry implements DeploymentRegistry {
  constructor(private readonly deployments: () => readonly FleetDeploymentDescription[]) {}

  names(): string[] {
    // A name may run in several environments; it is one name to ask about.
    return [...new Set(this.deployments().map((d) => d.name))];
  }

  async endpoint(name: string) {
    const found = this.deployments().find((d) => d.name === name);
    return found ? { baseUrl: `${found.url}/v1`, model: found.name } : undefined;
  }

  async list(): Promise<DeploymentStatus[]> {
    return Promise.all(
      this.deployments().map(async (d) => {
        const base: DeploymentStatus = {
          name: d.name,
          environment: d.environment,
          version: d.version,
          model: d.model,
          replicas: d.urls?.length ?? (d.url ? 1 : 0),
          endpoint: `${d.url}/v1`,
          healthy: false,
          health: '',
          gpu: d.gpu,
          dtype: d.dtype,
        };
        if (!d.url) return { ...base, endpoint: '', health: 'no replica serves (scaled to 0, or it could not be started)' };
        try {
          const health = await fetch(`${d.url}/health`, { signal: AbortSignal.timeout(2000) });
          const state = (await (await fetch(`${d.url}/admin/state`, { signal: AbortSignal.timeout(2000) })).json()) as {
            version: string;
            running: number;
            waiting: number;
            kv_cache_usage: number;
          };
          return {
            ...base,
            version: state.version,
            healthy: health.ok,
            health: `GET /health → ${health.status}`,
            running: state.running,
            waiting: state.waiting,
            kvCacheUsage: state.kv_cache_usage,
          };
        } catch (error) {
          return { ...base, health: `unreachable: ${(error as Error).message}` };
        }
      }),
    );
  }
}
