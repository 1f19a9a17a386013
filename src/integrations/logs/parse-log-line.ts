import { z } from 'zod';

/** What one log line says about itself: its level and message, and its time when it carries a full date. */
export interface ParsedLogLine {
  layout: 'vllm' | 'json' | 'plain';
  /** Upper case (`INFO`, `WARNING`, …); undefined when the line does not say. */
  level: string | undefined;
  message: string;
  /** Local date-time of a vLLM-layout line with a full `YYYY-MM-DD` date; vLLM's own `MM-DD` has no year. */
  at?: Date;
}

/**
 * `[(APIServer pid=1) ]LEVEL DATE TIME [file.py:123] message`: the demo fleet writes `2026-11-29 14:03:07`,
 * vLLM writes `11-29 14:03:07` (before 0.6 without the opening bracket; from 0.10 after a process prefix).
 */
const VLLM =
  /^(?:\([^)]*\)\s+)?(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\s+(?:(\d{4}-\d{2}-\d{2})|\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:[.,](\d+))?\s+(?:\[[^\]]*\]\s+|[\w.-]+:\d+\]\s+)?(.*)$/;

const jsonLine = z.looseObject({
  level: z.union([z.string(), z.number()]).optional(),
  severity: z.union([z.string(), z.number()]).optional(),
  msg: z.string().optional(),
  message: z.string().optional(),
});

/** pino's and bunyan's numeric levels. */
const NUMERIC_LEVELS: Array<[number, string]> = [
  [60, 'FATAL'],
  [50, 'ERROR'],
  [40, 'WARN'],
  [30, 'INFO'],
  [20, 'DEBUG'],
  [10, 'TRACE'],
];

/** Reads a vLLM-layout line, a JSON line (`level`/`severity`, `msg`/`message`) or anything else as plain text. */
export function parseLogLine(raw: string): ParsedLogLine {
  const vllm = VLLM.exec(raw);
  if (vllm) {
    const [, level, date, time, fraction, message] = vllm;
    const parsed: ParsedLogLine = { layout: 'vllm', level, message: message ?? '' };
    if (date) parsed.at = new Date(`${date}T${time}${fraction ? `.${fraction.slice(0, 3).padEnd(3, '0')}` : ''}`);
    return parsed;
  }
  if (raw.trimStart().startsWith('{')) {
    const fields = jsonLine.safeParse(parseJson(raw));
    if (fields.success) {
      const { level, severity, msg, message } = fields.data;
      return { layout: 'json', level: normaliseLevel(level ?? severity), message: msg ?? message ?? raw };
    }
  }
  return { layout: 'plain', level: undefined, message: raw };
}

/** `warn` → `WARN`, pino's `50` → `ERROR`; Loki's `unknown` (and nothing) → undefined. */
export function normaliseLevel(level: string | number | undefined): string | undefined {
  if (typeof level === 'number') return NUMERIC_LEVELS.find(([floor]) => level >= floor)?.[1] ?? 'TRACE';
  const text = level?.trim().toUpperCase();
  if (!text || text === 'UNKNOWN') return undefined;
  return text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
