/**
 * Deterministic secret redaction for everything that is about to reach an LLM request body
 * (tool results such as log lines, metric labels and error messages, and user messages).
 *
 * Each secret is replaced by a marker `[REDACTED:<kind>]`; the surrounding text (key names, URL
 * schemes, hosts, usernames, header names) is kept so that logs stay useful. The rules
 * (`secret-rules.ts`) are deliberately precise. Besides the text as written, the redactor reads
 * it as a person would: with invisible characters removed and `%XX` escapes decoded, base64 runs
 * that decode to text, and tokens a line break cut in two; what it finds there is redacted in
 * the original span. Redaction is idempotent: markers never match a rule.
 */

import { base64TextRuns } from './base64-text.ts';
import {
  acceptUnderKey,
  EMAIL_RULE,
  keyKind,
  MASK,
  NON_SECRET_KEY_RE,
  RULES,
  type Rule,
  SECRET_KEY_RE,
  SECRET_KINDS,
} from './secret-rules.ts';
import { maskSpans, renderSpans, type Span, scanRules } from './secret-scan.ts';
import { findSplitTokens, type Line } from './split-tokens.ts';
import { normalizedView, toOriginal } from './text-views.ts';

export { SECRET_KINDS };

export interface RedactionFinding {
  kind: string;
  count: number;
}

export interface RedactionResult {
  text: string;
  found: RedactionFinding[];
}

/** Marker put in place of a secret. */
export function redactionMarker(kind: string): string {
  return `[REDACTED:${kind}]`;
}

/** How deep base64 inside base64 is unwrapped. */
const MAX_DECODE_DEPTH = 2;
const AUTHORIZATION_KEY_RE = /^(?:proxy-)?authorization$/i;
const AZURE_KEY_SHAPE = /^[A-Za-z0-9+/]{86}==$/;

/** One string's secrets: where they are (in its own offsets), the string with them masked, and counts by kind. */
interface Analysis {
  text: string;
  masked: string;
  spans: Span[];
  counts: Map<string, number>;
}

export interface RedactorOptions {
  /** Redact e-mail addresses too (default true). */
  emails?: boolean;
  /** Further patterns whose whole match is a secret (`custom_pattern`), e.g. internal account ids. */
  extraPatterns?: readonly RegExp[];
}

/**
 * A redactor with the built-in rules, e-mail addresses unless turned off, and extra patterns from
 * configuration (applied last, to what the built-in rules left).
 */
export class Redactor {
  private readonly rules: readonly Rule[];

