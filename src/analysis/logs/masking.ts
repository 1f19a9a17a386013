import { maskTokens, PARAM, type TokenizerOptions, tokenizeMessage } from './tokens.ts';

/**
 * Caller-supplied masks (`--mask REGEX`, the miner's `masks`/`extraMasks`): regexes whose matches
 * become the parameter token `<*>` before the message is tokenised. The built-in knowledge of what
 * is variable lives in the tokeniser's token classes (tokens.ts), not in regexes.
 */
export { PARAM };

export interface MaskRule {
  name: string;
  pattern: RegExp;
  /** Replacement; defaults to `<*>`. May use `$1` etc. */
  replacement?: string;
}

/** Applies `extra` rules (e.g. from `--mask`), then `rules`, each match becoming `<*>`. */
export class Masker {
  private readonly rules: MaskRule[];

  constructor(options: { rules?: readonly MaskRule[]; extra?: readonly (RegExp | string)[] } = {}) {
    const extra = (options.extra ?? []).map((pattern, index) => ({
      name: `extra-${index + 1}`,
      pattern: toGlobal(pattern),
    }));
    // Caller-supplied extras run first: they are the more specific knowledge.
    this.rules = [...extra, ...(options.rules ?? [])];
  }

  mask(content: string): string {
    let text = content;
    for (const rule of this.rules) {
      rule.pattern.lastIndex = 0;
      text = text.replace(rule.pattern, rule.replacement ?? PARAM);
    }
    return text;
  }
}

function toGlobal(pattern: RegExp | string): RegExp {
  if (typeof pattern === 'string') return new RegExp(pattern, 'g');
  return pattern.flags.includes('g') ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
}

/** One message with its variable-looking tokens replaced by `<*>` shapes, as the miner sees it. */
export function maskContent(content: string, options: TokenizerOptions = {}): string {
  return maskTokens(tokenizeMessage(content, options));
}
