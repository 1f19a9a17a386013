import type { Span } from './secret-scan.ts';

/**
 * Characters that render as nothing and are used to break a secret up so that patterns miss it:
 * zero-width space, non-joiner and joiner, word joiner, byte-order mark, soft hyphen.
 */
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/;
const INVISIBLE_CODES = new Set([0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x00ad]);
const PERCENT = /%[0-9A-Fa-f]{2}/;

/** A transformed copy of a text, and for each of its characters the original range it came from. */
export interface TextView {
  text: string;
  /** Original offset of view character i. */
  from: Int32Array;
  /** Original end (exclusive) of view character i. */
  to: Int32Array;
}

/**
 * The text as a reader would take it: invisible characters removed and `%XX` escapes of
 * printable ASCII decoded (`sk-%2B…` → `sk-+…`, `AccountKey%3D…` → `AccountKey=…`). Undefined
 * when the text has neither, which is the common case.
 */
export function normalizedView(text: string): TextView | undefined {
  if (!INVISIBLE.test(text) && !PERCENT.test(text)) return undefined;
  let view = '';
  const from: number[] = [];
  const to: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (INVISIBLE_CODES.has(code)) continue;
    if (code === 0x25 && i + 2 < text.length) {
      const byte = Number.parseInt(text.slice(i + 1, i + 3), 16);
      if (/^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3)) && byte >= 0x20 && byte <= 0x7e) {
        view += String.fromCharCode(byte);
        from.push(i);
        to.push(i + 3);
        i += 2;
        continue;
      }
    }
    view += text[i];
    from.push(i);
    to.push(i + 1);
  }
  return { text: view, from: Int32Array.from(from), to: Int32Array.from(to) };
}

/** A span of the view as a span of the original text (covering any invisible characters inside it). */
export function toOriginal(view: TextView, span: Span): Span {
  return { start: view.from[span.start] ?? 0, end: view.to[span.end - 1] ?? 0, kind: span.kind };
}
