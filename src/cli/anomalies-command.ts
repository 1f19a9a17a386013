import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createDetector, DEFAULT_DETECTOR, DETECTOR_NAMES, type DetectorName } from '../analysis/anomaly/index.ts';
import type { AnomalyDetector } from '../analysis/anomaly/types.ts';
import { AppError } from '../errors.ts';

/**
 * `timestamp,value` CSV in, `timestamp,value,anomaly_score` CSV out, one row at a time.
 *
 * Streaming and causal: rows are read with readline and scored by one streaming detector as they
 * arrive, so each score depends only on the rows up to its own, memory stays constant whatever the
 * file size, and output rows come out in input order. Timestamps are `YYYY-MM-DD HH:MM:SS` (a `T`
 * separator, fractional seconds and a trailing `Z` are accepted), read as UTC. Rows are scored in
 * file order; a timestamp earlier than the one before is accepted (real exports repeat an hour now
 * and then). Errors are AppErrors that name the line and what was expected there.
 */
export interface ScoreCsvOptions {
  /** Which detector scores the rows (default `hybrid`), or a factory for a custom one. */
  detector?: DetectorName | string | (() => AnomalyDetector);
  /** Decimals of the anomaly_score column; default 5. */
  decimals?: number;
}

const EXPECTED_HEADER = 'timestamp,value';
const FLUSH_BYTES = 1 << 16;

export async function scoreCsv(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  options: ScoreCsvOptions = {},
): Promise<{ rows: number; repeated: number }> {
  const detector =
    typeof options.detector === 'function' ? options.detector() : createDetector(options.detector ?? DEFAULT_DETECTOR);
  const decimals = options.decimals ?? 5;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  let rows = 0;
  let repeated = 0;
  let previous: { t: number; stamp: string; line: number } | undefined;
  let buffer = '';
  let headerSeen = false;

  const flush = async (): Promise<void> => {
    if (!buffer) return;
    const chunk = buffer;
    buffer = '';
    if (!output.write(chunk)) await once(output, 'drain');
  };

  try {
    for await (const raw of lines) {
      lineNumber++;
      if (!headerSeen) {
        headerSeen = true;
        const header = raw
          .replace(/^\uFEFF/, '')
          .trim()
          .toLowerCase()
          .replace(/\s*,\s*/g, ',');
        if (header !== EXPECTED_HEADER) {
          throw new AppError(
            'anomaly_csv_header',
            `line 1: expected the header "${EXPECTED_HEADER}", got ${JSON.stringify(raw.slice(0, 80))}`,
          );
        }
        buffer += 'timestamp,value,anomaly_score\n';
        continue;
      }
      const line = raw.trim();
      if (line === '') continue;
      const comma = line.indexOf(',');
      if (comma < 0 || line.indexOf(',', comma + 1) >= 0) {
        throw new AppError(
          'anomaly_csv_row',
          `line ${lineNumber}: expected 2 fields "timestamp,value", got ${JSON.stringify(line.slice(0, 80))}`,
        );
      }
      const stamp = line.slice(0, comma).trim();
      const valueText = line.slice(comma + 1).trim();
      const t = parseTimestamp(stamp);
      if (Number.isNaN(t)) {
        throw new AppError(
          'anomaly_csv_timestamp',
          `line ${lineNumber}: expected a timestamp like 2014-04-01 00:00:00 (UTC), got ${JSON.stringify(stamp.slice(0, 40))}`,
        );
      }
      const value = valueText === '' ? Number.NaN : Number(valueText);
      if (!Number.isFinite(value)) {
        throw new AppError(
          'anomaly_csv_value',
          `line ${lineNumber}: expected a number in the value column, got ${JSON.stringify(valueText.slice(0, 40))}`,
        );
      }
      // Scoring is causal, row by row in time: a row earlier than the one before would be scored against its future.
      if (previous && t < previous.t)
        throw new AppError(
          'anomaly_csv_order',
          `line ${lineNumber}: ${stamp} is earlier than ${previous.stamp} on line ${previous.line}; the rows must be in time order (sort the file by its timestamp first)`,
        );
      if (previous && t === previous.t) repeated++;
      previous = { t, stamp, line: lineNumber };
      const score = detector.update(t, value);
      buffer += `${stamp},${valueText},${score.toFixed(decimals)}\n`;
      rows++;
      if (buffer.length >= FLUSH_BYTES) await flush();
    }
    if (rows === 0)
      throw new AppError(
        'anomaly_csv_empty',
        headerSeen
          ? 'the input has a header but no rows: expected "timestamp,value" rows after it'
          : 'the input is empty: expected a header "timestamp,value" and rows such as "2014-04-01 00:00:00,42.5"',
      );
    await flush();
  } finally {
    lines.close();
  }
  return { rows, repeated };
}