  constructor(options: RedactorOptions = {}) {
    const extra = (options.extraPatterns ?? []).map(
      (pattern): Rule => ({
        kind: 'custom_pattern',
        pattern: new RegExp(`(?<secret>${pattern.source})`, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`),
      }),
    );
    this.rules = [...RULES, ...(options.emails === false ? [] : [EMAIL_RULE]), ...extra];
  }

  /** Replaces every secret in `text` by its marker and reports how many of each kind were found. */
  text(text: string): RedactionResult {
    const analysis = this.analyse(text, 0);
    this.scanAcrossLines([analysis]);
    this.joinSplitTokens([analysis]);
    return { text: render(analysis), found: findings([analysis]) };
  }

  /**
   * A copy of a JSON-like value with every string redacted. A string under a secret-like key
   * (`password`, `apiKey`, `client_secret`, `Authorization`, …) is redacted as a whole when it
   * looks like a secret. Tokens cut between neighbouring strings of the same field (log lines in
   * an array) are found too. Other values (numbers, booleans, Dates, class instances) are kept;
   * cycles are preserved.
   */
  deep<T>(value: T): { value: T; found: RedactionFinding[] } {
    if (typeof value === 'string') {
      const { text, found } = this.text(value);
      return { value: text as T, found };
    }
    const leaves: Leaf[] = [];
    const out = this.walk(value, '', undefined, leaves, new WeakMap(), () => undefined) as T;
    const groups = new Map<string, Analysis[]>();
    for (const leaf of leaves) groups.set(leaf.field, [...(groups.get(leaf.field) ?? []), leaf.analysis]);
    for (const group of groups.values()) {
      this.scanAcrossLines(group);
      this.joinSplitTokens(group);
    }
    for (const leaf of leaves) leaf.set(render(leaf.analysis));
    return { value: out, found: findings(leaves.map((leaf) => leaf.analysis)) };
  }

  /** Finds the secrets of one string: as written, as read (invisible characters, `%XX`), and inside base64. */
  private analyse(text: string, depth: number): Analysis {
    const spans: Span[] = [];
    const counts = new Map<string, number>();
    const add = (found: Span[]) => {
      for (const span of found) counts.set(span.kind, (counts.get(span.kind) ?? 0) + 1);
      spans.push(...found);
    };
    let masked = text;
    const view = normalizedView(text);
    if (view) {
      const found = scanRules(view.text, this.rules).spans.map((span) => toOriginal(view, span));
      add(found);
      masked = maskSpans(masked, found);
    }
    const written = scanRules(masked, this.rules);
    add(written.spans);
    masked = written.masked;
    if (depth < MAX_DECODE_DEPTH) {
      for (const run of base64TextRuns(masked)) {
        const inner = this.analyse(run.decoded, depth + 1);
        const first = [...inner.spans].sort((a, b) => a.start - b.start)[0];
        if (!first) continue;
        // The encoded run goes as a whole, reported as what it wraps.
        for (const [kind, count] of inner.counts) counts.set(kind, (counts.get(kind) ?? 0) + count);
        const span = { start: run.start, end: run.end, kind: first.kind };
        spans.push(span);
        masked = maskSpans(masked, [span]);
      }
    }
    return { text, masked, spans, counts };
  }

  /** A string under an object key: header-aware, and the key name itself can mark the value as secret. */
  private analyseUnderKey(key: string | undefined, value: string): Analysis {
    if (key !== undefined && AUTHORIZATION_KEY_RE.test(key)) {
      const prefix = 'Authorization: ';
      const header = this.analyse(prefix + value, 0);
      if (header.spans.length > 0 && header.spans.every((span) => span.start >= prefix.length)) {
        const spans = header.spans.map((span) => ({ ...span, start: span.start - prefix.length, end: span.end - prefix.length }));
        return { text: value, masked: header.masked.slice(prefix.length), spans, counts: header.counts };
      }
    }
    const analysis = this.analyse(value, 0);
    if (key === undefined || analysis.spans.length > 0 || !SECRET_KEY_RE.test(key) || NON_SECRET_KEY_RE.test(key))
      return analysis;
    if (!acceptUnderKey(key, value, false)) return analysis;
    const kind = AZURE_KEY_SHAPE.test(value) ? 'azure_storage_key' : keyKind(key);
    const span = { start: 0, end: value.length, kind };
    return { text: value, masked: maskSpans(value, [span]), spans: [span], counts: new Map([[kind, 1]]) };
  }

  /**
   * Secrets spread over several lines (a PEM block, a name/value record, a key on one line and its
   * value on the next) when those lines are separate strings of one field (log lines of a tool
   * result) or listed newest first: the lines are read joined in their order and in reverse.
   * A secret found across lines is redacted in each line it covers and counted once.
   */
  private scanAcrossLines(analyses: Analysis[]): void {
    const lineCount = analyses.reduce((sum, analysis) => sum + analysis.text.split('\n').length, 0);
    const orders: Array<'forward' | 'reverse'> = [];
    if (analyses.length > 1) orders.push('forward');
    if (lineCount > 1) orders.push('reverse');
    for (const order of orders) {
      const lines = linesOf(analyses);
      if (order === 'reverse') lines.reverse();
      const starts: number[] = [];
      let joined = '';
      for (const line of lines) {
        starts.push(joined.length);
        joined += `${line.text}\n`;
      }
      // Read as written (what one line alone showed may be the start of a longer find); only finds that add something count.
      for (const span of scanRules(joined, this.rules).spans) {
        const parts: Array<{ owner: Analysis; local: Span }> = [];
        lines.forEach((line, i) => {
          const start = starts[i] as number;
          const from = Math.max(span.start, start);
          const to = Math.min(span.end, start + line.text.length);
          if (from < to) {
            const local = { start: line.offset + from - start, end: line.offset + to - start, kind: span.kind };
            parts.push({ owner: analyses[line.owner] as Analysis, local });
          }
        });
        const adds = parts.some(({ owner, local }) => [...owner.masked.slice(local.start, local.end)].some((c) => c !== MASK));
        if (!adds) continue;
        const extends_ = parts.some(({ owner, local }) =>
          owner.spans.some((known) => known.kind === span.kind && known.start < local.end && local.start < known.end),
        );
        const first = parts[0]?.owner as Analysis;
        if (!extends_) first.counts.set(span.kind, (first.counts.get(span.kind) ?? 0) + 1);
        for (const { owner, local } of parts) {
          owner.spans.push(local);
          owner.masked = maskSpans(owner.masked, [local]);
        }
      }
    }
  }

  /** Tokens cut by line breaks, within and between the given strings (in order): each part redacted, counted once. */
  private joinSplitTokens(analyses: Analysis[]): void {
    const lines = linesOf(analyses);
    const complete = (candidate: string) => scanRules(candidate, this.rules).spans.find((span) => span.start === 0);
    for (const token of findSplitTokens(lines, complete)) {
      const first = analyses[token.parts[0]?.owner ?? 0] as Analysis;
      first.counts.set(token.kind, (first.counts.get(token.kind) ?? 0) + 1);
      for (const part of token.parts) {
        const owner = analyses[part.owner] as Analysis;
        owner.spans.push(part.span);
        owner.masked = maskSpans(owner.masked, [part.span]);
      }
    }
  }

  private walk(
    value: unknown,
    field: string,
    key: string | undefined,
    leaves: Leaf[],
    seen: WeakMap<object, unknown>,
    set: (text: string) => void,
  ): unknown {
    if (typeof value === 'string') {
      leaves.push({ field, analysis: this.analyseUnderKey(key, value), set });
      return value;
    }
    if (value === null || typeof value !== 'object') return value;
    const known = seen.get(value);
    if (known !== undefined) return known;
    if (Array.isArray(value)) {
      const copy: unknown[] = [];
      seen.set(value, copy);
      value.forEach((item, index) => {
        copy.push(
          this.walk(item, `${field}[]`, undefined, leaves, seen, (text) => {
            copy[index] = text;
          }),
        );
      });
      return copy;
    }
    if (!isPlainObject(value)) return value;
    const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
    seen.set(value, copy);
    const named = recordName(value);
    for (const [k, v] of Object.entries(value)) {
      // In a name/value record ({name: "DB_PASSWORD", value: "…"}) the value is under the name it gives.
      const key = named !== undefined && /^value$/i.test(k) ? named : k;
      copy[k] = this.walk(v, `${field}.${k}`, key, leaves, seen, (text) => {
        copy[k] = text;
      });
    }
    return copy;
  }
}

/** A string inside a value being redacted: its field (path with array positions dropped), what was found, and where to put the result. */
interface Leaf {
  field: string;
  analysis: Analysis;
  set: (text: string) => void;
}

/** Every line of the given strings, in order, as written and as masked so far. */
function linesOf(analyses: readonly Analysis[]): Line[] {
  const lines: Line[] = [];
  analyses.forEach((analysis, owner) => {
    let offset = 0;
    for (const text of analysis.text.split('\n')) {
      lines.push({ text, masked: analysis.masked.slice(offset, offset + text.length), owner, offset });
      offset += text.length + 1;
    }
  });
  return lines;
}

function render(analysis: Analysis): string {
  return renderSpans(analysis.text, analysis.spans, redactionMarker);
}

function findings(analyses: readonly Analysis[]): RedactionFinding[] {
  const total = new Map<string, number>();
  for (const analysis of analyses) for (const [kind, count] of analysis.counts) total.set(kind, (total.get(kind) ?? 0) + count);
  return [...total].map(([kind, count]) => ({ kind, count }));
}

/** The secret-like name a name/value record gives its value (Kubernetes and ECS env entries, settings APIs). */
function recordName(record: Record<string, unknown>): string | undefined {
  const name = record.name ?? record.Name ?? record.key ?? record.Key;
  return typeof name === 'string' && SECRET_KEY_RE.test(name) ? name : undefined;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const DEFAULT_REDACTOR = new Redactor();

/**
 * Replaces every secret in `text` by `[REDACTED:<kind>]` and reports how many of each kind were
 * found (in rule order). Deterministic and idempotent: `redactSecrets(redactSecrets(t).text)` finds nothing.
 */
export function redactSecrets(text: string): RedactionResult {
  return DEFAULT_REDACTOR.text(text);
}

/**
 * Same as {@link redactDeep}, also reporting what was found. Strings anywhere in arrays and plain
 * objects are redacted; a string under a secret-like key (`password`, `apiKey`, `client_secret`,
 * `Authorization`, …) is redacted as a whole when it looks like a secret. Other values (numbers,
 * booleans, Dates, class instances) are kept as they are; cycles are preserved.
 */
export function redactDeepWithFindings<T>(value: T): { value: T; found: RedactionFinding[] } {
  return DEFAULT_REDACTOR.deep(value);
}

/** Returns a copy of a JSON-like value with every string redacted (see {@link redactSecrets}). */
export function redactDeep<T>(value: T): T {
  return redactDeepWithFindings(value).value;
}
