import { findModel } from '../analysis/model-catalogue.ts';
import { GiB, WEIGHT_BYTES, type WeightDtype } from '../analysis/resource-sizing.ts';
import { type LoadTestReport, runLoadTest } from '../integrations/load-tester.ts';
import { EVAL_SET, isCorrect } from './eval-set.ts';

/** One side of a comparison: a deployment that serves, and what it is. */
export interface ComparedDeployment {
  deployment: string;
  model: string;
  dtype: string;
  gpu: string;
  gpuCount: number;
  /** OpenAI-compatible base URL (…/v1) and the model name it answers to. */
  baseUrl: string;
  servedModel: string;
}

export interface SideReport {
  side: ComparedDeployment;
  weightsGiB: number | null;
  load: LoadTestReport;
  accuracy: { correct: number; total: number };
}

export interface Comparison {
  baseline: SideReport;
  candidate: SideReport;
  /** Size, speed and quality side by side, as text for the thread. */
  table: string;
}

/** The same load test for both; a closed loop that fills a batch, so speed is what the engine can do. */
const WORKLOAD = { requests: 96, concurrency: 16, promptTokens: 256, maxTokens: 64, ignoreEos: true, stream: true } as const;

/**
 * Baseline against candidate with the same measurements: weights from the model catalogue, a
 * load test (tokens/s, p95 TTFT and TPOT, errors) and the accuracy check (EVAL_SET, greedy,
 * scored by containing the expected answer). The two are measured one after the other, never
 * at once, so they do not compete for the machine.
 */
export async function compareDeployments(
  baseline: ComparedDeployment,
  candidate: ComparedDeployment,
  options: { signal: AbortSignal; onProgress?: (text: string) => void },
): Promise<Comparison> {
  const measure = async (side: ComparedDeployment, label: string): Promise<SideReport> => {
    options.onProgress?.(`load test of ${label} (${side.deployment})`);
    const load = await runLoadTest({ baseUrl: side.baseUrl, model: side.servedModel, signal: options.signal, ...WORKLOAD });
    options.onProgress?.(`accuracy check of ${label} (${side.deployment}, ${EVAL_SET.length} questions)`);
    const accuracy = await accuracyOf(side, options.signal);
    return { side, weightsGiB: weightsGiB(side.model, side.dtype), load, accuracy };
  };
  const base = await measure(baseline, 'the baseline');
  const cand = await measure(candidate, 'the candidate');
  return { baseline: base, candidate: cand, table: renderTable(base, cand) };
}

async function accuracyOf(side: ComparedDeployment, signal: AbortSignal): Promise<{ correct: number; total: number }> {
  let correct = 0;
  for (const item of EVAL_SET) {
    signal.throwIfAborted();
    const response = await fetch(`${side.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: side.servedModel,
        messages: [{ role: 'user', content: item.prompt }],
        max_tokens: 16,
        temperature: 0,
      }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(60_000)]),
    });
    if (!response.ok) continue; // an error is a wrong answer, not a failed check
    const body = (await response.json()) as { choices?: Array<{ message?: { content?: string } }> };
    if (isCorrect(body.choices?.[0]?.message?.content ?? '', item.answer)) correct++;
  }
  return { correct, total: EVAL_SET.length };
}

function weightsGiB(model: string, dtype: string): number | null {
  const parameters = findModel(model)?.parameters;
  const bytes = WEIGHT_BYTES[dtype as WeightDtype];
  return parameters && bytes ? (parameters * bytes) / GiB : null;
}

function renderTable(baseline: SideReport, candidate: SideReport): string {
  const ms = (s: number | undefined) => (s === undefined ? 'n/a' : `${Math.round(s * 1000)} ms`);
  const change = (b: number | null | undefined, c: number | null | undefined, lowerIsBetter = false) => {
    if (!b || c === null || c === undefined) return '';
    const pct = Math.round(((c - b) / b) * 100);
    if (pct === 0) return ' (same)';
    return ` (${pct > 0 ? '+' : ''}${pct}%, ${(pct < 0) === lowerIsBetter ? 'better' : 'worse'})`;
  };
  const acc = (r: SideReport) =>
    `${Math.round((r.accuracy.correct / r.accuracy.total) * 100)}% (${r.accuracy.correct}/${r.accuracy.total})`;
  const rows: Array<[string, string, string]> = [
    ['', `${baseline.side.deployment} (${baseline.side.dtype})`, `${candidate.side.deployment} (${candidate.side.dtype})`],
    [
      'weights',
      baseline.weightsGiB === null ? 'n/a' : `${baseline.weightsGiB.toFixed(1)} GiB`,
      `${candidate.weightsGiB === null ? 'n/a' : `${candidate.weightsGiB.toFixed(1)} GiB`}${change(baseline.weightsGiB, candidate.weightsGiB, true)}`,
    ],
    ['GPUs', `${baseline.side.gpuCount} × ${baseline.side.gpu}`, `${candidate.side.gpuCount} × ${candidate.side.gpu}`],
    [
      'throughput',
      `${Math.round(baseline.load.tokensPerSecond)} tokens/s`,
      `${Math.round(candidate.load.tokensPerSecond)} tokens/s${change(baseline.load.tokensPerSecond, candidate.load.tokensPerSecond)}`,
    ],
    [
      'p95 TTFT',
      ms(baseline.load.ttft?.p95),
      `${ms(candidate.load.ttft?.p95)}${change(baseline.load.ttft?.p95, candidate.load.ttft?.p95, true)}`,
    ],
    [
      'p95 TPOT',
      ms(baseline.load.tpot?.p95),
      `${ms(candidate.load.tpot?.p95)}${change(baseline.load.tpot?.p95, candidate.load.tpot?.p95, true)}`,
    ],
    ['errors', String(baseline.load.failed), String(candidate.load.failed)],
    ['accuracy', acc(baseline), acc(candidate)],
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i as 0 | 1 | 2].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
