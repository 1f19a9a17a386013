import type { ToolResult } from '../tools/tool-definition.ts';

/**
 * Renders a tool result as the text the model sees, within `maxChars`. Large results
 * are shrunk step by step (long arrays keep their first items, long strings are cut),
 * and in the end only the summary is kept; a `_note` always says what was cut, so the
 * model knows to ask a narrower question rather than to guess.
 */
export function renderForModel(result: ToolResult, maxChars: number): string {
  const full = JSON.stringify(result);
  if (full.length <= maxChars) return full;

  const note = (kept: string) =>
    `result cut to fit the context budget (${full.length.toLocaleString('en-US')} chars, budget ${maxChars.toLocaleString('en-US')}): ${kept}; ask a narrower question for the rest`;

  if ('data' in result && result.data !== undefined) {
    for (let items = 20, chars = 400; items >= 1; items = Math.floor(items / 2), chars = Math.floor(chars / 2)) {
      const data = shrink(result.data, items, Math.max(chars, 40));
      const text = JSON.stringify({ ...result, data, _note: note(`lists keep their first ${items} items`) });
      if (text.length <= maxChars) return text;
    }
  }
  const { data: _dropped, ...rest } = result as ToolResult & { data?: unknown };
  const skeleton = JSON.stringify({ ...rest, summary: '', _note: note('data left out') });
  const room = Math.max(0, maxChars - skeleton.length - 1);
  const summary = rest.summary.length > room ? `${rest.summary.slice(0, Math.max(0, room - 1))}…` : rest.summary;
  return JSON.stringify({ ...rest, summary, _note: note('data left out') });
}

function shrink(value: unknown, maxItems: number, maxString: number): unknown {
  if (typeof value === 'string')
    return value.length > maxString ? `${value.slice(0, maxString)}… (${value.length} chars)` : value;
  if (Array.isArray(value)) {
    const kept = value.slice(0, maxItems).map((item) => shrink(item, maxItems, maxString));
    return value.length > maxItems ? [...kept, `… ${value.length - maxItems} more items cut`] : kept;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shrink(item, maxItems, maxString)]));
  }
  return value;
}
