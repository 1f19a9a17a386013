/** One log line, parsed enough to filter by time, level and text. */
export interface LogLine {
  at: Date;
  level: string;
  deployment: string;
  message: string;
  raw: string;
}

export interface LogQuery {
  deployment?: string | undefined;
  start: Date;
  end: Date;
  /** Plain text (case-insensitive) or a regex. */
  match?: string | RegExp | undefined;
  /** Lowest level to include. */
  level?: 'error' | 'warn' | 'info' | 'debug' | undefined;
  limit: number;
}

/** Where logs come from: the demo fleet's files by default; Loki or Kubernetes pod logs in production. */
export interface LogSource {
  readonly name: string;
  /** Matching lines, newest first, at most `limit`. */
  query(query: LogQuery): Promise<LogLine[]>;
  /** Every line of the range (for template mining), oldest first, at most `limit`. */
  lines(query: Omit<LogQuery, 'match' | 'level'>): Promise<LogLine[]>;
}

const LEVEL_RANK: Record<string, number> = { TRACE: 0, DEBUG: 0, INFO: 1, WARNING: 2, WARN: 2, ERROR: 3, CRITICAL: 4, FATAL: 4 };

export function levelAtLeast(level: string, minimum: LogQuery['level']): boolean {
  if (!minimum) return true;
  return (LEVEL_RANK[level.toUpperCase()] ?? 1) >= (LEVEL_RANK[minimum.toUpperCase()] ?? 0);
}

/** `/regex/flags` is a regex; anything else is case-insensitive text. */
export function parseMatch(query: string | undefined): string | RegExp | undefined {
  if (!query) return undefined;
  const regex = /^\/(.+)\/([gimsuy]*)$/.exec(query);
  if (regex) return new RegExp(regex[1] as string, (regex[2] ?? '').replace('g', ''));
  return query;
}

export function matches(line: LogLine, match: string | RegExp | undefined): boolean {
  if (match === undefined) return true;
  return typeof match === 'string' ? line.raw.toLowerCase().includes(match.toLowerCase()) : match.test(line.raw);
}
