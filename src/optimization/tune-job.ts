import type { StartOptimizationArgs } from '../../tools/start-optimization.ts';
import { findGpu } from '../analysis/gpu-catalogue.ts';
import { findModel } from '../analysis/model-catalogue.ts';
import { createOptimizer, parseSearchSpace, type SearchSpace } from '../analysis/tuning/index.ts';
import type { Config } from '../analysis/tuning/search-space.ts';
import { saveLineChart } from '../charts/line-chart.ts';
import type { DeploymentBackend, DeploymentSpec } from '../deployments/deployment-spec.ts';
import { describeError } from '../errors.ts';
import { type LoadTestReport, runLoadTest } from '../integrations/load-tester.ts';
import type { JobContext, JobOutcome } from '../jobs/job-runner.ts';
import type { ToolResult } from '../tools/tool-definition.ts';

export type TuneArgs = StartOptimizationArgs & { base: DeploymentSpec };

/** The load every trial gets: a closed loop that keeps the batch full, so the engine's capacity shows. */
export const TRIAL_WORKLOAD = { requests: 160, concurrency: 64, promptTokens: 256, maxTokens: 64, ignoreEos: true, stream: true };
const DEFAULT_SLO = { ttftMs: 2000, tpotMs: 100 };

/** The knobs tuned, limited to tensor-parallel sizes that divide the model's attention heads. */
export function tuningSpace(base: DeploymentSpec): SearchSpace {
  const heads = findModel(base.model)?.attentionHeads ?? 32;
  return parseSearchSpace({
    max_num_seqs: [16, 32, 64, 128, 256],
    max_num_batched_tokens: [2048, 4096, 8192, 16384],
    tensor_parallel_size: [1, 2, 4].filter((tp) => heads % tp === 0),
    quantization: ['bf16', 'fp8', 'awq'],
  });
}

export interface TrialRow {
  trial: number;
  config: Config;
  value: number | null;
  tokensPerSecond: number | null;
  p95TtftMs: number | null;
  p95TpotMs: number | null;
  usdPerMillionTokens: number | null;
  feasible: boolean;
  note: string;
  at: number;
}

/** One trial = one deployment of the candidate config (recorded as job `jobId`'s trial), measured by the load tester, then removed. */
export async function measureOnBackend(
  backend: DeploymentBackend,
  spec: DeploymentSpec,
  signal: AbortSignal,
  jobId: number,
): Promise<LoadTestReport> {
  const rollout = await backend.deploy(spec, undefined, { trialOf: jobId });
  if (!rollout.ok || !rollout.urls[0]) throw new Error(rollout.summary);
  return runLoadTest({ ...TRIAL_WORKLOAD, baseUrl: `${rollout.urls[0]}/v1`, model: spec.name, signal, timeoutMs: 120_000 });
}

/**
 * Serving-config tuning: an ask/tell optimiser (Bayesian optimisation, a genetic algorithm or
 * random search) proposes configs, each is deployed under `<name>-tune` and load-tested, and
 * the value is the objective (throughput, or minus the cost per 1M tokens, or minus p95 latency)
 * when the SLOs hold, else nothing. The current config is measured first as the baseline. The
 * result is the best config, the trade-off table, a chart of the trials, and a proposal to apply
 * the best config (which people approve like any deploy).
 */
