import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TemplateMinerOptions } from './drain.ts';
import type { LogFormat } from './format.ts';
import type { TextSource } from './message-keys.ts';
import { LogParser, type ParsedLog, parseLogFile } from './parse.ts';

/**
 * `parseLogFile` with a worker thread per core doing what costs most (cutting lines, finding their
 * content, tokenizing) while this thread keeps the one template tree: the file is read in batches
 * cut after a `\n` (so no `\r\n` and no character is split between two), each batch goes to a free
 * worker, and the tokens that come back are added to the tree in the file's order. The result is
 * `parseLogFile`'s, line for line. Files under `minBytes` are parsed on this thread: starting
 * workers costs more than it saves there. So is everything when `workers` is 0, or, by default,
 * when the machine has no core to spare (`defaultWorkers`).
 */
export interface ParallelOptions {
  /** Worker threads (0: none); default `defaultWorkers()`. */
  workers?: number;
  /** Bytes read per batch (more when a line is longer); default 1 MiB. */
  batchBytes?: number;
  /** Smaller files are parsed without workers; default 8 MiB. */
  minBytes?: number;
  /** Keys a worker's dictionary holds before it starts anew; default KEYS_KEPT. */
  keysKept?: number;
}

/** What a worker needs to split lines as `LogParser.push` does. */
export interface TokenizerSetup {
  format: LogFormat | undefined;
  options: TemplateMinerOptions;
  keysKept: number;
}

export interface TokenizeJob {
  seq: number;
  bytes: Uint8Array;
}

/**
 * A batch's lines: per line the number of its `messageKey` in the worker's dictionary (which this
 * batch extends by `newKeys`, after emptying it when `restart`), and its `variableTexts` as UTF-16
 * code units, one line's after another with a `\r` (which no token holds) between them, line i's
 * ending at `ends[i]`; and the lines the format did not match.
 */
export interface TokenBatch {
  seq: number;
  lines: number;
  restart: boolean;
  newKeys: string[];
  keys: Int32Array<ArrayBuffer>;
  variables: Uint16Array<ArrayBuffer>;
  ends: Int32Array<ArrayBuffer>;
  unmatched: number[];
}

/** Text kept as UTF-16 code units, read back a piece at a time. */
class CodeUnits implements TextSource {
  constructor(private readonly units: Uint16Array) {}

  get length(): number {
    return this.units.length;
  }

  slice(from: number, to: number): string {
    let text = '';
    // In pieces: fromCharCode takes its code units as arguments.
    for (let at = from; at < to; at += 4096) text += String.fromCharCode(...this.units.subarray(at, Math.min(to, at + 4096)));
    return text;
  }
}

/** Keys a worker's dictionary holds before it starts anew. */
export const KEYS_KEPT = 1 << 16;

/**
 * A worker per core when the cores are free, else none: the workers spend about 45 % more CPU in
 * all than one thread does (tokens are copied to the tree's thread, each worker warms up on its
 * own), which pays only with a core to spare: on 2 cores busy with other work, one thread
 * finished first (bench/log-throughput.ts). Free means a 1-minute load average at least one core
 * below the cores; where the system keeps no load average (Windows: 0), the cores count as free.
 */
export function defaultWorkers(cores = availableParallelism(), load = loadavg()[0] ?? 0): number {
  return cores >= 2 && load <= cores - 1 ? cores : 0;
}

const WORKER = new URL('./tokenize-worker.mjs', import.meta.url);
/** Batches a worker holds at most: it always has the next one at hand. */
const AHEAD = 2;

export async function parseLogFileInParallel(
  path: string,
  format: LogFormat | undefined,
  options: TemplateMinerOptions = {},
  parallel: ParallelOptions = {},
): Promise<ParsedLog & { workers: number }> {
  const count = Math.max(0, parallel.workers ?? defaultWorkers());
  const batchBytes = Math.max(1, parallel.batchBytes ?? 1 << 20);
  const fd = openSync(path, 'r');
  try {
    if (count === 0 || fstatSync(fd).size < (parallel.minBytes ?? 8 << 20))
      return { ...parseLogFile(path, format, options), workers: 0 };
    const setup: TokenizerSetup = { format, options: tokenizerOptions(options), keysKept: parallel.keysKept ?? KEYS_KEPT };
    return { ...(await inWorkers(fd, setup, new LogParser(format, options), count, batchBytes)), workers: count };
  } finally {
    closeSync(fd);
  }
}

