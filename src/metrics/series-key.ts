/**
 * The canonical identity of a series: `name{a="1",b="2"}` with labels sorted by name and
 * values escaped as in the exposition format. The scraper, the store and the back-fill
 * all key series this way, so the same series is always the same string.
 */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return name;
  return `${name}{${names.map((label) => `${label}="${escapeLabelValue(labels[label] as string)}"`).join(',')}}`;
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export interface ParsedKey {
  name: string;
  labels: Record<string, string>;
}

/** Splits a canonical key back into its name and labels. */
export function parseSeriesKey(key: string): ParsedKey {
  const brace = key.indexOf('{');
  if (brace < 0) return { name: key, labels: {} };
  const labels: Record<string, string> = {};
  const body = key.slice(brace + 1, -1);
  const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const match of body.matchAll(pattern)) {
    labels[match[1] as string] = (match[2] as string).replace(/\\(n|\\|")/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return { name: key.slice(0, brace), labels };
}
