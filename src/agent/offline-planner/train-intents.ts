import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { extractEntities } from './entities.ts';
import { formatIntentModel, type IntentModel, NO_TOOL } from './intent-classifier.ts';
import { type Features, featuresOf } from './intent-features.ts';
import { CONFIDENCE_FLOOR, planWith } from './plan-request.ts';
import { type PlannerCase, readPlannerCases, scorePlan } from './planner-corpus.ts';

/**
 * Trains the intent classifier from the planner corpus's DEV half (never its test half):
 * multinomial logistic regression with L2, full-batch gradient descent with a fixed number
 * of steps from zero weights, so the same corpus always gives the same file.
 *
 *   npx tsx src/agent/offline-planner/train-intents.ts
 */

export interface TrainingOptions {
  /** L2 penalty per example. */
  l2: number;
  /** Gradient steps. */
  steps: number;
  /** A feature must occur in this many training requests to get weights. */
  minDocuments: number;
  /** Weights smaller than this are dropped from the shipped file. */
  prune: number;
}

export const TRAINING: TrainingOptions = { l2: 1e-3, steps: 400, minDocuments: 2, prune: 0.05 };

/** The corpus files the shipped model is trained on: the dev half and the extra dev cases. */
export const TRAINING_FILES = ['dev.jsonl', 'dev-extra.jsonl'].map(
  (name) => new URL(`../../../test/fixtures/planner/${name}`, import.meta.url),
);

const WEIGHTS_PATH = fileURLToPath(new URL('./intent-weights.tsv', import.meta.url));

/**
 * A vague request ("roll it back", "部署") still shows its intent; the planner then asks for
 * the missing details. So a vague family teaches its tool, and only off-topic, chit-chat and
 * requests for actions no tool does teach "none".
 */
const VAGUE_INTENTS: Record<string, string> = {
  rollback: 'rollback_deployment',
  scale: 'scale_deployment',
  deploy: 'deploy_model',
  quantize: 'start_optimization',
  tune: 'start_optimization',
  faster: 'start_optimization',
  distill: 'start_optimization',
  incident: 'explain_incident',
  cancel: 'cancel_job',
  probe: 'probe_endpoint',
  logs: 'search_logs',
  forecast: 'forecast_metrics',
  estimate: 'estimate_resources',
  // "gpu utilization of qwen2-7b" asks to read a metric; the planner then says it has no such metric.
  metric: 'query_metrics',
};

/** The class a case teaches: its tool, the intent of a vague request (or of one for a metric the assistant lacks), or "none". */
export function labelOf(c: PlannerCase): string {
  if (c.tool) return c.tool;
  const vague = /^(?:vague|unknown)\.(\w+)/.exec(c.family ?? '');
  return (vague && VAGUE_INTENTS[vague[1] as string]) || NO_TOOL;
}

/** Features of a request as the planner computes them at run time. */
export function requestFeatures(request: string): Features {
  return featuresOf(request.normalize('NFKC').toLowerCase(), extractEntities(request));
}

// Cues, entity flags and forms are few and hand-made: they keep weights even when rare.
const ALWAYS_KEPT = /^(bias|cue:|e:|form:|len:)/;

