import { AppError } from '../../errors.ts';
import { seriesKey } from '../series-key.ts';

/**
 * Parses Prometheus' text exposition format (0.0.4) into canonical series keys and
 * values. Comments, HELP and TYPE lines are skipped; optional timestamps are ignored
 * (the scrape time is used, as Prometheus does by default).
 */
export function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  let lineNumber = 0;
  for (const rawLine of text.split('\n')) {
    lineNumber++;
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parsed = parseSampleLine(line);
    if (!parsed) throw new AppError('exposition_invalid', `line ${lineNumber} is not a Prometheus sample: ${line.slice(0, 120)}`);
    samples.set(seriesKey(parsed.name, parsed.labels), parsed.value);
  }
  return samples;
}

function parseSampleLine(line: string): { name: string; labels: Record<string, string>; value: number } | undefined {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) return undefined;
  const name = nameMatch[0];
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    let index = 1;
    while (index < rest.length && rest[index] !== '}') {
      const labelMatch = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(rest.slice(index));
      if (!labelMatch) return undefined;
      index += labelMatch[0].length;
      let value = '';
      while (index < rest.length && rest[index] !== '"') {
        if (rest[index] === '\\') {
          const next = rest[index + 1];
          value += next === 'n' ? '\n' : (next ?? '');
          index += 2;
        } else {
          value += rest[index];
          index++;
        }
      }
      if (rest[index] !== '"') return undefined;
      labels[labelMatch[1] as string] = value;
      index++;
      while (rest[index] === ' ' || rest[index] === ',') index++;
    }
    if (rest[index] !== '}') return undefined;
    rest = rest.slice(index + 1);
  }
  const [valueText] = rest.trim().split(/\s+/);
  if (valueText === undefined || valueText === '') return undefined;
  const value = parseValue(valueText);
  return Number.isNaN(value) && valueText !== 'NaN' ? undefined : { name, labels, value };
}

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  return Number(text);
}