export async function runTuneJob(
  context: JobContext,
  deps: {
    backend: DeploymentBackend;
    chartDir: string;
    callTool: (name: string, args: Record<string, unknown>) => Promise<ToolResult>;
    measure?: (spec: DeploymentSpec, signal: AbortSignal) => Promise<LoadTestReport>;
  },
): Promise<JobOutcome> {
  const { job, signal, progress, log } = context;
  const args = job.params as unknown as TuneArgs;
  const base = args.base;
  const space = tuningSpace(base);
  const budget = Math.min(args.trials ?? 20, space.size);
  const optimizer = createOptimizer(args.optimizer ?? 'bayesian', space, { seed: job.id });
  const objective = args.objective ?? 'throughput';
  const slo = { ttftMs: args.slo_p95_ttft_ms ?? DEFAULT_SLO.ttftMs, tpotMs: args.slo_p95_tpot_ms ?? DEFAULT_SLO.tpotMs };
  const measure = deps.measure ?? ((spec: DeploymentSpec, s: AbortSignal) => measureOnBackend(deps.backend, spec, s, job.id));
  const trialSpec = (config: Config, label: string): DeploymentSpec => ({
    ...base,
    name: `${base.name}-tune`,
    environment: job.environment as DeploymentSpec['environment'],
    version: `job${job.id}-${label}`,
    replicas: 1,
    gpuCount: Number(config.tensor_parallel_size),
    dtype: config.quantization as DeploymentSpec['dtype'],
    maxNumSeqs: Number(config.max_num_seqs),
    maxNumBatchedTokens: Number(config.max_num_batched_tokens),
  });
  const rows: TrialRow[] = [];
  const evaluate = async (trial: number, config: Config): Promise<TrialRow> => {
    const spec = trialSpec(config, trial === 0 ? 'baseline' : `t${trial}`);
    let report: LoadTestReport | undefined;
    let note = '';
    try {
      report = await measure(spec, signal);
    } catch (error) {
      signal.throwIfAborted();
      note = `did not run: ${describeError(error).slice(0, 160)}`;
    }
    const row = score(trial, config, report, spec, slo, objective, note);
    log(`trial ${trial === 0 ? 'baseline' : trial}: ${describeConfig(config)} → ${describeRow(row)}`);
    return row;
  };

  const current: Config = {
    max_num_seqs: base.maxNumSeqs,
    max_num_batched_tokens: base.maxNumBatchedTokens,
    tensor_parallel_size: base.gpuCount,
    quantization: base.dtype,
  };
  progress(0, `measuring the current config (${describeConfig(current)})`);
  let baseline: TrialRow | undefined;
  try {
    baseline = await evaluate(0, current);
    for (let trial = 1; trial <= budget; trial++) {
      signal.throwIfAborted();
      const config = optimizer.suggest();
      if (!config) break;
      const row = await evaluate(trial, config);
      optimizer.observe(config, row.value);
      rows.push(row);
      const best = optimizer.best();
      progress(
        trial / budget,
        `trial ${trial}/${budget}: ${describeConfig(config)} → ${describeRow(row)}; best ${best ? formatObjective(best.value, objective) : 'none yet'}`,
      );
    }
  } finally {
    // The trial deployment goes whatever happened; a failure to remove it is logged, not hidden.
    await deps.backend
      .scale(trialSpec(current, 'teardown'), 0)
      .catch((error: unknown) => log(`could not remove ${base.name}-tune: ${describeError(error)}`));
  }

  const best = optimizer.best();
  const chart = await saveLineChart(
    {
      title: `Tuning ${base.name} (job ${job.id}, ${args.optimizer ?? 'bayesian'}): ${objective} per trial`,
      yLabel: objectiveLabel(objective),
      series: [
        { name: 'trial', points: rows.map((r) => ({ t: r.at, v: display(r.value, objective) })) },
        { name: 'best so far', points: bestSoFar(rows).map((r) => ({ t: r.at, v: display(r.value, objective) })) },
      ],
      legendTitle: 'series',
    },
    deps.chartDir,
    `job-${job.id}-tuning-trials`,
  );
  const table = renderTable(baseline ? [baseline, ...rows] : rows, objective);
  if (!best) {
    return {
      summary: `No config of the ${rows.length} tried met the SLOs (p95 TTFT ≤ ${slo.ttftMs} ms, p95 TPOT ≤ ${slo.tpotMs} ms).\n${table}\nChart: ${chart}`,
      data: { rows, baseline, chart },
    };
  }
  const bestRow = rows.find((r) => space.key(r.config) === space.key(best.config));
  const proposal = await deps.callTool('deploy_model', {
    model: base.name,
    version: `${base.version}-tuned`,
    environment: base.environment,
    quantization: String(best.config.quantization),
    gpu_count: Number(best.config.tensor_parallel_size),
    max_num_seqs: Number(best.config.max_num_seqs),
    max_num_batched_tokens: Number(best.config.max_num_batched_tokens),
  });
  const gain =
    baseline?.value !== null && baseline?.value !== undefined && baseline.value !== 0
      ? ` (${changeAgainst(baseline.value, best.value, objective)} against the current config)`
      : '';
  return {
    summary: [
      `Best of ${rows.length} trials: ${describeConfig(best.config)} → ${bestRow ? describeRow(bestRow) : formatObjective(best.value, objective)}${gain}.`,
      table,
      `Chart: ${chart}`,
      proposal.status === 'proposal' ? `To apply it: ${proposal.summary}` : `Applying it: ${proposal.summary}`,
    ].join('\n'),
    data: { best, rows, baseline, chart, proposal },
  };
}

