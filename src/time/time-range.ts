import { AppError } from '../errors.ts';

export interface TimeRange {
  start: Date;
  end: Date;
  /** The expression as given, for "over <label>" in answers. */
  label: string;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;

export const RANGE_EXPECTED =
  'expected "last 30m", "last 2h", "last 7d", "since 14:00", "today", "yesterday", or "<ISO start>/<ISO end>"';

/** Parses a duration such as "15m", "2h", "7d" into milliseconds, or undefined. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as Unit];
  return ms > 0 ? ms : undefined;
}

/**
 * Resolves a range expression against `now`. Clock times ("since 14:00") are in the
 * process's time zone (`TZ`); a clock time later than now means that time yesterday.
 */
export function parseTimeRange(expression: string, now: Date = new Date()): TimeRange {
  const label = expression.trim();
  const text = label.toLowerCase();
  const end = new Date(now);
  const last = /^last\s+(.+)$/.exec(text);
  if (last?.[1]) {
    const ms = parseDuration(last[1]);
    if (ms !== undefined) return { start: new Date(now.getTime() - ms), end, label };
  }
  const since = /^since\s+(\d{1,2}):(\d{2})$/.exec(text);
  if (since) {
    const hours = Number(since[1]);
    const minutes = Number(since[2]);
    if (hours < 24 && minutes < 60) {
      const start = new Date(now);
      start.setHours(hours, minutes, 0, 0);
      if (start > now) start.setDate(start.getDate() - 1);
      return { start, end, label };
    }
  }
  if (text === 'today') return { start: startOfDay(now, 0), end, label };
  if (text === 'yesterday') return { start: startOfDay(now, -1), end: startOfDay(now, 0), label };
  const [from, to] = label.split('/');
  if (from && to !== undefined) {
    const start = new Date(from);
    const stop = to === '' || to.toLowerCase() === 'now' ? end : new Date(to);
    if (!Number.isNaN(start.getTime()) && !Number.isNaN(stop.getTime()) && start < stop) {
      return { start, end: stop, label };
    }
  }
  throw new AppError('time_range_invalid', `"${label}" is not a time range I understand: ${RANGE_EXPECTED}`);
}

/** True when `parseTimeRange` accepts the expression; used by tool schemas. */
export function isTimeRange(expression: string): boolean {
  try {
    parseTimeRange(expression);
    return true;
  } catch {
    return false;
  }
}

function startOfDay(now: Date, dayOffset: number): Date {
  const day = new Date(now);
  day.setHours(0, 0, 0, 0);
  day.setDate(day.getDate() + dayOffset);
  return day;
}
