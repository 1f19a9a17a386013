import { type DestinationStream, type Logger, pino } from 'pino';
import { scrubForLog, scrubText } from '../security/log-scrubber.ts';

export type { Logger };

/** Credential headers wherever a request's or response's headers end up in a log object. */
const HEADER_PATHS = [
  'authorization',
  'cookie',
  '["set-cookie"]',
  '["x-slack-signature"]',
  '["proxy-authorization"]',
  '["x-api-key"]',
].flatMap((name) => [`headers.${name}`, `*.headers.${name}`, `*.*.headers.${name}`].map((path) => path.replace('.["', '["')));

/**
 * JSON logs on stderr (stdout belongs to the chat and to command output). Nothing secret is
 * written: every logged object passes the log scrubber (secrets in strings become markers,
 * credential fields and headers `[redacted]`, requests and responses only their method, URL or
 * status), messages have their secrets redacted, and pino's redaction paths catch credential
 * headers as a last line.
 */
export function createLogger(level: string, destination: DestinationStream | NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level,
      base: { service: 'llmops-assistant' },
      formatters: { log: (object) => scrubForLog(object) as Record<string, unknown> },
      serializers: {
        msg: (message: unknown) => (typeof message === 'string' ? scrubText(message) : message),
        // The scrubber already turned errors into plain objects; pino's own serializer would rename their type.
        err: (error: unknown) => error,
      },
      redact: {
        paths: ['apiKey', '*.apiKey', 'OPENAI_API_KEY', '*.OPENAI_API_KEY', ...HEADER_PATHS],
        censor: '[redacted]',
      },
    },
    destination as DestinationStream,
  );
}
