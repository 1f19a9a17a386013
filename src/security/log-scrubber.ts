import { Redactor } from './secret-redactor.ts';

/** Secrets only: e-mail addresses in logs are the operator's own business. */
const LOG_REDACTOR = new Redactor({ emails: false });

/** Header and field names whose values are credentials whatever they look like. */
const CREDENTIAL_NAME =
  /^(?:(?:proxy-)?authorization|cookie|set-cookie|x-slack-signature|x-api-key|api[-_]?key|[\w.-]*(?:password|passwd|secret|token)|private[-_]?key|credentials?)$/i;
/** Token counts and pagination, not credentials. */
const NOT_CREDENTIAL_NAME = /(?:^|[_-])(?:max|min|num|total|prompt|completion|next|page)[_-]?tokens?$|tokens$/i;

const MAX_DEPTH = 6;
const MAX_ITEMS = 200;

/** A string with every secret the redactor knows replaced by its marker. */
export function scrubText(text: string): string {
  return LOG_REDACTOR.text(text).text;
}

function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name) && !NOT_CREDENTIAL_NAME.test(name);
}

/** Requests and responses (node's, fetch's, axios') are logged as their method and URL or status only. */
function summariseExchange(value: Record<string, unknown>): Record<string, unknown> | undefined {
  const hasHeaders = 'headers' in value || typeof value.getHeader === 'function';
  if (!hasHeaders) return undefined;
  if (typeof value.method === 'string' && typeof value.url === 'string') {
    return { method: value.method, url: scrubText(value.url) };
  }
  if (typeof value.statusCode === 'number') return { statusCode: value.statusCode };
  if (typeof value.status === 'number' && !('message' in value)) return { status: value.status };
  return undefined;
}

/**
 * A copy of a value that is safe to log: strings have their secrets redacted, fields named like
 * credentials (`authorization`, `cookie`, `set-cookie`, `x-slack-signature`, `*token`, `*password`,
 * …) are replaced by `[redacted]`, requests and responses become method and URL or status,
 * errors keep their type, message, stack and own fields, and sockets and other live objects
 * are named, not dumped. Depth and breadth are bounded.
 */
export function scrubForLog(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[…]';
  seen.add(value);
  if (value instanceof Date) return value;
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((item) => scrubForLog(item, depth + 1, seen));
  const record = value as Record<string, unknown>;
  if (!(value instanceof Error)) {
    const exchange = summariseExchange(record);
    if (exchange) return exchange;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  const plain = proto === Object.prototype || proto === null;
  if (!plain && !(value instanceof Error) && !isHeaderBag(value)) {
    // Sockets, streams, clients: their fields hold buffers, agents and headers, never anything worth a log line.
    if (typeof (value as { on?: unknown }).on === 'function') return `[${proto?.constructor?.name ?? 'object'}]`;
  }
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    out.type = value.constructor?.name ?? value.name;
    out.message = scrubText(value.message);
    if (value.stack) out.stack = scrubText(value.stack);
    if (value.cause !== undefined) out.cause = scrubForLog(value.cause, depth + 1, seen);
  }
  let count = 0;
  for (const [key, item] of entriesOf(value)) {
    if (count++ >= MAX_ITEMS) break;
    if (item === undefined || typeof item === 'function') continue;
    if (value instanceof Error && (key === 'message' || key === 'stack' || key === 'cause')) continue;
    out[key] = isCredentialName(key) && item !== null && item !== '' ? '[redacted]' : scrubForLog(item, depth + 1, seen);
  }
  return out;
}

/** Header containers that are classes (fetch's Headers, axios' AxiosHeaders). */
function isHeaderBag(value: object): boolean {
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
  return /headers$/i.test(name);
}

function entriesOf(value: object): Array<[string, unknown]> {
  if (typeof (value as { entries?: unknown }).entries === 'function' && isHeaderBag(value)) {
    return [...(value as { entries(): Iterable<[string, unknown]> }).entries()];
  }
  return Object.entries(value);
}