let cachedDay = '';
let cachedDayMs = Number.NaN;

function digits(text: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    n = n * 10 + c;
  }
  return n;
}

/**
 * `YYYY-MM-DD HH:MM:SS` (or with `T`, optional `.fff…` and optional `Z`) as UTC epoch milliseconds;
 * NaN when the text is not such a timestamp or names an impossible date or time.
 */
export function parseTimestamp(text: string): number {
  let end = text.length;
  if (text.charCodeAt(end - 1) === 90 /* Z */) end--;
  if (end < 19) return Number.NaN;
  const sep = text.charCodeAt(10);
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (sep !== 32 && sep !== 84)) return Number.NaN;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return Number.NaN;
  let fraction = 0;
  if (end > 19) {
    if (text.charCodeAt(19) !== 46 || end === 20) return Number.NaN;
    const frac = digits(text, 20, end - 20);
    if (Number.isNaN(frac)) return Number.NaN;
    fraction = (frac / 10 ** (end - 20)) * 1000;
  }
  const day = text.slice(0, 10);
  let dayMs: number;
  if (day === cachedDay) dayMs = cachedDayMs;
  else {
    const year = digits(text, 0, 4);
    const month = digits(text, 5, 2);
    const date = digits(text, 8, 2);
    if (!(month >= 1 && month <= 12 && date >= 1 && date <= 31)) return Number.NaN;
    dayMs = Date.UTC(year, month - 1, date);
    // Date.UTC rolls 2014-02-30 over to March: reject dates that do not exist.
    if (new Date(dayMs).getUTCDate() !== date) return Number.NaN;
    cachedDay = day;
    cachedDayMs = dayMs;
  }
  const hours = digits(text, 11, 2);
  const minutes = digits(text, 14, 2);
  const seconds = digits(text, 17, 2);
  if (!(hours <= 23 && minutes <= 59 && seconds <= 59)) return Number.NaN;
  return dayMs + hours * 3_600_000 + minutes * 60_000 + seconds * 1000 + fraction;
}

/** `llmops anomalies score [FILE] [--detector NAME]`: scored CSV on stdout. */
export async function runAnomaliesCommand(
  args: string[],
  io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'score')
    throw new AppError('anomalies_usage', `usage: llmops anomalies score [FILE] [--detector ${DETECTOR_NAMES.join('|')}]`);
  const { values, positionals } = parseArgs({ args: rest, options: { detector: { type: 'string' } }, allowPositionals: true });
  if (positionals.length > 1)
    throw new AppError('anomalies_usage', `anomalies score takes at most one FILE, got ${positionals.length}`);
  const input = positionals[0] ? createReadStream(positionals[0]) : io.stdin;
  const { rows, repeated } = await scoreCsv(input, io.stdout, values.detector ? { detector: values.detector } : {});
  if (repeated > 0)
    io.stderr.write(
      `llmops anomalies score: warning: ${repeated} of ${rows} rows repeat the timestamp of the row before; each was scored as a new observation (aggregate them first if they are one measurement).\n`,
    );
  return 0;
}
