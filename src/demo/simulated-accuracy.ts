import { findModel } from '../analysis/model-catalogue.ts';
import { EVAL_SET } from '../optimization/eval-set.ts';
import { deriveSeed } from '../random/seeded-random.ts';

/**
 * How the demo's simulated models answer the accuracy check: a bigger model knows more, and
 * quantisation costs it points (4 × its loss of quality score: awq's 0.975 costs 10 points).
 * Whether a question is answered right is fixed per question, so a weaker model gets a subset
 * of what a stronger one gets right, and runs repeat exactly.
 */
export function simulatedAccuracy(model: string, qualityScore: number): number {
  const parameters = findModel(model)?.parameters ?? 7e9;
  const base = parameters >= 60e9 ? 0.95 : parameters >= 7e9 ? 0.9 : 0.75;
  return Math.max(0, Math.min(1, base - 4 * (1 - qualityScore)));
}

/** The reply to a question of the accuracy check, or undefined for any other prompt. */
export function simulatedAnswer(prompt: string, model: string, qualityScore: number): string | undefined {
  const item = EVAL_SET.find((question) => prompt.includes(question.prompt));
  if (!item) return undefined;
  const difficulty = deriveSeed(7, item.prompt) / 2 ** 32;
  return difficulty < simulatedAccuracy(model, qualityScore) ? item.answer : 'I am not sure.';
}
