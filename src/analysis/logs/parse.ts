import { TemplateMiner, type TemplateMinerOptions } from './drain.ts';
import { formatContent, type LogFormat } from './format.ts';
import { LineSplitter, readLinesSync } from './lines.ts';
import type { TextSource } from './message-keys.ts';

/**
 * Parses log lines into final groups. One streaming pass: each line's content (the format's
 * `Content`, or the whole line when it does not match) is added to a TemplateMiner and its cluster
 * id stored in a growable Int32Array (4 bytes a line). At the end each id is resolved to its final
 * cluster (clusters of variable words are merged then) and the final template is read. Templates
 * of clusters evicted by the LRU cap are kept (as text) so their lines still get theirs.
 *
 * EventIds `E1`, `E2`, … are numbered by first appearance in the file.
 */
export interface ParsedLog {
  lines: number;
  unmatched: number;
  /** Per line (0-based), the EventId number (1-based). */
  eventIds: Int32Array;
  /** Template of EventId n at index n - 1. */
  templates: string[];
}

/** Line-at-a-time parser behind `parseLogStream` (and the benchmarks, which hold lines in memory). */
export class LogParser {
  private readonly miner: TemplateMiner;
  private readonly evicted = new Map<number, string>();
  private ids = new Int32Array(1 << 16);
  private lines = 0;
  private unmatched = 0;

  constructor(
    private readonly format: LogFormat | undefined,
    options: TemplateMinerOptions = {},
  ) {
    this.miner = new TemplateMiner({
      ...options,
      onEvict: (cluster) => {
        this.evicted.set(cluster.id, cluster.template);
        options.onEvict?.(cluster);
      },
    });
  }

  /** Adds one raw line (a trailing `\r` is dropped). */
  push(raw: string): void {
    const content = lineContent(this.format, raw);
    if (content === undefined) this.unmatched++;
    this.record(this.miner.assign(content ?? raw.replace(/\r$/, '')));
  }

  /**
   * Adds one line split elsewhere (its content as `push` finds it, tokens by a miner with the same
   * options), given as its `messageKey` and its `variableTexts` (`source.slice(from, to)`);
   * `matched` says whether the format matched.
   */
  pushKeyed(key: string, matched: boolean, source: TextSource, from: number, to: number): void {
    if (!matched) this.unmatched++;
    this.record(this.miner.assignKeyed(key, source, from, to));
  }

  private record(clusterId: number): void {
    if (this.lines === this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.lines++] = clusterId;
  }

  /** Final groups of every line pushed so far, numbered by first appearance. */
  finish(): ParsedLog {
    const templates: string[] = [];
    const eventIds = new Int32Array(this.lines);
    // Per cluster id as added (ids are small and dense): its event, once its final cluster has one.
    const eventOfId = new Map<number, number>();
    const eventOfFinal = new Map<number, number>();
    for (let i = 0; i < this.lines; i++) {
      const id = this.ids[i] as number;
      let event = eventOfId.get(id);
      if (event === undefined) {
        const clusterId = this.miner.resolve(id);
        event = eventOfFinal.get(clusterId);
        if (event === undefined) {
          templates.push(this.miner.template(clusterId) ?? this.evicted.get(clusterId) ?? '');
          event = templates.length;
          eventOfFinal.set(clusterId, event);
        }
        eventOfId.set(id, event);
      }
      eventIds[i] = event;
    }
    return { lines: this.lines, unmatched: this.unmatched, eventIds, templates };
  }
}

/** The format's `Content` of a raw line (a trailing `\r` dropped); the whole line without a format; undefined when it does not match. */
export function lineContent(format: LogFormat | undefined, raw: string): string | undefined {
  const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
  return format ? formatContent(format, line.trim()) : line;
}

/** Parses a stream of log text (lines as readline splits them). */
export async function parseLogStream(
  input: NodeJS.ReadableStream,
  format: LogFormat | undefined,
  options: TemplateMinerOptions = {},
): Promise<ParsedLog> {
  const parser = new LogParser(format, options);
  const splitter = new LineSplitter((line) => parser.push(line));
  for await (const chunk of input) splitter.write(chunk as Buffer | string);
  splitter.end();
  return parser.finish();
}

/** Parses a log file read in large chunks: the same result as `parseLogStream` on a read stream of it. */
export function parseLogFile(path: string, format: LogFormat | undefined, options: TemplateMinerOptions = {}): ParsedLog {
  const parser = new LogParser(format, options);
  readLinesSync(path, (line) => parser.push(line));
  return parser.finish();
}
