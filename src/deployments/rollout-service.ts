import { findGpu } from '../analysis/gpu-catalogue.ts';
import { findModel } from '../analysis/model-catalogue.ts';
import { estimateResources, WEIGHT_DTYPES, type WeightDtype } from '../analysis/resource-sizing.ts';
import { AppError } from '../errors.ts';
import type { ToolResult } from '../tools/tool-definition.ts';
import type { DeploymentHistory } from './deployment-history.ts';
import type { DeploymentBackend, DeploymentSpec, RolloutResult } from './deployment-spec.ts';

export interface DeployArgs {
  model: string;
  version: string;
  environment: 'prod' | 'staging' | 'dev';
  replicas?: number | undefined;
  gpu_type?: string | undefined;
  gpu_count?: number | undefined;
  quantization?: string | undefined;
  model_id?: string | undefined;
  max_num_seqs?: number | undefined;
  max_num_batched_tokens?: number | undefined;
}

export interface Plan {
  summary: string;
  details: { spec: DeploymentSpec; current?: DeploymentSpec | undefined; changes: string[]; command: string };
}

/**
 * Turns deploy, rollback and scale requests into specs, plans people can approve, and
 * rollouts on the configured backend; records every outcome in the deployment history.
 */
export class RolloutService {
  constructor(
    private readonly options: {
      backend: DeploymentBackend;
      history: DeploymentHistory;
      /** Called after a successful rollout, so metrics, traffic and status follow the new replicas. */
      onRolledOut?: (spec: DeploymentSpec, urls: string[]) => Promise<void>;
    },
  ) {}

  get backendKind(): string {
    return this.options.backend.kind;
  }

  planDeploy(args: DeployArgs): Plan {
    const current = this.options.history.current(args.model, args.environment)?.spec;
    const spec = this.deploySpec(args, current);
    return this.plan(`Deploy ${spec.name} ${spec.version} to ${spec.environment}`, spec, current);
  }

  planRollback(name: string, environment: string | undefined, toVersion?: string): Plan {
    const env = this.environmentOf(name, environment);
    const current = this.options.history.current(name, env)?.spec;
    if (toVersion && current?.version === toVersion)
      throw new AppError('rollback_not_needed', `${name} in ${env} already runs ${toVersion}; there is nothing to roll back.`);
    const target = this.options.history.rollbackTarget(name, env, toVersion);
    if (!target) {
      throw new AppError(
        'rollback_target_missing',
        `${name} in ${env} has no ${toVersion ? `version ${toVersion}` : 'previous version'} in the deployment history (known: ${
          this.options.history
            .entries(name, env)
            .map((e) => e.version)
            .join(', ') || 'none'
        }).`,
      );
    }
    return this.plan(
      `Roll back ${name} in ${env} to ${target.version}`,
      { ...target.spec, replicas: current?.replicas ?? target.spec.replicas },
      current,
    );
  }

  planScale(name: string, environment: string | undefined, replicas: number): Plan {
    const env = this.environmentOf(name, environment);
    const current = this.options.history.current(name, env)?.spec;
    if (!current) throw new AppError('deployment_unknown', `${name} is not deployed in ${env}.`);
    return this.plan(
      `Scale ${name} in ${env} from ${current.replicas} to ${replicas} replica${replicas === 1 ? '' : 's'}`,
      { ...current, replicas },
      current,
    );
  }

  async apply(plan: Plan, actor: string, onProgress?: (event: string) => void): Promise<ToolResult> {
    const { spec, current } = plan.details;
    const { backend, history, onRolledOut } = this.options;
    const result: RolloutResult =
      current && spec.version === current.version && spec.replicas !== current.replicas
        ? await backend.scale(current, spec.replicas, onProgress)
        : await backend.deploy(spec, onProgress);
    history.record(spec, actor, backend.kind, result.ok ? 'active' : 'failed');
    if (!result.ok) return { status: 'error', code: 'rollout_failed', summary: result.summary, data: result };
    await onRolledOut?.(spec, result.urls);
    return { status: 'ok', summary: `${plan.summary}: done. ${result.summary}`, data: { ...result, spec } };
  }

  private plan(title: string, spec: DeploymentSpec, current: DeploymentSpec | undefined): Plan {
    const changes = diff(current, spec);
    const command = this.options.backend.render(spec);
    const summary = `${title} — ${spec.replicas} × (${spec.gpuCount} × ${spec.gpu}), ${spec.model} ${spec.dtype}; ${changes.length > 0 ? `changes: ${changes.join('; ')}` : 'no change against what runs now'}. ${this.options.backend.kind === 'local' ? 'Command' : 'Manifest'}: ${command.length > 400 ? `${command.slice(0, 400)}…` : command}`;
    return { summary, details: { spec, current, changes, command } };
  }

  private deploySpec(args: DeployArgs, current: DeploymentSpec | undefined): DeploymentSpec {
    const model = findModel(args.model_id ?? args.model)?.id ?? current?.model ?? args.model_id ?? args.model;
    const dtype = (
      args.quantization && (WEIGHT_DTYPES as readonly string[]).includes(args.quantization)
        ? args.quantization
        : (current?.dtype ?? 'bf16')
    ) as WeightDtype;
    let gpu = args.gpu_type ? (findGpu(args.gpu_type)?.id ?? args.gpu_type) : current?.gpu;
    let gpuCount = args.gpu_count ?? current?.gpuCount;
    if (!gpu || !gpuCount) {
      // Sized from the model when nothing says otherwise.
      const estimate = estimateResources({ model, dtype, gpuType: gpu, gpuCount });
      gpu = estimate.recommendation?.gpu ?? gpu ?? 'A100-80GB';
      gpuCount = estimate.recommendation?.count ?? gpuCount ?? 1;
    }
    return {
      name: args.model,
      environment: args.environment,
      version: args.version,
      model,
      gpu,
      gpuCount,
      dtype,
      replicas: args.replicas ?? current?.replicas ?? 1,
      maxNumSeqs: args.max_num_seqs ?? current?.maxNumSeqs ?? 64,
      maxNumBatchedTokens: args.max_num_batched_tokens ?? current?.maxNumBatchedTokens ?? 8192,
      peakRatePerSecond: current?.peakRatePerSecond ?? 1,
    };
  }

  /** The named environment, else the only one the deployment runs in; an error says which to choose. */
  environmentOf(name: string, environment: string | undefined): string {
    if (environment) return environment;
    const environments = this.options.history.environmentsOf(name);
    if (environments.length === 1) return environments[0] as string;
    throw new AppError(
      'environment_ambiguous',
      environments.length === 0
        ? `${name} is not deployed anywhere I know of.`
        : `${name} runs in ${environments.join(' and ')}: say which environment.`,
    );
  }
}

function diff(current: DeploymentSpec | undefined, next: DeploymentSpec): string[] {
  if (!current) return [`new deployment ${next.name} in ${next.environment}`];
  const fields: Array<[string, (spec: DeploymentSpec) => string]> = [
    ['version', (s) => s.version],
    ['model', (s) => s.model],
    ['dtype', (s) => s.dtype],
    ['GPUs', (s) => `${s.gpuCount} × ${s.gpu}`],
    ['replicas', (s) => String(s.replicas)],
    ['max_num_seqs', (s) => String(s.maxNumSeqs)],
  ];
  return fields
    .filter(([, read]) => read(current) !== read(next))
    .map(([label, read]) => `${label} ${read(current)} → ${read(next)}`);
}
