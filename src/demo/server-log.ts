import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A simulated server's log file in vLLM's layout (`LEVEL date time [file.py:123] message`),
 * with a full local date (`2026-11-29 14:03:07`) where vLLM prints only month and day.
 * Lines are appended synchronously: the simulator logs a few lines a minute, and a line
 * must never be lost on a crash.
 */
export class ServerLog {
  constructor(
    readonly path: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  info(source: string, message: string, at?: Date): void {
    this.write('INFO', source, message, at);
  }

  warn(source: string, message: string, at?: Date): void {
    this.write('WARNING', source, message, at);
  }

  error(source: string, message: string, at?: Date): void {
    this.write('ERROR', source, message, at);
  }

  /** Appends lines that happened at given times (the back-fill writes a past incident this way). */
  writeAll(lines: Array<{ level: 'INFO' | 'WARNING' | 'ERROR'; source: string; message: string; at: Date }>): void {
    if (lines.length === 0) return;
    appendFileSync(this.path, lines.map((line) => format(line.level, line.source, line.message, line.at)).join(''));
  }

  private write(level: string, source: string, message: string, at?: Date): void {
    appendFileSync(this.path, format(level, source, message, at ?? this.clock()));
  }
}

function format(level: string, source: string, message: string, at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  return `${level} ${stamp} [${source}] ${message}\n`;
}
