import { type Groups, MASK, type Rule } from './secret-rules.ts';

/** A secret found in a text: `[start, end)` in the text's own offsets. */
export interface Span {
  start: number;
  end: number;
  kind: string;
}

/**
 * Runs the rules in order over `text`. Each accepted secret is recorded as a span and masked
 * (same length, so offsets stay those of `text`) before the next rule runs, so that no rule
 * re-matches what an earlier, more specific rule found.
 */
export function scanRules(text: string, rules: readonly Rule[]): { masked: string; spans: Span[] } {
  const spans: Span[] = [];
  let masked = text;
  for (const rule of rules) {
    masked = masked.replace(rule.pattern, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args[args.length - 1] as Groups;
      const offset = args[args.length - 3] as number;
      const secret = groups.secret;
      if (secret === undefined || secret === '') return match;
      if (rule.accept && !rule.accept(secret, groups)) return match;
      const kind = typeof rule.kind === 'string' ? rule.kind : rule.kind(groups, secret);
      const start = groups.pre?.length ?? 0;
      spans.push({ start: offset + start, end: offset + start + secret.length, kind });
      return match.slice(0, start) + MASK.repeat(secret.length) + match.slice(start + secret.length);
    });
  }
  return { masked, spans };
}

/** `text` with every span replaced by mask characters. */
export function maskSpans(text: string, spans: readonly Span[]): string {
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const span of sorted(spans)) {
    if (span.end <= at) continue;
    const start = Math.max(span.start, at);
    out += text.slice(at, start) + MASK.repeat(span.end - start);
    at = span.end;
  }
  return out + text.slice(at);
}

/** `text` with every span replaced by its marker; overlapping spans become one marker (the first one's kind). */
export function renderSpans(text: string, spans: readonly Span[], marker: (kind: string) => string): string {
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  let current: Span | undefined;
  const flush = () => {
    if (!current) return;
    out += text.slice(at, current.start) + marker(current.kind);
    at = current.end;
    current = undefined;
  };
  for (const span of sorted(spans)) {
    if (current && span.start < current.end) {
      current = { ...current, end: Math.max(current.end, span.end) };
      continue;
    }
    flush();
    current = { ...span, start: Math.max(span.start, at) };
  }
  flush();
  return out + text.slice(at);
}

function sorted(spans: readonly Span[]): Span[] {
  return [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
}
