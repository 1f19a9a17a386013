/**
 * Grouping accuracy (GA, Zhu et al., ICSE 2019): a line is correct when the set of lines in its
 * predicted group equals the set of lines in its ground-truth group; GA = correct / all lines.
 */
export function groupingAccuracy(predicted: readonly (string | number)[], truth: readonly (string | number)[]): number {
  if (predicted.length !== truth.length) throw new RangeError(`${predicted.length} predictions for ${truth.length} lines`);
  if (truth.length === 0) return 1;
  const key = (groups: readonly (string | number)[]) => {
    const members = new Map<string | number, number[]>();
    groups.forEach((g, i) => {
      const list = members.get(g);
      if (list) list.push(i);
      else members.set(g, [i]);
    });
    return members;
  };
  const predictedGroups = key(predicted);
  const truthGroups = key(truth);
  let correct = 0;
  for (const [, lines] of truthGroups) {
    const first = lines[0];
    if (first === undefined) continue;
    const other = predictedGroups.get(predicted[first] as string | number);
    if (other && other.length === lines.length && other.every((line, i) => line === lines[i])) correct += lines.length;
  }
  return correct / truth.length;
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** One CSV field, quoted when it holds a comma, quote, or line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
