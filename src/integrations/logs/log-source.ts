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
  /** New matching lines as they are written, oldest first, until the signal aborts. */
  tail(query: TailQuery, options: TailOptions): AsyncGenerator<LogLine>;
}

export type TailQuery = Omit<LogQuery, 'start' | 'end' | 'limit'>;

export interface TailOptions {
  signal: AbortSignal;
  /** How often to look for new lines; default 2 s. */
  pollMs?: number;
  /** Lines from this time on; default now. */
  since?: Date;
  now?: () => Date;
}

/**
 * Follows a source by asking it for the lines after the last one seen, every `pollMs`: one
 * way for files, Loki and pod logs alike (Loki's own tail endpoint is a WebSocket, pod logs a
 * held-open stream; polling the range query needs neither and survives reconnects). Lines
 * that share the cursor's timestamp are told apart by their text, so none repeats.
 */
export async function* pollTail(source: LogSource, query: TailQuery, options: TailOptions): AsyncGenerator<LogLine> {
  const now = options.now ?? (() => new Date());
  // From the start of the second: file and vLLM timestamps have whole seconds.
  let cursor = new Date(Math.floor((options.since ?? now()).getTime() / 1000) * 1000);
  let atCursor = new Set<string>();
  while (!options.signal.aborted) {
    const end = now();
    const found = await source.query({ ...query, start: cursor, end, limit: 5000 });
    for (const line of found.sort((a, b) => a.at.getTime() - b.at.getTime())) {
      if (line.at.getTime() === cursor.getTime()) {
        if (atCursor.has(line.raw)) continue;
      } else if (line.at > cursor) {
        cursor = line.at;
        atCursor = new Set();
      } else continue;
      atCursor.add(line.raw);
      yield line;
    }
    await abortableDelay(options.pollMs ?? 2000, options.signal);
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
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
