/** `llmops forecast`: CSV in (timestamp,value), CSV out (forecast with 80 % / 95 % intervals), for capacity planning. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { forecast } from '../analysis/forecast/index.ts';
import type { SeriesPoint } from '../analysis/forecast/prepare.ts';
import { AppError, describeError } from '../errors.ts';

export const FORECAST_USAGE = `  forecast [FILE] --horizon N [--period P]
                               forecast a timestamp,value CSV (FILE or stdin; UTC "2014-04-01 00:00:00")
                               N points ahead; prints timestamp,forecast,lo80,hi80,lo95,hi95`;

export interface ForecastCsvOptions {
  /** Points to forecast, at the series' median spacing. */
  horizon: number;
  /** Points per season; inferred from the spacing (one day) when absent. */
  period?: number;
}

export interface ForecastCsvResult {
  /** Forecast rows written (the header not counted). */
  rows: number;
  model: string;
  description: string;
  notes: string[];
  backtest: Array<{ model: string; mase: number; coverage80: number; coverage95: number }>;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?Z?$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const GAP = /^(|nan|null|na)$/i;
const EXPECTED = 'expected "timestamp,value" with a UTC timestamp like 2014-04-01 00:00:00 and a number';

/** Unix seconds for `YYYY-MM-DD HH:MM[:SS]` (UTC); undefined when malformed or not a real date. */
export function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map((p) => Number(p ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(ms);
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return ms / 1000;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, the format the input uses. */
export function formatTimestamp(unixSeconds: number): string {
  return new Date(Math.round(unixSeconds) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

function unquote(field: string): string {
  const f = field.trim();
  return f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).trim() : f;
}

/** Reads `timestamp,value` rows; an optional header line, blank lines, and empty/NaN values (gaps) are allowed. */
export async function readSeriesCsv(input: NodeJS.ReadableStream): Promise<SeriesPoint[]> {
  const points: SeriesPoint[] = [];
  let lineNo = 0;
  let seenContent = false;
  for await (const raw of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNo++;
    const line = (lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
    if (!line) continue;
    const fields = line.split(',').map(unquote);
    const first = !seenContent;
    seenContent = true;
    // A header: the first line, neither a timestamp in front nor a number behind (so "abc,1" is still an error).
    if (first && parseTimestamp(fields[0] ?? '') === undefined && !NUMBER.test(fields[1] ?? '')) continue;
    if (fields.length !== 2) {
      throw new AppError('forecast_csv_invalid', `line ${lineNo}: ${EXPECTED}; got ${fields.length} fields in "${line}".`);
    }
    const [stamp, value] = fields as [string, string];
    const t = parseTimestamp(stamp);
    if (t === undefined) {
      throw new AppError('forecast_csv_invalid', `line ${lineNo}: ${EXPECTED}; "${stamp}" is not such a timestamp.`);
    }
    if (GAP.test(value)) {
      points.push({ t, v: Number.NaN });
      continue;
    }
    if (!NUMBER.test(value)) {
      throw new AppError(
        'forecast_csv_invalid',
        `line ${lineNo}: ${EXPECTED}; "${value}" is not a number (leave it empty or write NaN for a gap).`,
      );
    }
    points.push({ t, v: Number(value) });
  }
  if (!points.length) {
    throw new AppError('forecast_csv_empty', `The CSV has no data rows: ${EXPECTED} on each line.`);
  }
  return points;
}

/** Numbers to 8 significant digits, without trailing zeros. */
function formatNumber(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(8))) : 'NaN';
}

/**
 * Reads a `timestamp,value` CSV, forecasts `horizon` points past its end at its median spacing, and writes
 * `timestamp,forecast,lo80,hi80,lo95,hi95`. Throws AppError with the line number on malformed input.
 */
export async function forecastCsv(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  options: ForecastCsvOptions,
): Promise<ForecastCsvResult> {
  if (!Number.isInteger(options.horizon) || options.horizon < 1) {
    throw new AppError('forecast_bad_horizon', `horizon must be a whole number of points ≥ 1, not ${options.horizon}.`);
  }
  const series = await readSeriesCsv(input);
  const result = forecast(series, {
    horizonPoints: options.horizon,
    ...(options.period === undefined ? {} : { period: options.period }),
  });
  const lines = ['timestamp,forecast,lo80,hi80,lo95,hi95'];
  for (const p of result.points) {
    lines.push(
      [formatTimestamp(p.t), p.mean, p.lo80, p.hi80, p.lo95, p.hi95]
        .map((x) => (typeof x === 'string' ? x : formatNumber(x)))
        .join(','),
    );
  }
  output.write(`${lines.join('\n')}\n`);
  return {
    rows: result.points.length,
    model: result.model,
    description: result.description,
    notes: result.notes,
    backtest: result.backtest,
  };
}

/** `llmops forecast [FILE] --horizon N [--period P]`: forecast CSV on stdout, model and notes on stderr. */
export async function runForecastCommand(
  args: string[],
  io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  let parsed: ReturnType<typeof parseForecastArgs>;
  try {
    parsed = parseForecastArgs(args);
  } catch (error) {
    throw new AppError('forecast_usage', `${describeError(error)}\n${FORECAST_USAGE}`);
  }
  const input = parsed.file ? createReadStream(parsed.file) : io.stdin;
  const result = await forecastCsv(input, io.stdout, parsed.options);
  io.stderr.write(`model: ${result.model} (${result.description})\n`);
  for (const b of result.backtest) {
    io.stderr.write(
      `  back-test ${b.model}: MASE ${b.mase.toFixed(3)}, 80 % covers ${(b.coverage80 * 100).toFixed(0)} %, 95 % covers ${(b.coverage95 * 100).toFixed(0)} %\n`,
    );
  }
  for (const note of result.notes) io.stderr.write(`  note: ${note}\n`);
  return 0;
}

function parseForecastArgs(args: string[]): { file: string | undefined; options: ForecastCsvOptions } {
  const { values, positionals } = parseArgs({
    args,
    options: { horizon: { type: 'string' }, period: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length > 1) throw new Error(`forecast takes at most one FILE, got ${positionals.length}`);
  const horizon = Number(values.horizon);
  if (values.horizon === undefined || !Number.isInteger(horizon) || horizon < 1) {
    throw new Error('--horizon N is required: a whole number of points ≥ 1');
  }
  const period = values.period === undefined ? undefined : Number(values.period);
  if (period !== undefined && (!Number.isInteger(period) || period < 1)) throw new Error('--period P must be a whole number ≥ 1');
  return { file: positionals[0], options: { horizon, ...(period === undefined ? {} : { period }) } };
}
