import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { csvField } from '../analysis/logs/accuracy.ts';
import { parseLogFormat } from '../analysis/logs/format.ts';
import { parseLogFileInParallel } from '../analysis/logs/parallel-parse.ts';
import type { ParsedLog } from '../analysis/logs/parse.ts';
import { AppError } from '../errors.ts';
import { type LogSource, parseMatch, type TailQuery } from '../integrations/logs/log-source.ts';

export const LOGS_USAGE = `  logs parse FILE --format '<Date> <Time> <Level> <Content>' [--mask REGEX]... [--similarity S] [--depth D] [--merge-distinct N] [--workers N]
                               mine log templates (Drain): prints LineId,EventId,EventTemplate for every line
  logs tail [DEPLOYMENT] [--match TEXT|/REGEX/] [--level error|warn|info|debug] [--since 10m] [--poll-ms N]
                               follow new log lines from LOG_SOURCE until interrupted`;

const USAGE = "usage: llmops logs parse FILE --format '<Date> <Time> <Level> <Content>' [--mask REGEX]...";
const FLUSH_CHARS = 1 << 20;

/**
 * `llmops logs parse FILE --format F [--mask REGEX]... [--similarity S] [--depth D] [--merge-distinct N] [--workers N]`
 * (defaults: DEFAULT_MINER_PARAMETERS, chosen by the leave-one-system-out bench): CSV `LineId,EventId,EventTemplate` on
 * stdout for every line in order (EventIds numbered by first appearance; the FINAL template of each
 * group). The file is read once, in large chunks; 4 bytes a line are kept for the group ids. Lines that
 * do not match the format are parsed whole; their count goes to stderr. Files of 8 MiB or more are
 * split and tokenized on `--workers` threads (0: all on this thread; default one per core when the
 * cores are free, see `defaultWorkers`), with the same output.
 */
export async function runLogsCommand(
  args: string[],
  io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'parse') throw new AppError('logs_usage', USAGE);
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(rest);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('logs_usage', `${(error as Error).message}\n${USAGE}`, { cause: error });
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw new AppError('logs_usage', `logs parse takes one FILE, got ${positionals.length}\n${USAGE}`);
  if (values.format === undefined) throw new AppError('log_format_missing', `logs parse needs --format\n${USAGE}`);
  const format = parseLogFormat(values.format);
  const masks = (values.mask ?? []).map((source) => {
    try {
      return new RegExp(source, 'g');
    } catch (error) {
      throw new AppError(
        'log_mask_invalid',
        `--mask ${JSON.stringify(source)} is not a valid regex: ${(error as Error).message}`,
      );
    }
  });
  const similarity = values.similarity === undefined ? undefined : Number(values.similarity);
  if (similarity !== undefined && !(similarity >= 0 && similarity <= 1))
    throw new AppError('logs_usage', `--similarity must be a number in [0, 1], got ${values.similarity}`);
  const depth = values.depth === undefined ? undefined : Number(values.depth);
  if (depth !== undefined && !(Number.isInteger(depth) && depth >= 3))
    throw new AppError('logs_usage', `--depth must be an integer ≥ 3, got ${values.depth}`);
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 64))
    throw new AppError(
      'logs_usage',
      `--workers must be a whole number from 0 (parse on one thread) to 64 (threads that split and tokenize lines), got ${values.workers}`,
    );
  const mergeDistinct = values['merge-distinct'] === undefined ? undefined : Number(values['merge-distinct']);
  if (mergeDistinct !== undefined && !(Number.isInteger(mergeDistinct) && mergeDistinct >= 0 && mergeDistinct !== 1))
    throw new AppError(
      'logs_usage',
      `--merge-distinct must be 0 (never merge) or an integer ≥ 2 (distinct values that make a word position a parameter), got ${values['merge-distinct']}`,
    );

  const file = positionals[0] as string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new AppError('log_file_invalid', `${file} is not a file`);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('log_file_missing', `cannot read log file ${file}: ${(error as Error).message}`, { cause: error });
  }

  const result = await parseLogFileInParallel(
    file,
    format,
    {
      extraMasks: masks,
      ...(similarity !== undefined ? { similarity } : {}),
      ...(depth !== undefined ? { depth } : {}),
      ...(mergeDistinct !== undefined ? { mergeDistinct } : {}),
    },
    workers !== undefined ? { workers } : {},
  );
  await writeCsv(result, io.stdout);
  io.stderr.write(
    `logs parse: ${result.lines} lines, ${result.templates.length} templates` +
      (result.unmatched ? `, ${result.unmatched} lines did not match the format (parsed whole)` : '') +
      (result.workers ? ` (tokenized on ${result.workers} worker threads)` : '') +
      '\n',
  );
  return 0;
}