function score(
  trial: number,
  config: Config,
  report: LoadTestReport | undefined,
  spec: DeploymentSpec,
  slo: { ttftMs: number; tpotMs: number },
  objective: 'throughput' | 'cost' | 'latency',
  note: string,
): TrialRow {
  const ttft = report?.ttft ? report.ttft.p95 * 1000 : null;
  const tpot = report?.tpot ? report.tpot.p95 * 1000 : null;
  const tps = report ? report.tokensPerSecond : null;
  const hourly = (findGpu(spec.gpu)?.hourlyUsd ?? 2) * spec.gpuCount;
  const cost = tps && tps > 0 ? (hourly / (tps * 3600)) * 1e6 : null;
  const problems: string[] = [];
  if (!report) problems.push(note || 'no measurement');
  else {
    if (report.failed > report.requests * 0.01) problems.push(`${report.failed} of ${report.requests} requests failed`);
    if (ttft === null || ttft > slo.ttftMs)
      problems.push(`p95 TTFT ${ttft === null ? 'n/a' : Math.round(ttft)} ms > ${slo.ttftMs} ms`);
    if (tpot === null || tpot > slo.tpotMs)
      problems.push(`p95 TPOT ${tpot === null ? 'n/a' : Math.round(tpot)} ms > ${slo.tpotMs} ms`);
  }
  const feasible = problems.length === 0;
  const raw =
    objective === 'throughput'
      ? tps
      : objective === 'cost'
        ? cost === null
          ? null
          : -cost
        : report?.e2e
          ? -report.e2e.p95
          : null;
  return {
    trial,
    config,
    value: feasible ? raw : null,
    tokensPerSecond: tps,
    p95TtftMs: ttft,
    p95TpotMs: tpot,
    usdPerMillionTokens: cost,
    feasible,
    note: problems.join('; '),
    at: Math.floor(Date.now() / 1000),
  };
}

function describeConfig(config: Config): string {
  return `max_num_seqs=${config.max_num_seqs} max_num_batched_tokens=${config.max_num_batched_tokens} tp=${config.tensor_parallel_size} ${config.quantization}`;
}

function describeRow(row: TrialRow): string {
  if (row.tokensPerSecond === null) return row.note;
  const cost = row.usdPerMillionTokens === null ? '' : `, $${row.usdPerMillionTokens.toFixed(2)}/1M tokens`;
  return `${Math.round(row.tokensPerSecond)} tokens/s${cost}${row.feasible ? '' : ` (breaks SLO: ${row.note})`}`;
}

function objectiveLabel(objective: string): string {
  return objective === 'throughput' ? 'tokens/s' : objective === 'cost' ? 'USD per 1M tokens' : 'p95 end-to-end (s)';
}

/** The objective as people read it: cost and latency are minimised, so shown positive. */
function display(value: number | null, objective: string): number {
  if (value === null) return Number.NaN;
  return objective === 'throughput' ? value : -value;
}

function formatObjective(value: number, objective: string): string {
  return objective === 'throughput'
    ? `${Math.round(value)} tokens/s`
    : objective === 'cost'
      ? `$${(-value).toFixed(2)}/1M tokens`
      : `${(-value).toFixed(2)} s p95`;
}

function changeAgainst(baseline: number, best: number, objective: string): string {
  const ratio = objective === 'throughput' ? best / baseline : baseline / best;
  return `${ratio.toFixed(2)}× ${objective === 'throughput' ? 'the throughput' : objective === 'cost' ? 'cheaper' : 'faster'}`;
}

function bestSoFar(rows: readonly TrialRow[]): TrialRow[] {
  const out: TrialRow[] = [];
  let best: TrialRow | undefined;
  for (const row of rows) {
    if (row.value !== null && (best?.value === null || best === undefined || row.value > (best.value as number))) best = row;
    if (best) out.push({ ...best, at: row.at });
  }
  return out;
}

/** The trade-off table: the baseline, then every trial, best first. */
export function renderTable(rows: readonly TrialRow[], objective: string): string {
  const sorted = [...rows].sort(
    (a, b) =>
      (a.trial === 0 ? -1 : b.trial === 0 ? 1 : 0) ||
      (b.value ?? Number.NEGATIVE_INFINITY) - (a.value ?? Number.NEGATIVE_INFINITY),
  );
  const header = [
    'trial',
    'max_num_seqs',
    'batched_tokens',
    'tp',
    'quant',
    'tokens/s',
    'p95 TTFT',
    'p95 TPOT',
    '$/1M tok',
    'SLO',
  ];
  const body = sorted.map((r) => [
    r.trial === 0 ? 'now' : String(r.trial),
    String(r.config.max_num_seqs),
    String(r.config.max_num_batched_tokens),
    String(r.config.tensor_parallel_size),
    String(r.config.quantization),
    r.tokensPerSecond === null ? 'n/a' : String(Math.round(r.tokensPerSecond)),
    r.p95TtftMs === null ? 'n/a' : `${Math.round(r.p95TtftMs)} ms`,
    r.p95TpotMs === null ? 'n/a' : `${Math.round(r.p95TpotMs)} ms`,
    r.usdPerMillionTokens === null ? 'n/a' : r.usdPerMillionTokens.toFixed(2),
    r.feasible ? 'ok' : 'broken',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [`Trials by ${objective}:`, line(header), ...body.map(line)].join('\n');
}
