/**
 * Splits a log message into tokens and classifies each as constant-looking or variable-looking,
 * in one pass over the message (no chain of whole-line regexes). A variable-looking token keeps its
 * literal text (so a value that never changes stays in the template) and gets a *shape*: the token
 * with its variable core replaced by `<*>`, keeping the brackets, quotes, punctuation and `key=` /
 * `key:` prefixes around it (`(uid=0)` → `(uid=<*>)`, `[worker-7]` → `[<*>]`).
 *
 * A core is variable when it holds a digit (numbers, ids, addresses, times, hex, versions), is a
 * path or URL, an e-mail address, a long hex string, a day or month abbreviation (part of a date),
 * or an empty bracket or quote pair (an empty field); options add dotted names of three parts or
 * more (host, package and class names) and complete quoted strings. The value of `key=value`, of a
 * dot leader (`depth.......0`) and, as an option, of an attached `key:value` is variable whatever
 * it looks like; a quoted value with spaces (`tag="View Lock"`) is one value, and so is what follows
 * a quoted key in a JSON-like payload (`"user": "bob",`). A number followed by a unit (`3.5 s`,
 * `451 bytes`, `12 KB`) is one value. Options default to DEFAULT_MINER_PARAMETERS.
 */
import { DEFAULT_MINER_PARAMETERS } from './parameters.ts';

export const PARAM = '<*>';

export interface TokenizerOptions {
  /** `name:value` written without a space is a key and a variable value (`action:SCREEN_ON`). */
  attachedColonValues?: boolean;
  /** Dotted names of three parts or more (`org.apache.Foo`, `www.example.com`) are variable. */
  dottedNames?: boolean;
  /** A complete quoted string (`'name'`, `"value"`) is variable. */
  quotedValues?: boolean;
  /** Adjacent bare variables (`Fri Jul 22 09:27:24 2005`) become one `<*>`. */
  collapseRuns?: boolean;
}

/** Tokens of one message: `texts[i]` as written, `shapes[i]` its shape when variable-looking. */
export interface MessageTokens {
  texts: string[];
  shapes: (string | undefined)[];
}

