/** Formats a metric value with its unit the way an operator reads it: "128 ms", "2.35 s", "4.2%", "3.1 req/s". */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 's') return value < 1 ? `${round(value * 1000)} ms` : `${round(value)} s`;
  if (unit === 'ratio') return `${round(value * 100)}%`;
  return `${round(value)} ${unit}`;
}

function round(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toFixed(digits);
}
