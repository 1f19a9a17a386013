import { join } from 'node:path';
import { writeFileAtomic } from '../deployments/atomic-file.ts';

/** One Prometheus `file_sd_configs` target group. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Where the fleet's scrape targets are written for Prometheus's file-based service discovery. */
export function prometheusTargetsPath(dataDir: string): string {
  return join(dataDir, 'demo', 'prometheus-targets.json');
}

/** A target group per deployment and environment that has replicas serving, each replica a `host:port` target. */
export function targetGroups(
  deployments: ReadonlyArray<{ name: string; environment: string; version: string; urls: readonly string[] }>,
): TargetGroup[] {
  return deployments
    .filter((deployment) => deployment.urls.length > 0)
    .map((deployment) => ({
      targets: deployment.urls.map((url) => new URL(url).host),
      labels: {
        model_name: deployment.name,
        deployment: deployment.name,
        environment: deployment.environment,
        version: deployment.version,
      },
    }));
}

/** Replaces the targets file in one step, so Prometheus never reads half of it. */
export function writePrometheusTargets(dataDir: string, groups: readonly TargetGroup[]): void {
  writeFileAtomic(prometheusTargetsPath(dataDir), `${JSON.stringify(groups, null, 2)}\n`);
}
