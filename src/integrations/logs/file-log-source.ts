import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  type LogLine,
  type LogQuery,
  type LogSource,
  levelAtLeast,
  matches,
  pollTail,
  type TailOptions,
  type TailQuery,
} from './log-source.ts';
import { parseLogLine } from './parse-log-line.ts';

/**
 * Logs from files, one per deployment, read line by line: lines outside the range or not
 * matching are skipped as they stream past, and only the newest `limit` are kept.
 */
export class FileLogSource implements LogSource {
  readonly name = 'file';

  tail(query: TailQuery, options: TailOptions): AsyncGenerator<LogLine> {
    return pollTail(this, query, options);
  }

  constructor(private readonly files: () => ReadonlyArray<{ deployment: string; path: string }>) {}

  async query(query: LogQuery): Promise<LogLine[]> {
    const kept: LogLine[] = [];
    await this.scan(query, (line) => {
      if (!levelAtLeast(line.level, query.level) || !matches(line, query.match)) return;
      kept.push(line);
      if (kept.length > query.limit * 4) kept.splice(0, kept.length - query.limit);
    });
    return kept.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, query.limit);
  }

  async lines(query: Omit<LogQuery, 'match' | 'level'>): Promise<LogLine[]> {
    const kept: LogLine[] = [];
    await this.scan(query, (line) => {
      if (kept.length < query.limit) kept.push(line);
    });
    return kept.sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  private async scan(query: Pick<LogQuery, 'deployment' | 'start' | 'end'>, visit: (line: LogLine) => void): Promise<void> {
    for (const file of this.files()) {
      if (query.deployment && file.deployment !== query.deployment) continue;
      if (!existsSync(file.path)) continue;
      const reader = createInterface({ input: createReadStream(file.path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
      for await (const raw of reader) {
        // Only `LEVEL 2026-11-29 14:03:07 [file.py:123] message` lines: a file's lines carry their own local time.
        const { layout, level, message, at } = parseLogLine(raw);
        if (layout !== 'vllm' || !at || !level) continue;
        if (at < query.start || at > query.end) continue;
        visit({ at, level, deployment: file.deployment, message, raw });
      }
    }
  }
}
