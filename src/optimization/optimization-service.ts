import { join } from 'node:path';
import type { StartOptimizationArgs } from '../../tools/start-optimization.ts';
import { WEIGHT_BYTES, type WeightDtype } from '../analysis/resource-sizing.ts';
import type { ProposalRepository } from '../approvals/proposal-repository.ts';
import type { DeploymentHistory } from '../deployments/deployment-history.ts';
import type { DeploymentRegistry } from '../deployments/deployment-registry.ts';
import type { DeploymentBackend, DeploymentSpec } from '../deployments/deployment-spec.ts';
import { AppError } from '../errors.ts';
import type { JobCommand, JobExecutor } from '../jobs/job-executor.ts';
import type { Job, JobKind, JobRepository } from '../jobs/job-repository.ts';
import type { JobContext, JobHandler, JobOutcome, JobRunner } from '../jobs/job-runner.ts';
import type { ToolContext, ToolResult } from '../tools/tool-definition.ts';
import type { OptimizationService } from '../tools/tool-services.ts';
import { type ComparedDeployment, compareDeployments } from './compare-candidates.ts';
import { runTuneJob, TRIAL_WORKLOAD, tuningSpace } from './tune-job.ts';

/** Calls a catalogue tool through the one executor (and so through the approval gate). */
export type ToolCaller = (name: string, args: unknown, context: Omit<ToolContext, 'signal'>) => Promise<ToolResult>;

export interface CompressionCommands {
  /** argv templates; {model} {hf_repo} {method} {student} {output} are filled in. */
  quantize: string[];
  distill: string[];
  image?: string | undefined;
}

export interface OptimizationServiceOptions {
  jobs: JobRepository;
  history: DeploymentHistory;
  registry: DeploymentRegistry;
  proposals: ProposalRepository;
  executor: JobExecutor;
  commands: CompressionCommands;
  /** Where compressed models are written (`DATA_DIR/artifacts`, or a volume path in the job's image). */
  artifactDir: string;
  /** How often to look at a proposal the job waits for. */
  pollMs?: number;
  /** Where tuning trials are deployed (the deployment backend). */
  backend: DeploymentBackend;
  chartDir: string;
}

const ENVIRONMENTS: ReadonlyArray<DeploymentSpec['environment']> = ['prod', 'staging', 'dev'];

/**
 * Optimisation jobs: what `start_optimization` plans and starts, and the job handlers that do
 * the work. Compression (quantize, distill) runs a command through the job executor, proposes
 * the candidate's staging deploy through the approval gate, waits for it, then compares it with
 * the baseline; tuning is in `tune-job.ts`.
 */
export class Optimizations implements OptimizationService {
  readonly jobs: JobRepository;
  private runnerRef: JobRunner | undefined;
  private callTool: ToolCaller | undefined;

  constructor(private readonly options: OptimizationServiceOptions) {
    this.jobs = options.jobs;
  }

  /** Wired after construction: the runner needs these handlers, the tools need this service. */
  attach(runner: JobRunner, callTool: ToolCaller): void {
    this.runnerRef = runner;
    this.callTool = callTool;
  }

  get runner(): JobRunner {
    if (!this.runnerRef) throw new AppError('jobs_unavailable', 'The job runner is not started.');
    return this.runnerRef;
  }

  handlers(): Partial<Record<JobKind, JobHandler>> {
    return {
      quantize: (context) => this.compress(context),
      distill: (context) => this.compress(context),
      tune: (context) =>
        runTuneJob(context, {
          backend: this.options.backend,
          chartDir: this.options.chartDir,
          callTool: (name, args) => this.tool(name, args, context.job),
        }),
    };
  }

  async plan(args: StartOptimizationArgs): Promise<{ summary: string; details?: unknown }> {
    const base = this.baseline(args.deployment);
    if (args.kind === 'tune') {
      const space = tuningSpace(base);
      const trials = Math.min(args.trials ?? 20, space.size);
      const knobs = space.knobs.map((knob) => `${knob.name} {${knob.values.join(', ')}}`).join(' × ');
      const maxGpus = Math.max(...((space.knobs.find((k) => k.name === 'tensor_parallel_size')?.values ?? [1]) as number[]));
      return {
        summary: `Tune ${base.name} (${base.model} on ${base.gpu}) in ${args.environment}: up to ${trials} trials by ${args.optimizer ?? 'bayesian'} search over ${knobs} (${space.size} configs), each a deployment of ${base.name}-tune on the ${this.options.backend.kind} backend (1 replica, up to ${maxGpus} GPUs) measured by a load test of ${TRIAL_WORKLOAD.requests} requests at concurrency ${TRIAL_WORKLOAD.concurrency}; objective ${args.objective ?? 'throughput'} with p95 TTFT ≤ ${args.slo_p95_ttft_ms ?? 2000} ms and p95 TPOT ≤ ${args.slo_p95_tpot_ms ?? 100} ms. The best config is then proposed as a deploy, for approval.`,
        details: { base, trials, space: space.knobs },
      };
    }
    const command = this.command(args, base, '<job>');
    const candidate = this.candidateName(args, base);
    const what =
      args.kind === 'quantize'
        ? `Quantize ${base.name} (${base.model}, ${base.dtype}) to ${args.method ?? 'awq'}`
        : `Distill ${base.name} (${base.model}) into ${args.student}`;
    const rendered = this.options.executor.render(`${args.kind}-${base.name}`, command);
    return {
      summary: `${what} as a ${this.options.executor.kind} job, then deploy the candidate ${candidate} to ${args.environment} (through the approval policy) and compare it with ${base.name} (size, load test, accuracy check). ${this.options.executor.kind === 'local' ? 'Command' : 'Job'}: ${rendered.length > 400 ? `${rendered.slice(0, 400)}…` : rendered}`,
      details: { base, candidate, command: rendered },
    };
  }

