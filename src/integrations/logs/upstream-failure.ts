import { isAxiosError } from 'axios';

// Small helpers that turn a failed exchange with an upstream server (Prometheus, Loki, the Kubernetes API) into words.

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
]);

/** Whether a transport error code means the server could not be reached at all. */
export function isUnreachableCode(code: string): boolean {
  return UNREACHABLE_CODES.has(code);
}

/** The system or library code of an error (`ECONNREFUSED`, `ECONNABORTED`), looking one cause deep. */
export function errorCode(error: unknown): string {
  if (error instanceof Error) {
    const withCode = error as Error & { code?: unknown; cause?: { code?: unknown } };
    if (typeof withCode.code === 'string') return withCode.code;
    if (typeof withCode.cause?.code === 'string') return withCode.cause.code;
    return error.name;
  }
  return 'unknown error';
}

/**
 * What went wrong with an HTTP exchange that threw instead of answering: `timeout`, no answer in
 * time; `too_large`, an answer over axios' maxContentLength; `unreachable`, no connection or no
 * response at all; `unreadable`, a response that broke off while being read.
 */
export interface TransportFailure {
  kind: 'timeout' | 'too_large' | 'unreachable' | 'unreadable';
  code: string;
  /** A plain error with the code and message, to carry as the cause. */
  cause: Error;
}

/** Sorts an error thrown by an axios request into a TransportFailure. */
export function transportFailure(error: unknown): TransportFailure {
  const code = errorCode(error);
  const cause = new Error(`${code}: ${error instanceof Error ? error.message : String(error)}`);
  if (code === 'ECONNABORTED' || code === 'ERR_CANCELED' || code === 'TimeoutError') return { kind: 'timeout', code, cause };
  if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/.test(cause.message)) return { kind: 'too_large', code, cause };
  if (isUnreachableCode(code) || !isAxiosError(error) || !error.response) return { kind: 'unreachable', code, cause };
  return { kind: 'unreadable', code, cause };
}

/** A URL as it may appear in messages: without user and password. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/+$/, '');
  } catch {
    return url;
  }
}

/** A body on one line, cut at 200 characters. */
export function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** Replaces every secret in a message with `***`, whatever a server echoed. */
export function redact(message: string, secrets: readonly string[]): string {
  let clean = message;
  for (const secret of secrets) clean = clean.split(secret).join('***');
  return clean;
}
