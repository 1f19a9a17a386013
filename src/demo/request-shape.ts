import { normalCdf } from '../analysis/math/normal.ts';
import type { Random } from '../random/seeded-random.ts';
import { naturalLengthOf, promptTokensOf } from './simulated-server.ts';
import { drawPromptWords, TRAFFIC_REQUESTS } from './traffic-generator.ts';

/** A discrete law on 0..values.length-1 with its moments. */
export interface DiscreteLaw {
  /** probability[i] = P(X = i). */
  probability: Float64Array;
  mean: number;
  variance: number;
}

/**
 * The demo traffic's requests as the live server sees them: prompt tokens (the generator's
 * log-normal words, counted by the server) and answer lengths (the server's natural length,
 * cut at max_tokens). Laws are exact for the rounding and clamps the live code applies;
 * draws replay the live code's own draws.
 */
export interface RequestShape {
  prompt: DiscreteLaw;
  output: DiscreteLaw;
  maxTokens: number;
  /** Share of answers cut at max_tokens (finished_reason "length"). */
  lengthShare: number;
  drawPrompt(random: Random): number;
  drawOutput(random: Random): number;
}

let cached: RequestShape | undefined;

/** The shape of the traffic generator's requests. */
export function trafficRequestShape(): RequestShape {
  if (cached) return cached;
  const { mean, sigma, min } = TRAFFIC_REQUESTS.promptWords;
  const words = roundedLogNormal(mean, sigma, min, Number.POSITIVE_INFINITY);
  const promptProbability = new Float64Array(promptTokensOf(words.length - 1) + 1);
  words.forEach((p, w) => {
    if (p > 0) promptProbability[promptTokensOf(w)] = (promptProbability[promptTokensOf(w)] as number) + p;
  });
  const maxTokens = TRAFFIC_REQUESTS.maxTokens;
  const natural = naturalLengthOf(maxTokens);
  const output = roundedLogNormal(natural.mean, natural.sigma, 1, maxTokens);
  cached = {
    prompt: lawOf(promptProbability),
    output: lawOf(output),
    maxTokens,
    lengthShare: output[maxTokens] as number,
    drawPrompt: (random) => promptTokensOf(drawPromptWords(random)),
    drawOutput: (random) => Math.min(maxTokens, Math.max(1, Math.round(random.logNormal(natural.mean, natural.sigma)))),
  };
  return cached;
}

/** P(max(low, min(high, round(X))) = i) for X log-normal with the given mean and shape, up to where the tail is negligible. */
function roundedLogNormal(mean: number, sigma: number, low: number, high: number): Float64Array {
  const mu = Math.log(mean) - (sigma * sigma) / 2;
  const cdf = (x: number) => (x <= 0 ? 0 : normalCdf((Math.log(x) - mu) / sigma));
  const top = Math.min(high, Math.ceil(Math.exp(mu + 8 * sigma)));
  const probability = new Float64Array(top + 1);
  for (let i = low; i <= top; i++) {
    const below = i === low ? 0 : cdf(i - 0.5);
    const upTo = i === top ? 1 : cdf(i + 0.5);
    probability[i] = upTo - below;
  }
  return probability;
}

function lawOf(probability: Float64Array): DiscreteLaw {
  let mean = 0;
  let square = 0;
  probability.forEach((p, i) => {
    mean += p * i;
    square += p * i * i;
  });
  return { probability, mean, variance: square - mean * mean };
}