  async start(args: StartOptimizationArgs, context: ToolContext): Promise<ToolResult> {
    // The same checks as at proposal time (the deployment may have gone since), without rendering the plan again.
    const base = this.baseline(args.deployment);
    if (args.kind !== 'tune') this.command(args, base, '<job>');
    const job = this.runner.submit({
      kind: args.kind,
      deployment: base.name,
      environment: args.environment,
      params: { ...args, base },
      requester: context.userId,
      threadId: context.threadId,
      executor: this.options.executor.kind,
    });
    return {
      status: 'ok',
      summary: `Job ${job.id} started: ${args.kind} ${base.name}. Its progress is posted in this thread; ask "status of job ${job.id}" or "cancel job ${job.id}".`,
      data: { job },
    };
  }

  /** What runs now: the deployment's active spec in prod, else staging, else dev. */
  private baseline(name: string): DeploymentSpec {
    for (const environment of ENVIRONMENTS) {
      const current = this.options.history.current(name, environment);
      if (current) return current.spec;
    }
    throw new AppError('deployment_unknown', `${name} is not deployed anywhere I know of, so there is nothing to optimise.`);
  }

  private candidateName(args: StartOptimizationArgs, base: DeploymentSpec): string {
    return args.kind === 'quantize' ? `${base.name}-${args.method ?? 'awq'}` : `${base.name}-distilled-${args.student}`;
  }

