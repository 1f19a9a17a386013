import { readFileSync } from 'node:fs';
import type { Features } from './intent-features.ts';

/** The class for requests no tool serves (off-topic, vague, unsupported actions). */
export const NO_TOOL = 'none';

/** Multinomial logistic regression weights: one row of per-class weights for each feature. */
export interface IntentModel {
  classes: string[];
  weights: Map<string, Array<[classIndex: number, weight: number]>>;
}

export interface IntentScore {
  intent: string;
  probability: number;
}

/** Reads the weights file written by train-intents.ts ("classes" line, then "feature<TAB>class:weight …"). */
export function parseIntentModel(text: string): IntentModel {
  const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  const header = lines[0]?.split('\t');
  if (header?.[0] !== 'classes') throw new Error('intent weights: the first line must be "classes<TAB>…"');
  const classes = header.slice(1);
  const weights = new Map<string, Array<[number, number]>>();
  for (const line of lines.slice(1)) {
    const tab = line.lastIndexOf('\t');
    const row = line
      .slice(tab + 1)
      .split(' ')
      .map((pair) => {
        const [index, weight] = pair.split(':');
        return [Number(index), Number(weight)] as [number, number];
      });
    weights.set(line.slice(0, tab), row);
  }
  return { classes, weights };
}

/** Serialises weights in the format parseIntentModel reads, features in sorted order so the file is reproducible. */
export function formatIntentModel(model: IntentModel, comment: string): string {
  const rows = [...model.weights]
    .filter(([, row]) => row.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([feature, row]) => `${feature}\t${row.map(([index, weight]) => `${index}:${weight}`).join(' ')}`);
  return `${comment
    .split('\n')
    .map((line) => `# ${line}`)
    .join('\n')}\nclasses\t${model.classes.join('\t')}\n${rows.join('\n')}\n`;
}

/** Class probabilities of one request, most likely first. */
export function classify(model: IntentModel, features: Features): IntentScore[] {
  const scores = new Array<number>(model.classes.length).fill(0);
  for (const [feature, value] of features) {
    const row = model.weights.get(feature);
    if (!row) continue;
    for (const [index, weight] of row) scores[index] = (scores[index] as number) + value * weight;
  }
  const max = Math.max(...scores);
  const exps = scores.map((score) => Math.exp(score - max));
  const total = exps.reduce((sum, x) => sum + x, 0);
  return model.classes
    .map((intent, i) => ({ intent, probability: (exps[i] as number) / total }))
    .sort((a, b) => b.probability - a.probability || a.intent.localeCompare(b.intent));
}

const WEIGHTS_URL = new URL('./intent-weights.tsv', import.meta.url);
let loaded: IntentModel | undefined;

/** The shipped model, read once on first use. */
export function shippedIntentModel(): IntentModel {
  loaded ??= parseIntentModel(readFileSync(WEIGHTS_URL, 'utf8'));
  return loaded;
}