/** `LineId,EventId,EventTemplate` rows, written in batches of about FLUSH_CHARS characters. */
async function writeCsv(result: ParsedLog, stdout: NodeJS.WritableStream): Promise<void> {
  // Everything after the line number is the same for every line of an event.
  const rests = result.templates.map((template, index) => `,E${index + 1},${csvField(template)}\n`);
  const { eventIds, lines } = result;
  let batch = 'LineId,EventId,EventTemplate\n';
  for (let i = 0; i < lines; i++) {
    batch += `${i + 1}${rests[(eventIds[i] as number) - 1]}`;
    if (batch.length >= FLUSH_CHARS) {
      const chunk = batch;
      batch = '';
      if (!stdout.write(chunk)) await once(stdout, 'drain');
    }
  }
  if (batch && !stdout.write(batch)) await once(stdout, 'drain');
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    options: {
      format: { type: 'string' },
      mask: { type: 'string', multiple: true },
      similarity: { type: 'string' },
      depth: { type: 'string' },
      'merge-distinct': { type: 'string' },
      workers: { type: 'string' },
    },
    allowPositionals: true,
  });
}

const TAIL_USAGE =
  'usage: llmops logs tail [DEPLOYMENT] [--match TEXT|/REGEX/] [--level error|warn|info|debug] [--since 10m] [--poll-ms N]';

/**
 * `llmops logs tail`: new lines from the configured log source as they are written, one per
 * line on stdout, until SIGINT/SIGTERM (or `signal`) stops it.
 */
export async function tailLogs(
  source: LogSource,
  args: string[],
  io: { stdout: NodeJS.WritableStream },
  signal?: AbortSignal,
): Promise<number> {
  let parsed: ReturnType<typeof parseTailOptions>;
  try {
    parsed = parseTailOptions(args);
  } catch (error) {
    throw new AppError('logs_usage', `${(error as Error).message}\n${TAIL_USAGE}`, { cause: error });
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new AppError('logs_usage', `logs tail takes at most one DEPLOYMENT\n${TAIL_USAGE}`);
  const level = values.level;
  if (level !== undefined && !['error', 'warn', 'info', 'debug'].includes(level))
    throw new AppError('logs_usage', `--level must be error, warn, info or debug, got "${level}"`);
  const since = values.since === undefined ? 0 : durationSeconds(values.since);
  const pollMs = values['poll-ms'] === undefined ? 2000 : Number(values['poll-ms']);
  if (!(Number.isInteger(pollMs) && pollMs >= 100))
    throw new AppError('logs_usage', `--poll-ms must be a whole number ≥ 100, got ${values['poll-ms']}`);
  let match: string | RegExp | undefined;
  try {
    match = parseMatch(values.match);
  } catch (error) {
    throw new AppError('logs_query_invalid', `--match ${values.match} is not a valid regex: ${(error as Error).message}`);
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  signal?.addEventListener('abort', onSignal, { once: true });
  try {
    for await (const line of source.tail(
      { deployment: positionals[0], match, level: level as TailQuery['level'] },
      { signal: stop.signal, pollMs, since: new Date(Date.now() - since * 1000) },
    )) {
      io.stdout.write(`${positionals[0] ? '' : `${line.deployment} `}${line.raw}\n`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}

function parseTailOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      match: { type: 'string' },
      level: { type: 'string' },
      since: { type: 'string' },
      'poll-ms': { type: 'string' },
    },
  });
}

function durationSeconds(text: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(text.trim());
  if (!m) throw new AppError('logs_usage', `--since must be a duration such as 30s, 10m or 2h, got "${text}"`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
}