  private command(args: StartOptimizationArgs, base: DeploymentSpec, jobKey: string): JobCommand {
    if (args.kind === 'quantize') refuseNoSmaller(base, args.method ?? 'awq');
    if (args.kind === 'distill' && !args.student)
      throw new AppError('student_missing', 'Distillation needs a student model, e.g. "distill llama-3-70b into llama-3-8b".');
    const template = args.kind === 'quantize' ? this.options.commands.quantize : this.options.commands.distill;
    const setting = args.kind === 'quantize' ? 'QUANTIZE_COMMAND' : 'DISTILL_COMMAND';
    if (template.length === 0)
      throw new AppError(
        'job_command_missing',
        `${args.kind} jobs on Kubernetes need ${setting}: the command the job's image (JOB_IMAGE) runs, with {output}.`,
      );
    if (this.options.executor.kind === 'kubernetes' && !this.options.commands.image)
      throw new AppError('job_image_missing', `${args.kind} jobs on Kubernetes need JOB_IMAGE, the image that runs ${setting}.`);
    const values: Record<string, string> = {
      model: base.model,
      hf_repo: base.model,
      method: args.method ?? 'awq',
      student: args.student ?? '',
      output: join(this.options.artifactDir, jobKey),
    };
    return {
      command: template.map((part) => part.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole)),
      image: this.options.commands.image,
      gpus: base.gpuCount,
    };
  }

  private async compress({ job, signal, progress, log }: JobContext): Promise<JobOutcome> {
    const args = job.params as unknown as StartOptimizationArgs & { base: DeploymentSpec };
    const base = args.base;
    const command = this.command(args, base, `job-${job.id}`);
    progress(0.02, `running the ${args.kind} ${this.options.executor.kind} job`);
    const outcome = await this.options.executor.run(`job-${job.id}-${args.kind}`, command, {
      signal,
      jobId: job.id,
      onLog: (line) => {
        log(line);
        const percent = /(\d{1,3}(?:\.\d+)?)\s*%/.exec(line)?.[1];
        if (percent !== undefined) progress(0.02 + 0.48 * (Number(percent) / 100), `${args.kind}: ${line.slice(0, 80)}`);
      },
    });
    signal.throwIfAborted();
    if (!outcome.ok) throw new AppError('job_command_failed', `the ${args.kind} command failed: ${outcome.reason ?? 'unknown'}`);

    const candidate = this.candidateName(args, base);
    progress(0.5, `deploying the candidate ${candidate} to ${args.environment}`);
    const deploy = await this.tool(
      'deploy_model',
      {
        model: candidate,
        model_id: args.kind === 'quantize' ? base.model : args.student,
        version: base.version,
        environment: args.environment,
        // Same GPU type and (for a student) the same precision, so the comparison isolates what the job changed.
        quantization: args.kind === 'quantize' ? (args.method ?? 'awq') : base.dtype,
        gpu_type: base.gpu,
        max_num_seqs: base.maxNumSeqs,
        max_num_batched_tokens: base.maxNumBatchedTokens,
      },
      job,
    );
    if (deploy.status === 'proposal') {
      progress(0.55, `waiting for approval of proposal ${deploy.proposalId} (deploy ${candidate} to ${args.environment})`);
      await this.awaitProposal(deploy.proposalId, signal, candidate);
    } else if (deploy.status !== 'ok') {
      throw new AppError('candidate_not_deployed', `the candidate ${candidate} was not deployed: ${deploy.summary}`);
    }
    progress(0.7, `comparing ${candidate} with ${base.name}`);
    const [baselineEndpoint, candidateEndpoint] = await Promise.all([
      this.options.registry.endpoint(base.name),
      this.options.registry.endpoint(candidate),
    ]);
    if (!baselineEndpoint || !candidateEndpoint)
      throw new AppError('endpoint_unknown', `no endpoint for ${baselineEndpoint ? candidate : base.name}; cannot compare.`);
    const side = (
      spec: { name: string; model: string; dtype: string; gpu: string; gpuCount: number },
      endpoint: typeof baselineEndpoint,
    ): ComparedDeployment => ({
      deployment: spec.name,
      model: spec.model,
      dtype: spec.dtype,
      gpu: spec.gpu,
      gpuCount: spec.gpuCount,
      baseUrl: endpoint.baseUrl,
      servedModel: endpoint.model,
    });
    const deployed = this.options.history.current(candidate, args.environment)?.spec;
    const comparison = await compareDeployments(
      side(base, baselineEndpoint),
      side(
        deployed ?? { ...base, name: candidate, model: args.student ?? base.model, dtype: args.method ?? base.dtype },
        candidateEndpoint,
      ),
      { signal, onProgress: (text) => progress(0.8, text) },
    );
    const b = comparison.baseline;
    const c = comparison.candidate;
    const speedup = b.load.tokensPerSecond > 0 ? c.load.tokensPerSecond / b.load.tokensPerSecond : Number.NaN;
    const drop = (b.accuracy.correct - c.accuracy.correct) / b.accuracy.total;
    const verdict =
      drop > 0.05
        ? `Accuracy fell ${Math.round(drop * 100)} points, more than the 5 a candidate may lose: not recommended for prod.`
        : `${candidate} is ${speedup.toFixed(1)}× the baseline's throughput within 5 points of its accuracy: a candidate for prod ("deploy ${candidate} ${base.version} to prod").`;
    return {
      summary: `${candidate} against ${base.name}:\n${comparison.table}\n${verdict}`,
      data: { comparison, candidate, artifact: command.command },
    };
  }

  async tool(name: string, args: Record<string, unknown>, job: Job): Promise<ToolResult> {
    if (!this.callTool) throw new AppError('jobs_unavailable', 'The tool executor is not attached.');
    return this.callTool(name, args, { threadId: job.threadId, userId: job.requester, now: new Date() });
  }

  /** Resolves when the proposal ran successfully; throws when it was rejected, expired or failed. */
  private async awaitProposal(id: number, signal: AbortSignal, candidate: string): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      const proposal = this.options.proposals.get(id);
      if (proposal?.state === 'succeeded') return;
      if (!proposal || ['rejected', 'expired', 'failed', 'interrupted'].includes(proposal.state))
        throw new AppError(
          'candidate_not_deployed',
          `proposal ${id} to deploy ${candidate} was ${proposal?.state ?? 'lost'}, so the candidate was not compared`,
        );
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 1000));
    }
  }
}

/**
 * Quantising to a precision no smaller than what runs now would deploy a copy (or a larger
 * model): say so and what would help, instead of starting a job.
 */
function refuseNoSmaller(base: DeploymentSpec, method: string): void {
  const now = WEIGHT_BYTES[base.dtype as WeightDtype];
  const target = WEIGHT_BYTES[method as WeightDtype];
  if (now === undefined || target === undefined || target < now) return;
  const smaller = (['fp8', 'int8', 'awq', 'gptq'] as const).filter((m) => WEIGHT_BYTES[m] < now);
  throw new AppError(
    'already_quantized',
    `${base.name} already runs in ${base.dtype} (${Number((now * 8).toFixed(1))} bits per weight); quantising it to ${method} would not make it smaller${
      method === base.dtype ? ', only deploy a copy' : ''
    }. ${smaller.length > 0 ? `Smaller options: ${smaller.join(', ')}.` : 'It is already at the smallest precision offered.'}`,
  );
}
