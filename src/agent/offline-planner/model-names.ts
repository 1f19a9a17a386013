import { findModel, MODEL_CATALOGUE } from '../../analysis/model-catalogue.ts';
import { nameDistance } from '../../tools/known-deployment.ts';

const NAME_TOKEN = /[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)+|\b\d+(?:\.\d+)?[bm]\b/g;
const SIZE_IN_NAME = /\d(?:\.\d+)?[bm]\b|\d+x\d+b\b|\d+[bm]-|-mini|-small|-medium|-large/;
// A bare "15m" is a duration unless a model or parameters follow it; a bare "7b" is a size.
const BARE_MILLIONS = /^\d+(?:\.\d+)?m$/;
const quoteRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The family of a name: its leading letters ("qwen2-7b" → qwen, "llama-3-8b" → llama). */
function familyOf(name: string): string | undefined {
  return /^[a-z]{3,}/.exec(name.split('/').pop() ?? '')?.[0];
}

/**
 * Model families the planner can tell by name: the catalogue's. A deployment's own prefix
 * ("chat" of "chat-prod") is no family, since such words also mean other things.
 */
const FAMILIES = new Set(
  MODEL_CATALOGUE.flatMap((m) => [m.id, ...m.aliases])
    .map(familyOf)
    .filter((family) => family !== undefined),
);

/**
 * Joins a model name written with spaces ("mistral 7b", "llama 3 70b", "gemma 2 9b") into one
 * name: the name the fleet or the catalogue uses when the joined words are one of them, else
 * a known model family followed by version numbers and a size ("falcon" is no family, so
 * "falcon 40b" stays apart; "llama 70b" becomes "llama-70b").
 */
function joinSpacedNames(text: string, known: readonly string[]): string {
  const words = text.split(' ');
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    let taken = 1;
    // The longest run of up to four words from here that names a model.
    for (let n = Math.min(4, words.length - i); n >= 2; n--) {
      const run = words.slice(i, i + n);
      const written = run.join('-');
      const joined = written.replace(/[^a-z0-9]+$/, '');
      const named = /^[a-z]/.test(joined) && (known.includes(joined) || findModel(joined) !== undefined);
      // A family, then version numbers, then a size: an unknown model of a known family.
      const familyAndSize =
        FAMILIES.has(run[0] as string) &&
        run.slice(1, -1).every((w) => /^\d+(?:\.\d+)?$/.test(w)) &&
        /^\d+(?:\.\d+)?b[^a-z0-9]*$/.test(run.at(-1) as string);
      if (named || familyAndSize) {
        out.push(written);
        taken = n;
        break;
      }
    }
    if (taken === 1) out.push(words[i] as string);
    i += taken - 1;
  }
  return out.join(' ');
}

/**
 * The fleet's name for a written one that differs only in separators ("llama3-8b" for
 * "llama-3-8b"), or for a bare family that only one deployment has ("mistral" for
 * "mistral-7b"); undefined when none or several match.
 */
function knownSpelling(written: string, known: readonly string[]): string | undefined {
  const same = known.filter((name) => nameDistance(written, name) === 0);
  if (same.length === 1) return same[0];
  if (!/^[a-z]+$/.test(written)) return undefined;
  const ofFamily = known.filter((name) => familyOf(name) === written);
  return ofFamily.length === 1 ? ofFamily[0] : undefined;
}

/**
 * Deployment or model names in a request, as the fleet names them where it can tell:
 * tokens like "llama-3-8b", "mixtral-8x7b", "phi-3-mini", a bare "13b", names written with
 * spaces, and a model family on its own ("latency of gemma"), which is kept as written when
 * no single deployment has it, so that a tool says it is unknown rather than the fleet answering.
 */
export function extractDeployments(written: string, known: readonly string[]): string[] {
  const text = joinSpacedNames(written, known);
  const found: string[] = [];
  const add = (name: string) => {
    if (!found.includes(name)) found.push(name);
  };
  for (const match of text.matchAll(NAME_TOKEN)) {
    const token = match[0].replace(/[.\-_]+$/, '');
    const isName = known.includes(token) || findModel(token) !== undefined || SIZE_IN_NAME.test(token);
    if (!isName || /^(int|fp|bf)\d+$/.test(token)) continue;
    if (BARE_MILLIONS.test(token) && !/^\s*(?:param|model|llm)/.test(text.slice((match.index ?? 0) + match[0].length))) continue;
    add(known.includes(token) ? token : (knownSpelling(token, known) ?? token));
  }
  for (const name of known) {
    if (new RegExp(`(^|[^a-z0-9-])${quoteRegex(name)}($|[^a-z0-9-])`).test(text)) add(name);
  }
  // A family on its own, not inside a longer name: the one deployment of that family, or the word itself.
  for (const match of text.matchAll(/(^|[^a-z0-9._/-])([a-z]{3,})(?=$|[^a-z0-9_/-]|-(?![a-z0-9]))/g)) {
    const word = match[2] as string;
    if (!FAMILIES.has(word)) continue;
    const resolved = knownSpelling(word, known);
    if (resolved) add(resolved);
    else if (!found.some((name) => familyOf(name) === word)) add(word);
  }
  return found;
}
