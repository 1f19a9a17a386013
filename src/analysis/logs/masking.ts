/**
 * Masking of variable parts of a log message, applied BEFORE template matching (Drain's
 * "preprocessing with domain knowledge", but generic: no per-dataset regexes). Every masked span
 * becomes the parameter token `<*>`. Order matters: the most specific shapes (UUIDs, addresses,
 * paths) go first so that the number rule does not cut them into pieces.
 */
export const PARAM = '<*>';

export interface MaskRule {
  name: string;
  pattern: RegExp;
  /** Replacement; defaults to `<*>`. May use `$1` etc. */
  replacement?: string;
}

const B = '(?<![A-Za-z0-9_])'; // start boundary: not inside a word
const E = '(?![A-Za-z0-9_])'; // end boundary

export const DEFAULT_MASKS: readonly MaskRule[] = [
  { name: 'url', pattern: /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>]+/g },
  {
    name: 'uuid',
    pattern: new RegExp(`${B}[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}${E}`, 'g'),
  },
  { name: 'ipv4', pattern: /(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])/g },
  // host.name:port (a dotted host name followed by a port number)
  { name: 'host-port', pattern: /(?<![\w.-])(?=[\w.-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*:\d{1,5}(?![\w.:])/g },
  // data sizes: "1234 bytes", "1234 bytes (1.2 KB)", "12.5 MB"
  {
    name: 'size',
    pattern: /(?<![\w.])\d+(?:\.\d+)?\s?(?:bytes|[KMGT]i?B)(?:\s\(\d+(?:\.\d+)?\s?(?:bytes|[KMGT]i?B)\))?(?![\w])/g,
  },
  // Unix paths (two segments or more, or one segment after a leading /), Windows paths
  { name: 'path', pattern: /(?<![\w.:/])(?:\/[\w.\-@~+%,]+){1,}\/?|(?<![\w])[A-Za-z]:\\[^\s"']*/g },
  { name: 'hex', pattern: new RegExp(`${B}0[xX][0-9a-fA-F]+${E}`, 'g') },
  { name: 'long-hex', pattern: new RegExp(`${B}(?=[a-fA-F]*[0-9])(?=[0-9]*[a-fA-F])[0-9a-fA-F]{8,}${E}`, 'g') },
  {
    name: 'duration',
    pattern: new RegExp(`${B}[<>~]?[-+]?\\d+(?:\\.\\d+)?\\s?(?:ns|us|µs|ms|s|sec|secs|min|mins|h|hr|hrs|m|d)${E}`, 'g'),
  },
  // key=value: keep the key, mask a non-empty value up to whitespace or a separator
  { name: 'key-value', pattern: /(?<![\w.-])([A-Za-z_][\w.-]*=)(?![\s,;&]|$)[^\s,;&]+/g, replacement: `$1${PARAM}` },
  // numbers: integers, decimals, signed, dotted/colon-separated runs (times, versions), with size units
  { name: 'number', pattern: /(?<![\w.-])[-+]?\d+(?:[.,:]\d+)*(?:[kKMGT]i?B|B|KB|%)?(?![\w-]|\.\w)/g },
];

/** Applies `rules` in order, then `extra` rules (e.g. from `--mask`), each span becoming `<*>`. */
export class Masker {
  private readonly rules: MaskRule[];

  constructor(options: { rules?: readonly MaskRule[]; extra?: readonly (RegExp | string)[] } = {}) {
    const extra = (options.extra ?? []).map((pattern, index) => ({
      name: `extra-${index + 1}`,
      pattern: toGlobal(pattern),
    }));
    // Caller-supplied rules run first: they are the more specific knowledge.
    this.rules = [...extra, ...(options.rules ?? DEFAULT_MASKS)];
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

/** Masks one message with the default rules. */
export function maskContent(content: string): string {
  return defaultMasker.mask(content);
}

const defaultMasker = new Masker();
