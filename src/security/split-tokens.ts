import { MASK, TOKEN_PREFIX_START, TOKEN_PREFIXES } from './secret-rules.ts';
import type { Span } from './secret-scan.ts';

/** One line of text to look at: as written, with what was found so far masked, and who owns it. */
export interface Line {
  text: string;
  masked: string;
  /** Index of the text the line belongs to, and the line's offset in it. */
  owner: number;
  offset: number;
}

/** A token found cut over two lines (or only its start, at the end of a line): its parts, in their owners' offsets. */
export interface SplitToken {
  kind: string;
  parts: Array<{ owner: number; span: Span }>;
}

const TOKEN_CHAR = /[A-Za-z0-9_.+/=-]/;
/** How far into the neighbouring line the body may start: past a log line's header (time, level, source). */
const WORDS_TO_TRY = 8;
/** A cut-off token start is reported alone when this much of its body is left and looks random. */
const MIN_FRAGMENT_BODY = 8;
/** Random-looking token body used to ask whether a cut-off start could still become a token. */
const FILLER = 'A1b2C3d4E5f6G7h8J9k0L1m2N3p4Q5r6S7t8U9v0W1x2Y3z4A5b6C7d8E9f0G1h2J3k4L5m6N7p8Q9r0S1t2U3v4W5x6Y7z8';

/**
 * Tokens a line break cut in two: a line that ends with a known token prefix (`sk-proj-…`,
 * `ghp_…`, `hf_…`, `gsk_…`, …) and a neighbouring line (the next, or the previous one for logs
 * listed newest first) whose first words include the rest. `complete` says whether a candidate
 * string starts with a whole token (by the redactor's rules) and which; a pair counts only when
 * the joined text is one. A start with no matching rest is still reported when enough of a
 * random-looking body remains, since it is a piece of a credential. When the start was already
 * found (a whole token by itself, or the value of a secret-named key), only a random-looking rest
 * that makes a longer token is added.
 */
export function findSplitTokens(lines: readonly Line[], complete: (candidate: string) => Span | undefined): SplitToken[] {
  const found: SplitToken[] = [];
  const usedHeads = new Set<string>();
  lines.forEach((line, i) => {
    const fragment = trailingFragment(line.text);
    if (!fragment) return;
    const head = fragment.text;
    const alreadyFound = line.masked.slice(fragment.start, fragment.end).includes(MASK);
    const own = { owner: line.owner, span: { start: line.offset + fragment.start, end: line.offset + fragment.end, kind: '' } };
    for (const j of [i + 1, i - 1]) {
      const neighbour = lines[j];
      if (!neighbour) continue;
      for (const word of leadingWords(neighbour.text, neighbour.masked)) {
        const key = `${j}:${word.start}`;
        if (usedHeads.has(key) || (alreadyFound && !looksRandom(word.text))) continue;
        // The whole first run of the word must continue the token, not just its first characters.
        const rest = word.text.replace(/[.]+$/, '');
        const token = complete(head + rest);
        if (token?.start !== 0 || token.end !== head.length + rest.length || rest.length < 2) continue;
        usedHeads.add(key);
        const kind = token.kind;
        const tail = {
          owner: neighbour.owner,
          span: { start: neighbour.offset + word.start, end: neighbour.offset + word.start + rest.length, kind },
        };
        found.push({ kind, parts: alreadyFound ? [tail] : [{ ...own, span: { ...own.span, kind } }, tail] });
        return;
      }
    }
    if (alreadyFound) return;
    const known = TOKEN_PREFIXES.find((entry) => entry.prefix.test(head));
    const body = known ? head.replace(known.prefix, '') : '';
    // A cut token is one that more body would complete; one already too long for its shape is something else.
    const cut = complete(head + FILLER);
    const couldContinue = cut !== undefined && cut.start === 0 && cut.end > head.length;
    if (
      known &&
      couldContinue &&
      body.length >= MIN_FRAGMENT_BODY &&
      (/[0-9]/.test(body) || (/[a-z]/.test(body) && /[A-Z]/.test(body)))
    ) {
      found.push({ kind: known.kind, parts: [{ ...own, span: { ...own.span, kind: known.kind } }] });
    }
  });
  return found;
}

/** The token-like run at the end of a line that starts with a known token prefix, if any. */
function trailingFragment(text: string): { text: string; start: number; end: number } | undefined {
  let end = text.length;
  while (end > 0 && /[ \t\r]/.test(text[end - 1] as string)) end--;
  let start = end;
  while (start > 0 && end - start < 4096 && TOKEN_CHAR.test(text[start - 1] as string)) start--;
  if (start === end) return undefined;
  const run = text.slice(start, end);
  const prefix = TOKEN_PREFIX_START.exec(run);
  if (!prefix) return undefined;
  return { text: run.slice(prefix.index), start: start + prefix.index, end };
}

/** The token-character runs that begin the first few words of a line (not yet found as secrets). */
function leadingWords(text: string, masked: string): Array<{ text: string; start: number }> {
  const words: Array<{ text: string; start: number }> = [];
  const word = /\S+/g;
  for (let match = word.exec(masked); match && words.length < WORDS_TO_TRY; match = word.exec(masked)) {
    let start = match.index;
    const end = match.index + match[0].length;
    while (start < end && !TOKEN_CHAR.test(masked[start] as string)) start++;
    let stop = start;
    while (stop < end && TOKEN_CHAR.test(masked[stop] as string)) stop++;
    if (stop - start >= 2) words.push({ text: text.slice(start, stop), start });
  }
  return words;
}

/** The rest of a token rather than a word: long enough, with letters and digits or both cases. */
function looksRandom(text: string): boolean {
  if (text.length < 8) return false;
  const digits = /[0-9]/.test(text);
  const letters = /[A-Za-z]/.test(text);
  const cases = /[a-z]/.test(text) && /[A-Z]/.test(text);
  return (digits && letters) || (cases && text.length >= 16);
}
