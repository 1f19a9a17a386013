import type { Entities } from './entities.ts';
import { cuesOf } from './intent-cues.ts';
import { isAdvisoryQuestion, isPoliteImperative, isQuestion, unsupportedAction } from './request-form.ts';
import { unknownMetricPhrase } from './unknown-metric.ts';

/** Weight of a cue feature; 1 scored best in cross-validation on dev (2 and 3 were worse). */
export const CUE_WEIGHT = 1;

/** A sparse feature vector: feature name to value. */
export type Features = Map<string, number>;

/**
 * The request with what varies between requests of one intent replaced by stand-ins:
 * deployment names by "§", digits by "0". The classifier then learns phrasings, not the
 * names and numbers that happened to be in its training requests.
 */
export function maskedText(text: string, entities: Entities): string {
  let masked = text;
  for (const name of [...entities.deployments].sort((a, b) => b.length - a.length)) masked = masked.split(name).join(' § ');
  return masked.replace(/\d+/g, '0').replace(/\s+/g, ' ').trim();
}

function addNormalised(features: Features, prefix: string, counts: Map<string, number>): void {
  let norm = 0;
  for (const count of counts.values()) norm += count * count;
  norm = Math.sqrt(norm);
  if (norm === 0) return;
  for (const [key, count] of counts) features.set(`${prefix}${key}`, count / norm);
}

const increment = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/** Character n-grams (1–4, across word boundaries, so Chinese needs no segmenter) of the masked text. */
function charGrams(masked: string): Map<string, number> {
  const counts = new Map<string, number>();
  const padded = ` ${masked} `;
  const chars = [...padded];
  for (let n = 1; n <= 4; n++) {
    for (let i = 0; i + n <= chars.length; i++) {
      const gram = chars.slice(i, i + n).join('');
      if (gram.trim() === '') continue;
      increment(counts, gram);
    }
  }
  return counts;
}

/** Latin word unigrams and bigrams. */
function wordGrams(masked: string): Map<string, number> {
  const counts = new Map<string, number>();
  const words = masked.match(/[a-z§0]+(?:'[a-z]+)?/g) ?? [];
  words.forEach((word, i) => {
    increment(counts, word);
    if (i > 0) increment(counts, `${words[i - 1]} ${word}`);
  });
  return counts;
}

/** Which entities are present: the shape of a request ("a job number", "a version and an environment"). */
function entityFlags(entities: Entities): string[] {
  const flags: string[] = [];
  if (entities.deployments.length > 0) flags.push('deployment');
  if (entities.deployments.length > 1) flags.push('two deployments');
  for (const key of [
    'environment',
    'range',
    'horizon',
    'metric',
    'quantile',
    'version',
    'replicas',
    'gpuType',
    'gpuCount',
    'dtype',
    'contextLength',
    'concurrency',
    'requests',
    'jobId',
    'quoted',
    'logLevel',
    'sloTtftMs',
    'sloTpotMs',
    'trials',
  ] as const) {
    if (entities[key] !== undefined) flags.push(key);
  }
  if (entities.version && entities.environment) flags.push('version+environment');
  return flags;
}

// Politeness and filler before the verb that carries the request.
const LEAD_FILLER =
  /^(?:(?:hey|hi|ok|okay|so|now|then|just|quickly|please|pls|plz|kindly|can you|could you|would you|will you|can we|could we|i want you to|i need you to|i'd like you to|i want to|i need to|let's|go ahead and|§|,|:|-)\s*)+/;

/** The first word of the request after politeness ("please roll back …" → "roll"): imperatives lead with their verb. */
export function leadWord(masked: string): string | undefined {
  const rest = masked.replace(LEAD_FILLER, '');
  const latin = /^[a-z][a-z'-]*/.exec(rest);
  if (latin) return latin[0];
  const chinese = /^(?:请|帮我|麻烦|给我|帮忙)?\s*([\u4e00-\u9fff]{1,2})/.exec(rest);
  return chinese?.[1];
}

/** Every feature of one request: character and word n-grams, cues, entity flags and its grammatical form. */
export function featuresOf(text: string, entities: Entities): Features {
  const masked = maskedText(text, entities);
  const features: Features = new Map([['bias', 1]]);
  addNormalised(features, 'c:', charGrams(masked));
  addNormalised(features, 'w:', wordGrams(masked));
  for (const cue of cuesOf(text)) features.set(`cue:${cue}`, CUE_WEIGHT);
  const lead = leadWord(masked);
  if (lead) features.set(`lead:${lead}`, 1);
  for (const flag of entityFlags(entities)) features.set(`e:${flag}`, 1);
  if (isQuestion(text)) features.set('form:question', 1);
  if (isAdvisoryQuestion(text)) features.set('form:advisory', 1);
  if (isPoliteImperative(text)) features.set('form:polite', 1);
  if (unsupportedAction(text)) features.set('form:unsupported', 1);
  // A metric the servers do not report ("gpu utilization") is a metric question by its shape, whatever words it uses.
  if (unknownMetricPhrase(text)) features.set('form:unknown-metric', 1);
  const length = [...masked].length;
  features.set(length <= 12 ? 'len:short' : length <= 40 ? 'len:medium' : 'len:long', 1);
  return features;
}