// `<` and `>` are not brackets here: in logs they are mostly comparisons (`lifetime <1 sec`).
const OPENERS = '([{"\'`';
const CLOSERS = ')]}"\'`,;:.!?';
const OPENER_OF: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };
const PAIRS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}', '"': '"', "'": "'", '`': '`' };
const KEY_FIRST = /^[A-Za-z_][\w.\-$]*=/;
const PLAIN_WORD = /^[A-Za-z_-]+[,;:.!?]?$/;
const HEX_WORD = /^[a-fA-F]+$/;
const DATE_WORDS = new Set('Mon Tue Wed Thu Fri Sat Sun Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' '));
const UNITS = new Set(
  'B b KB kB MB GB TB PB KiB MiB GiB TiB bytes byte ms s sec secs second seconds us µs ns min mins minute minutes h hr hrs hour hours d days % kb mb gb'.split(
    ' ',
  ),
);

/**
 * The trailing punctuation after a unit word (`KB),` → `),`), or undefined when `word` is not a unit:
 * what `/^([^\W\d_]+|%)(\W*)$/u` captures, written out (it runs after most variable tokens).
 */
export function unitOf(word: string): string | undefined {
  let end = 0;
  while (end < word.length && isAsciiLetter(word.charCodeAt(end))) end++;
  if (end > LONGEST_UNIT) return undefined;
  if (end === 0) {
    if (word.charCodeAt(0) !== 37) return undefined;
    end = 1;
  }
  for (let i = end; i < word.length; i++) if (isWordChar(word.charCodeAt(i))) return undefined;
  return UNITS.has(word.slice(0, end)) ? word.slice(end) : undefined;
}

const LONGEST_UNIT = Math.max(...[...UNITS].map((unit) => unit.length));

function isAsciiLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** `\w` without the `i` flag: ASCII letters, digits and `_`. */
function isWordChar(c: number): boolean {
  return isAsciiLetter(c) || (c >= 48 && c <= 57) || c === 95;
}

/** Splits `message` on whitespace and classifies every token (see the module comment). */
export function tokenizeMessage(message: string, options: TokenizerOptions = {}): MessageTokens {
  const memo = shapeMemo(options);
  const words = splitWords(message);
  const texts: string[] = [];
  const shapes: (string | undefined)[] = [];
  for (let i = 0; i < words.length; i++) {
    let word = words[i] as string;
    // JSON-like payloads: what follows a quoted key (`"user": "bob",`) is a value, quoted or not.
    if (i > 0 && endsWithQuotedKey(words[i - 1] as string) && word[0] !== '{' && word[0] !== '[') {
      const quote = word[0];
      if ((quote === '"' || quote === "'") && word.indexOf(quote, 1) < 0) {
        let close = -1;
        for (let j = i + 1; j < words.length && j <= i + 16 && close < 0; j++)
          if ((words[j] as string).includes(quote)) close = j;
        if (close > 0) {
          word = words.slice(i, close + 1).join(' ');
          i = close;
        }
      }
      texts.push(word);
      shapes.push(`${PARAM}${/[,}\]]*$/.exec(word)?.[0] ?? ''}`);
      continue;
    }
    // A quoted value with spaces after `=` or `:` is one value: join words up to the closing quote.
    const quoteAt = word.includes('"') || word.includes("'") ? openValueQuote(word) : -1;
    if (quoteAt >= 0) {
      const quote = word[quoteAt] as string;
      for (let j = i + 1; j < words.length && j <= i + 16; j++) {
        if ((words[j] as string).includes(quote)) {
          word = words.slice(i, j + 1).join(' ');
          i = j;
          break;
        }
      }
    }
    let shape = memo.shape(word);
    // A number followed by a unit is one value (`3.5 s`, `12 KB)`).
    const next = words[i + 1];
    if (shape !== undefined && next !== undefined) {
      const unit = unitOf(next);
      if (unit !== undefined && isNumberWithAffixes(word)) {
        let suffix = unit;
        word = `${word} ${next}`;
        i++;
        // …and its restatement in other units: `1190 bytes (1.16 KB)`.
        const a = words[i + 1];
        const b = words[i + 2];
        if (
          a !== undefined &&
          b !== undefined &&
          /^\(\d[\d.,]*$/.test(a) &&
          b.includes(')') &&
          unitOf(b.replace(')', '')) !== undefined
        ) {
          word = `${word} ${a} ${b}`;
          suffix = b.slice(b.indexOf(')') + 1);
          i += 2;
        }
        shape = `${shape.slice(0, shape.indexOf(PARAM) + PARAM.length)}${suffix}`;
      }
    }
    texts.push(word);
    shapes.push(shape);
  }
  return (options.collapseRuns ?? DEFAULT_MINER_PARAMETERS.collapseRuns) ? collapseRuns(texts, shapes) : { texts, shapes };
}

/**
 * Word → shape for one tokenizer setting, in front of `shapeOf`. Most words are either constants
 * without digits, which recur (remembered here, up to MEMO_SIZE words at a time), or values with
 * digits in one of two plain forms that `shapeOf` would only reach after all its other checks
 * (`quickShape`); everything else goes to `shapeOf` itself.
 */
export class ShapeMemo {
  private readonly known = new Map<string, string | null>();

  constructor(
    private readonly attachedColon: boolean,
    private readonly dotted: boolean,
    private readonly quoted: boolean,
  ) {}

  shape(word: string): string | undefined {
    // Words that look like values (a digit at either end, a leading `/`) try the quick rules first,
    // the others the memo: either order gives the same shape, this one the fewest wasted steps.
    const first = word.charCodeAt(0);
    const last = word.charCodeAt(word.length - 1);
    const valueLike = (first >= 48 && first <= 57) || (last >= 48 && last <= 57) || first === 47;
    if (valueLike) {
      const quick = quickShape(word);
      if (quick !== NOT_QUICK) return quick;
    }
    const known = this.known.get(word);
    if (known !== undefined) return known ?? undefined;
    if (!valueLike) {
      const quick = quickShape(word);
      if (quick !== NOT_QUICK) return quick;
    }
    const shape = shapeOf(word, this.attachedColon, this.dotted, this.quoted);
    if (hasAsciiDigit(word)) return shape;
    if (this.known.size >= MEMO_SIZE) this.known.clear();
    this.known.set(word, shape ?? null);
    return shape;
  }
}

const MEMO_SIZE = 1 << 16;
const SHAPE_MEMOS = Array.from({ length: 8 }, (_, i) => new ShapeMemo((i & 1) !== 0, (i & 2) !== 0, (i & 4) !== 0));

/** The shape memo of a tokenizer setting (options default to DEFAULT_MINER_PARAMETERS). */
export function shapeMemo(options: TokenizerOptions): ShapeMemo {
  const attachedColon = options.attachedColonValues ?? DEFAULT_MINER_PARAMETERS.attachedColonValues;
  const dotted = options.dottedNames ?? DEFAULT_MINER_PARAMETERS.dottedNames;
  const quoted = options.quotedValues ?? DEFAULT_MINER_PARAMETERS.quotedValues;
  return SHAPE_MEMOS[(attachedColon ? 1 : 0) | (dotted ? 2 : 0) | (quoted ? 4 : 0)] as ShapeMemo;
}

const NOT_QUICK = '\u0000';
const DIGIT = 1;
/** Characters that send a word with digits to `shapeOf`: `=`, path and escape characters, brackets, quotes, `<`. */
const NOT_PLAIN_VALUE = 2;
const COLON = 4;
/** Characters after which a leading `/` may not make a path on its own: brackets, quotes, `<`. */
const NOT_PLAIN_PATH = 8;
const TRAILING = 16;
const CHAR_CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CHAR_CLASS[c] = DIGIT;
for (const c of '=/\\~') CHAR_CLASS[c.charCodeAt(0)] = NOT_PLAIN_VALUE;
for (const c of '<"\'`()[]{}') CHAR_CLASS[c.charCodeAt(0)] = NOT_PLAIN_VALUE | NOT_PLAIN_PATH;
CHAR_CLASS[58] = COLON | TRAILING;
for (const c of ',;.!?') CHAR_CLASS[c.charCodeAt(0)] = TRAILING;

/**
 * The shape `shapeOf` gives two common kinds of word, found in one pass, else NOT_QUICK:
 * - a word with a digit and none of `=/\~<"'`()[]{}`, no `..`, and no `:` unless it starts with a
 *   digit (`1`, `blk_-42,`, `10.0.0.1:50010`, `3.5%`): `shapeOf` strips the trailing punctuation, finds
 *   no prefix, path, `key=value`, dot leader or `name:value`, and the digit makes the core a value;
 * - a word that starts with `/` and has no bracket, quote or `<`, longer than `/` once its
 *   trailing punctuation is off (`/10.251.30.6:33145`, `/var/log/x,`): a path.
 * Either way the shape is `<*>` followed by the trailing punctuation. The test checks this
 * against `shapeOf` on every word of the Loghub samples.
 */
export function quickShape(word: string): string | typeof NOT_QUICK {
  const n = word.length;
  let seen = 0;
  let dots = false;
  let previousDot = false;
  for (let i = 0; i < n; i++) {
    const c = word.charCodeAt(i);
    if (c < 128) {
      seen |= CHAR_CLASS[c] as number;
      const dot = c === 46;
      if (dot && previousDot) dots = true;
      previousDot = dot;
    } else previousDot = false;
  }
  let end = n;
  while (end > 0) {
    const c = word.charCodeAt(end - 1);
    if (c >= 128 || ((CHAR_CLASS[c] as number) & TRAILING) === 0) break;
    end--;
  }
  const first = word.charCodeAt(0);
  if (first === 47) {
    if ((seen & NOT_PLAIN_PATH) === 0 && end > 1) return end === n ? PARAM : PARAM + word.slice(end);
    return NOT_QUICK;
  }
  if ((seen & DIGIT) === 0 || (seen & NOT_PLAIN_VALUE) !== 0 || dots) return NOT_QUICK;
  if ((seen & COLON) !== 0 && !(first >= 48 && first <= 57)) return NOT_QUICK;
  return end === n ? PARAM : PARAM + word.slice(end);
}

function hasAsciiDigit(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/** `"user":` or `'user':` (as /["']:$/). */
function endsWithQuotedKey(word: string): boolean {
  const n = word.length;
  if (n < 2 || word.charCodeAt(n - 1) !== 58) return false;
  const c = word.charCodeAt(n - 2);
  return c === 34 || c === 39;
}

/**
 * Joins each run of adjacent bare variables into one (`delete blk_1 blk_2 blk_3` → `delete <*>`),
 * so lists of any length share a template. A message with no constant token is left alone: its
 * length is all that tells such messages apart.
 */
function collapseRuns(texts: string[], shapes: (string | undefined)[]): MessageTokens {
  if (!shapes.includes(undefined)) return { texts, shapes };
  let previous = false;
  let joins = false;
  for (let i = 0; i < texts.length && !joins; i++) {
    const current = joinsRun(texts, shapes, i);
    joins = previous && current;
    previous = current;
  }
  if (!joins) return { texts, shapes };
  const outTexts: string[] = [];
  const outShapes: (string | undefined)[] = [];
  previous = false;
  for (let i = 0; i < texts.length; i++) {
    const current = joinsRun(texts, shapes, i);
    if (previous && current) outTexts[outTexts.length - 1] += ` ${texts[i]}`;
    else {
      outTexts.push(texts[i] as string);
      outShapes.push(shapes[i]);
    }
    previous = current;
  }
  return { texts: outTexts, shapes: outShapes };
}

/** A name with one trailing digit (`SOCKS5`, `ssh2`, `eth0`): variable-looking, but it reads as a word. */
export function readsAsWord(text: string): boolean {
  // /^[A-Za-z][A-Za-z_-]*[A-Za-z]\d$/, written out: it runs on every bare variable.
  const n = text.length;
  if (n < 3) return false;
  const last = text.charCodeAt(n - 1);
  if (last < 48 || last > 57 || !isAsciiLetter(text.charCodeAt(0)) || !isAsciiLetter(text.charCodeAt(n - 2))) return false;
  for (let i = 1; i < n - 2; i++) {
    const c = text.charCodeAt(i);
    if (!isAsciiLetter(c) && c !== 95 && c !== 45) return false;
  }
  return true;
}

/** A bare variable that is not a word with a digit (`SOCKS5`) joins a run. */
function joinsRun(texts: readonly string[], shapes: readonly (string | undefined)[], i: number): boolean {
  return shapes[i] === PARAM && !readsAsWord(texts[i] as string);
}

/** The message with each variable-looking token replaced by its shape. */
export function maskTokens(tokens: MessageTokens): string {
  return tokens.texts.map((text, i) => tokens.shapes[i] ?? text).join(' ');
}

/** Whether the message holds a tab, a line break, a vertical tab or a form feed (five native scans beat one regex). */
export function hasOtherSpace(message: string): boolean {
  return (
    message.includes('\t') || message.includes('\n') || message.includes('\r') || message.includes('\v') || message.includes('\f')
  );
}

/** Words between runs of ASCII spaces, tabs and line breaks. */
export function splitWords(message: string): string[] {
  const words: string[] = [];
  if (!hasOtherSpace(message)) {
    // Spaces only, as nearly every log line: from space to space.
    let from = 0;
    for (let at = message.indexOf(' '); at >= 0; at = message.indexOf(' ', from)) {
      if (at > from) words.push(message.slice(from, at));
      from = at + 1;
    }
    if (from < message.length) words.push(message.slice(from));
    return words;
  }
  let start = -1;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    const space = c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
    if (space) {
      if (start >= 0) {
        words.push(message.slice(start, i));
        start = -1;
      }
    } else if (start < 0) start = i;
  }
  if (start >= 0) words.push(message.slice(start));
  return words;
}

/** Index of an opening quote right after `=` or `:` that this word does not close, else -1. */
function openValueQuote(word: string): number {
  for (let i = 1; i < word.length; i++) {
    const c = word[i];
    if ((c === '"' || c === "'") && (word[i - 1] === '=' || word[i - 1] === ':')) {
      return word.indexOf(c, i + 1) < 0 ? i : -1;
    }
  }
  return -1;
}

interface Affixes {
  prefix: string;
  core: string;
  suffix: string;
}

/**
 * Leading brackets/quotes and trailing brackets/quotes/punctuation around a core. A trailing
 * closing bracket stays in the core when the core opened it (`jk2_init()`, `LOGIN(uid=0)`).
 */
function splitAffixes(word: string): Affixes {
  let start = 0;
  let end = word.length;
  while (start < end && OPENERS.includes(word[start] as string)) start++;
  while (end > start && CLOSERS.includes(word[end - 1] as string)) {
    const c = word[end - 1] as string;
    const opener = OPENER_OF[c];
    if (opener !== undefined && opensInside(word, start, end - 1, opener, c)) break;
    end--;
  }
  return { prefix: word.slice(0, start), core: word.slice(start, end), suffix: word.slice(end) };
}

/** True when word[start, end) has more `opener` than `closer` characters. */
function opensInside(word: string, start: number, end: number, opener: string, closer: string): boolean {
  let depth = 0;
  for (let i = start; i < end; i++) {
    if (word[i] === opener) depth++;
    else if (word[i] === closer && depth > 0) depth--;
  }
  return depth > 0;
}

export function isNumberWithAffixes(word: string): boolean {
  const { core } = splitAffixes(word);
  return core !== '' && /^[-+~<>]?\d[\d.,]*$/.test(core);
}

/** The shape of a variable-looking word, or undefined for a constant-looking one. */
export function shapeOf(word: string, attachedColon: boolean, dotted: boolean, quoted: boolean): string | undefined {
  // Fast path for the common case, a plain word with at most a trailing punctuation mark.
  if (PLAIN_WORD.test(word)) {
    const core = /[,;:.!?]$/.test(word) ? word.slice(0, -1) : word;
    return DATE_WORDS.has(core) || (core.length >= 8 && HEX_WORD.test(core)) ? PARAM + word.slice(core.length) : undefined;
  }
  // Already masked by a caller's regex: the word is its own shape.
  if (word.includes(PARAM)) return word;
  const { prefix, core, suffix } = splitAffixes(word);
  if (core === '') {
    // An empty pair of brackets or quotes is an empty field (`()`, `""`).
    const open = prefix[prefix.length - 1];
    if (open !== undefined && PAIRS[open] !== undefined && suffix.startsWith(PAIRS[open] as string))
      return `${prefix}${PARAM}${suffix}`;
    return undefined;
  }
  // A complete quoted string ('name', "value") is a value, unless it is a key (`"user":`).
  const lastOpen = prefix[prefix.length - 1];
  if (quoted && (lastOpen === '"' || lastOpen === "'" || lastOpen === '`') && suffix.startsWith(lastOpen))
    return suffix[1] === ':' ? undefined : `${prefix}${PARAM}${suffix}`;
  // A path or URL is one value, unless it is the value of a `key=` (`path=/api/users`).
  if (!KEY_FIRST.test(core) && isPathOrUrl(core)) return `${prefix}${PARAM}${suffix}`;
  const kv = keyValueShape(core);
  if (kv !== undefined) {
    // `tag="View Lock",`: the value's closing quote was taken as an affix; it belongs to the value.
    const quote = /=["']/.exec(core)?.[0][1];
    const closed = quote !== undefined && core.indexOf(quote, core.lastIndexOf(`=${quote}`) + 2) >= 0;
    return `${prefix}${kv}${quote !== undefined && !closed && suffix.startsWith(quote) ? suffix.slice(1) : suffix}`;
  }
  const leader = dotLeaderShape(core);
  if (leader !== undefined) return `${prefix}${leader}${suffix}`;
  if (attachedColon) {
    const colon = attachedColonShape(core);
    if (colon !== undefined) return `${prefix}${colon}${suffix}`;
  }
  return isVariableCore(core, dotted) ? `${prefix}${PARAM}${suffix}` : undefined;
}

/** `a=1,b=x;c=` → `a=<*>,b=<*>;c=<*>`: keys kept, every value masked; undefined without `=`. */
function keyValueShape(core: string): string | undefined {
  const eq = core.indexOf('=');
  if (eq <= 0 || core.startsWith('==') || core.includes('://')) return undefined;
  let out = '';
  let i = 0;
  let found = false;
  while (i < core.length) {
    const at = core.indexOf('=', i);
    if (at < 0) {
      out += core.slice(i);
      break;
    }
    // The key is the run of name characters right before `=`.
    let k = at;
    while (k > i && /[\w.\-$]/.test(core[k - 1] as string)) k--;
    if (k === at) {
      out += core.slice(i, at + 1);
      i = at + 1;
      continue;
    }
    out += core.slice(i, at + 1);
    // The value runs to the next separator that starts another key=value.
    let j = at + 1;
    let depth = 0;
    for (; j < core.length; j++) {
      const c = core[j] as string;
      if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c)) {
        if (depth === 0) break;
        depth--;
      } else if (/[,;&|]/.test(c) && /^[,;&|]\s*[\w.\-$]+=/.test(core.slice(j))) break;
    }
    // An empty value stays as written (`ruser=`): empty and set are often different events.
    if (j > at + 1) {
      out += PARAM;
      found = true;
    }
    if (j < core.length && ')]}'.includes(core[j] as string)) {
      out += core.slice(j);
      break;
    }
    if (j < core.length) out += core[j];
    i = j + 1;
  }
  return found ? out : undefined;
}

/** `depth.......0` → `depth.......<*>`: a label, a dot leader, a value (aligned tables). */
function dotLeaderShape(core: string): string | undefined {
  const leader = /^([A-Za-z_][\w-]*\.{2,})[^.]/.exec(core);
  return leader ? `${leader[1]}${PARAM}` : undefined;
}

/** `onExtend:1514` → `onExtend:<*>` (a name, a colon, a value); undefined otherwise. */
function attachedColonShape(core: string): string | undefined {
  const colon = core.indexOf(':');
  if (colon <= 0 || colon === core.length - 1) return undefined;
  if (core[colon + 1] === ':' || core[colon + 1] === '/' || core[colon + 1] === '\\') return undefined;
  for (let i = 0; i < colon; i++) if (!/[A-Za-z_]/.test(core[i] as string)) return undefined;
  // `name:443` is as often a host and port as a key and number: leave it to the digit rule.
  if (/^\d+$/.test(core.slice(colon + 1))) return undefined;
  return `${core.slice(0, colon + 1)}${PARAM}`;
}

function isVariableCore(core: string, dotted: boolean): boolean {
  let digits = false;
  let dots = 0;
  let slashes = 0;
  let at = false;
  let hex = core.length >= 8;
  for (let i = 0; i < core.length; i++) {
    const c = core.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits = true;
      break;
    }
    if (c === 46) dots++;
    else if (c === 47 || c === 92) slashes++;
    else if (c === 64) at = true;
    if (hex && !((c >= 97 && c <= 102) || (c >= 65 && c <= 70))) hex = false;
  }
  if (digits || hex) return true;
  if (DATE_WORDS.has(core)) return true;
  if (slashes > 0 && isPathOrUrl(core)) return true;
  if (at && dots > 0 && core.indexOf('@') > 0) return true;
  return dotted && dots >= 2 && /^[A-Za-z_$][\w$-]*(\.[\w$-]+)+$/.test(core);
}