/** Fits the model on labelled cases, deterministically. */
export function trainIntentModel(cases: readonly PlannerCase[], options: TrainingOptions = TRAINING): IntentModel {
  const classes = [...new Set(cases.map(labelOf))].sort();
  const examples = cases.map((c) => ({ features: requestFeatures(c.u), label: classes.indexOf(labelOf(c)) }));

  const documents = new Map<string, number>();
  for (const { features } of examples) for (const name of features.keys()) documents.set(name, (documents.get(name) ?? 0) + 1);
  const vocabulary = [...documents]
    .filter(([name, count]) => count >= options.minDocuments || ALWAYS_KEPT.test(name))
    .map(([name]) => name)
    .sort();
  const index = new Map(vocabulary.map((name, i) => [name, i]));
  // Flat typed arrays: the loops below run a few hundred million times.
  const rows = examples.map(({ features, label }) => {
    const kept = [...features].flatMap(([name, value]) => {
      const i = index.get(name);
      return i === undefined ? [] : [[i, value] as const];
    });
    return { label, at: Int32Array.from(kept, ([i]) => i), values: Float64Array.from(kept, ([, value]) => value) };
  });

  const K = classes.length;
  const D = vocabulary.length;
  const N = rows.length;
  const weights = new Float64Array(D * K);
  const velocity = new Float64Array(D * K);
  const gradient = new Float64Array(D * K);
  const scores = new Float64Array(K);
  const rate = 1.0;
  const momentum = 0.9;
  for (let step = 0; step < options.steps; step++) {
    gradient.fill(0);
    for (const { label, at, values } of rows) {
      scores.fill(0);
      for (let n = 0; n < at.length; n++) {
        const base = (at[n] as number) * K;
        const value = values[n] as number;
        for (let k = 0; k < K; k++) scores[k] = (scores[k] as number) + value * (weights[base + k] as number);
      }
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < K; k++) max = Math.max(max, scores[k] as number);
      let total = 0;
      for (let k = 0; k < K; k++) {
        scores[k] = Math.exp((scores[k] as number) - max);
        total += scores[k] as number;
      }
      for (let k = 0; k < K; k++) {
        const error = (scores[k] as number) / total - (k === label ? 1 : 0);
        if (error === 0) continue;
        for (let n = 0; n < at.length; n++) {
          const cell = (at[n] as number) * K + k;
          gradient[cell] = (gradient[cell] as number) + (error * (values[n] as number)) / N;
        }
      }
    }
    // Heavy-ball momentum on the mean loss plus the L2 penalty.
    for (let j = 0; j < D * K; j++) {
      const g = (gradient[j] as number) + options.l2 * (weights[j] as number);
      velocity[j] = momentum * (velocity[j] as number) - rate * g;
      weights[j] = (weights[j] as number) + (velocity[j] as number);
    }
  }

  const model: IntentModel = { classes, weights: new Map() };
  vocabulary.forEach((name, i) => {
    const row: Array<[number, number]> = [];
    for (let k = 0; k < K; k++) {
      const weight = Math.round((weights[i * K + k] as number) * 1000) / 1000;
      if (Math.abs(weight) >= options.prune) row.push([k, weight]);
    }
    if (row.length > 0) model.weights.set(name, row);
  });
  return model;
}

/** The cases the shipped model learns from, in file order. */
export function trainingCases(): PlannerCase[] {
  return TRAINING_FILES.filter((url) => existsSync(url)).flatMap((url) => readPlannerCases(url));
}

/** The weights file's full text for the given cases; the header carries a hash of the inputs. */
export function weightsFileText(cases: readonly PlannerCase[] = trainingCases()): string {
  const inputs = createHash('sha256')
    .update(JSON.stringify(cases.map((c) => [c.u, labelOf(c)])))
    .update(JSON.stringify(TRAINING))
    .digest('hex')
    .slice(0, 16);
  const comment = [
    'Intent classifier weights, generated: do not edit.',
    'Regenerate with: npx tsx src/agent/offline-planner/train-intents.ts',
    `Trained on ${cases.length} dev cases of test/fixtures/planner (dev.jsonl, dev-extra.jsonl); inputs ${inputs}.`,
  ].join('\n');
  return formatIntentModel(trainIntentModel(cases), comment);
}

/**
 * k-fold cross-validation on the dev cases: each fold is planned by a model trained on the
 * others, so parameters are chosen on dev without ever reading the test half.
 */
export function crossValidate(cases: readonly PlannerCase[], options: TrainingOptions, floor: number, folds = 5) {
  let tool = 0;
  let args = 0;
  const misses: Array<{ case: PlannerCase; plan: string }> = [];
  for (let fold = 0; fold < folds; fold++) {
    const model = trainIntentModel(
      cases.filter((_, i) => i % folds !== fold),
      options,
    );
    cases.forEach((c, i) => {
      if (i % folds !== fold) return;
      const plan = planWith(model, c.u, [], undefined, floor);
      const score = scorePlan(plan, c);
      if (score.tool) tool++;
      if (score.args) args++;
      if (!score.args)
        misses.push({ case: c, plan: JSON.stringify(plan.kind === 'calls' ? plan.calls : plan.question.slice(0, 60)) });
    });
  }
  return { n: cases.length, tool: tool / cases.length, args: args / cases.length, misses };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[2] === '--cv') {
  const cases = trainingCases();
  const result = crossValidate(cases, TRAINING, CONFIDENCE_FLOOR);
  for (const miss of result.misses) console.log(`${miss.case.tool ?? 'null'}\t${miss.case.u}\t${miss.plan}`);
  console.log(`5-fold CV on ${result.n} dev cases: right tool ${result.tool.toFixed(3)}, args correct ${result.args.toFixed(3)}`);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cases = trainingCases();
  if (cases.length === 0) throw new Error('No training cases: test/fixtures/planner/dev.jsonl is missing.');
  writeFileSync(WEIGHTS_PATH, weightsFileText(cases));
  console.log(`wrote ${WEIGHTS_PATH} from ${cases.length} cases`);
}
