import type { StartOptimizationArgs } from '../../tools/start-optimization.ts';
import type { RcaEvent } from '../analysis/rca/change-events.ts';
import type { AuditLog } from '../approvals/audit-log.ts';
import type { DeploymentRegistry } from '../deployments/deployment-registry.ts';
import type { RolloutService } from '../deployments/rollout-service.ts';
import { AppError } from '../errors.ts';
import type { LogSource } from '../integrations/logs/log-source.ts';
import type { JobRepository } from '../jobs/job-repository.ts';
import type { JobRunner } from '../jobs/job-runner.ts';
import type { MetricsSource } from '../metrics/metrics-source.ts';
import type { ToolContext, ToolResult } from './tool-definition.ts';

/** What tool handlers may use; built once by the composition root. */
export interface ToolServices {
  metrics: MetricsSource;
  deployments: DeploymentRegistry;
  /** Where charts are written (`DATA_DIR/charts`). */
  chartDir: string;
  /** The metrics source's scrape interval, to pick sensible query steps. */
  scrapeIntervalSeconds: number;
  /** Deploy, roll back and scale on the configured backend. */
  rollouts?: RolloutService | undefined;
  audit?: AuditLog | undefined;
  /** Log lines by deployment and time (the demo fleet's files by default). */
  logs?: LogSource | undefined;
  /** Changes in a time range: deploys, rollbacks, scaling and config changes, alerts (for root-cause analysis). */
  changeEvents?: ((start: Date, end: Date) => Promise<RcaEvent[]>) | undefined;
  /** Optimisation jobs: start (after approval), status, cancel. */
  optimizations?: OptimizationService | undefined;
}

/** What the job tools need of the optimisation service (`src/optimization/`). */
export interface OptimizationService {
  readonly jobs: JobRepository;
  readonly runner: JobRunner;
  plan(args: StartOptimizationArgs): Promise<{ summary: string; details?: unknown }>;
  start(args: StartOptimizationArgs, context: ToolContext): Promise<ToolResult>;
}

/** The rollout service, or the error a tool gives when no deployment backend is configured. */
export function requireRollouts(services: ToolServices): RolloutService {
  if (!services.rollouts) throw new AppError('backend_unavailable', 'No deployment backend is configured.');
  return services.rollouts;
}
