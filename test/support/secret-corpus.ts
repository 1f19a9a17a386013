import { readFileSync } from 'node:fs';

/** One corpus line: a secret of `kind` inside `text`, or `kind: "none"` for a look-alike that must stay unchanged. */
export interface CorpusEntry {
  kind: string;
  secret?: string;
  /** A secret cut over two lines: each piece is in `text`, the whole `secret` is not. */
  pieces?: string[];
  text: string;
  /** The disguise or form the line tests; the first 134 dev lines have none. */
  form?: string;
}

const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;

/** `test/fixtures/secrets/<name>`: `corpus.jsonl` (dev) or `held-out.jsonl`. */
export function loadSecretCorpus(name = 'corpus.jsonl'): CorpusEntry[] {
  return readFileSync(new URL(`../fixtures/secrets/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusEntry);
}

/**
 * What of an entry's secret must never appear: the secret as written, without invisible
 * characters, each piece of a cut token, and each line of a multi-line secret (a PEM block's
 * body, not its BEGIN/END armour), since lines may be shown apart.
 */
export function secretForms(entry: CorpusEntry): string[] {
  const secret = entry.secret ?? '';
  const lines = secret.includes('\n') ? secret.split('\n').filter((line) => !/^-----(?:BEGIN|END) /.test(line)) : [];
  return [...new Set([secret, secret.replace(INVISIBLE, ''), ...(entry.pieces ?? []), ...lines])].filter(
    (form) => form.length >= 6,
  );
}

/** Whether any form of the entry's secret is still in `output` (also as it looks inside a JSON string). */
export function leaks(output: string, entry: CorpusEntry): boolean {
  return secretForms(entry).some((form) => output.includes(form) || output.includes(JSON.stringify(form).slice(1, -1)));
}