async function inWorkers(
  fd: number,
  setup: TokenizerSetup,
  parser: LogParser,
  count: number,
  batchBytes: number,
): Promise<ParsedLog> {
  const reader = new BatchReader(fd, batchBytes);
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const waiting = new Map<number, { batch: TokenBatch; dictionary: string[] }>();
      let sent = 0;
      let added = 0;
      let failed = false;
      const fail = (error: unknown) => {
        failed = true;
        reject(error);
      };
      const inFlight = new Map<Worker, number>();
      // Batches out at once, sent or waiting for their turn: a slow worker holds back only so much.
      const dispatch = (): void => {
        while (sent - added < workers.length * AHEAD) {
          let target: Worker | undefined;
          for (const worker of workers)
            if (
              (inFlight.get(worker) ?? 0) < AHEAD &&
              (target === undefined || (inFlight.get(worker) ?? 0) < (inFlight.get(target) ?? 0))
            )
              target = worker;
          if (target === undefined) return;
          const bytes = reader.next();
          if (bytes === undefined) return;
          const job: TokenizeJob = { seq: sent++, bytes };
          target.postMessage(job, [bytes.buffer as ArrayBuffer]);
          inFlight.set(target, (inFlight.get(target) ?? 0) + 1);
        }
      };
      for (let i = 0; i < count; i++) {
        const worker = new Worker(WORKER, { workerData: setup });
        const dictionary: string[] = [];
        workers.push(worker);
        worker.on('message', (batch: TokenBatch) => {
          if (failed) return;
          try {
            inFlight.set(worker, (inFlight.get(worker) ?? 1) - 1);
            waiting.set(batch.seq, { batch, dictionary });
            for (let next = waiting.get(added); next !== undefined; next = waiting.get(added)) {
              waiting.delete(added);
              addBatch(parser, next.batch, next.dictionary);
              added++;
            }
            dispatch();
            if (reader.done && added === sent) resolve();
          } catch (error) {
            fail(error);
          }
        });
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (!(reader.done && added === sent)) fail(new Error(`a log tokenizing worker stopped (exit code ${code})`));
        });
      }
      dispatch();
      if (reader.done && added === sent) resolve();
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return parser.finish();
}

/** Adds a worker's batch to the tree, line by line; `dictionary` is that worker's. */
function addBatch(parser: LogParser, batch: TokenBatch, dictionary: string[]): void {
  if (batch.restart) dictionary.length = 0;
  for (const key of batch.newKeys) dictionary.push(key);
  const { keys, ends, unmatched } = batch;
  const variables = new CodeUnits(batch.variables);
  let nextUnmatched = unmatched.length > 0 ? (unmatched[0] as number) : -1;
  let u = 0;
  let from = 0;
  for (let line = 0; line < batch.lines; line++) {
    const matched = line !== nextUnmatched;
    if (!matched) nextUnmatched = ++u < unmatched.length ? (unmatched[u] as number) : -1;
    const to = ends[line] as number;
    parser.pushKeyed(dictionary[keys[line] as number] as string, matched, variables, from, to);
    from = to + 1;
  }
}

/** The options that decide how a message is split (functions do not cross to a worker). */
function tokenizerOptions(options: TemplateMinerOptions): TemplateMinerOptions {
  const { masks, extraMasks, digitTokensAreParams, attachedColonValues, dottedNames, quotedValues, collapseRuns } = options;
  return { masks, extraMasks, digitTokensAreParams, attachedColonValues, dottedNames, quotedValues, collapseRuns };
}

/**
 * Reads a file in batches that end just after a `\n` (the last batch: at the end of the file), each
 * in its own buffer so that it can be handed to a worker.
 */
class BatchReader {
  private carry: Buffer = Buffer.alloc(0);
  done = false;

  constructor(
    private readonly fd: number,
    private readonly batchBytes: number,
  ) {}

  next(): Uint8Array | undefined {
    let want = this.batchBytes;
    while (!this.done) {
      const buffer = Buffer.allocUnsafeSlow(this.carry.length + want);
      this.carry.copy(buffer, 0);
      const read = readSync(this.fd, buffer, this.carry.length, want, null);
      const filled = this.carry.length + read;
      if (read === 0) {
        this.done = true;
        this.carry = Buffer.alloc(0);
        return filled > 0 ? buffer.subarray(0, filled) : undefined;
      }
      const cut = buffer.lastIndexOf(10, filled - 1) + 1;
      if (cut === 0) {
        // No line ends in what was read: read on, twice as much each time (a long line is copied a few times, not once per batch).
        this.carry = buffer.subarray(0, filled);
        want = Math.max(want, filled);
        continue;
      }
      this.carry = Buffer.from(buffer.subarray(cut, filled));
      return buffer.subarray(0, cut);
    }
    return undefined;
  }
}
