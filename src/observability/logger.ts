import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/** JSON logs on stderr (stdout belongs to the chat and to command output), with secrets redacted. */
export function createLogger(level: string, destination: DestinationStream | NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level,
      base: { service: 'llmops-assistant' },
      redact: {
        paths: ['apiKey', '*.apiKey', 'OPENAI_API_KEY', '*.OPENAI_API_KEY', 'headers.authorization', '*.headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination as DestinationStream,
  );
}