/** `/var/log`, `~/x`, `./x`, `C:\\x`, `a/b/c`, `scheme://…`. */
function isPathOrUrl(core: string): boolean {
  const first = core[0];
  if (first === '/' || first === '~' || first === '\\') return core.length > 1;
  if (first === '.' && (core[1] === '/' || (core[1] === '.' && core[2] === '/'))) return true;
  if (/^[A-Za-z]:\\/.test(core) || core.includes('://')) return true;
  let slashes = 0;
  for (let i = 0; i < core.length; i++) if (core[i] === '/') slashes++;
  return slashes >= 2;
}

/**
 * The shape two tokens share once a template position holds both: their common shape, or a
 * literal that fits the other's shape (`[main]` and `[<*>]`), else a bare `<*>`.
 */
export function widenShape(
  textA: string | undefined,
  shapeA: string | undefined,
  textB: string | undefined,
  shapeB: string | undefined,
): string {
  if (shapeA !== undefined && shapeA === shapeB) return shapeA;
  if (shapeA !== undefined && shapeB === undefined && textB !== undefined && fitsShape(textB, shapeA)) return shapeA;
  if (shapeB !== undefined && shapeA === undefined && textA !== undefined && fitsShape(textA, shapeB)) return shapeB;
  return PARAM;
}

/** `[main]` fits `[<*>]`: the shape's text around its one `<*>` surrounds a non-empty value. */
function fitsShape(text: string, shape: string): boolean {
  const at = shape.indexOf(PARAM);
  if (at < 0 || shape.indexOf(PARAM, at + 1) >= 0) return false;
  const before = shape.slice(0, at);
  const after = shape.slice(at + PARAM.length);
  return (
    (before !== '' || after !== '') &&
    text.length > before.length + after.length &&
    text.startsWith(before) &&
    text.endsWith(after)
  );
}
