import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Config } from '../config.ts';
import { createLogger, type Logger } from '../observability/logger.ts';

/**
 * Commands print results on stdout and failures in words; their logs go to DATA_DIR/logs/llmops.log,
 * or to stderr when LOG_LEVEL asks.
 */
export function commandLogger(config: Config, stderr: NodeJS.WritableStream): Logger {
  return process.env.LOG_LEVEL
    ? createLogger(config.LOG_LEVEL, stderr)
    : createLogger(config.LOG_LEVEL, commandLog(config.DATA_DIR));
}

/** The command's log file; when DATA_DIR cannot hold it, no log, and opening the database says what is wrong. */
function commandLog(dataDir: string) {
  try {
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    return pino.destination({ dest: join(dataDir, 'logs', 'llmops.log'), sync: true });
  } catch {
    return new Writable({ write: (_chunk, _encoding, done) => done() });
  }
}
