import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../../observability/logger.ts';
import type { ReceiverTraffic } from './ack-first-pacer.ts';

/** Slack's own replay window: a request signed more than 5 minutes ago is stale (Bolt checks the same). */
export const MAX_AGE_S = 5 * 60;
/** A request dated in the future beyond this clock skew is refused (Bolt does not check the future at all). */
export const MAX_FUTURE_SKEW_S = 60;
/** Bolt's default body limit. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface SlackRequestGuardOptions {
  signingSecret: string;
  logger: Logger;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Told when each POST arrives and when it is answered, so that work waits behind acknowledgements. */
  traffic?: ReceiverTraffic;
}

/**
 * Why a signed Slack request must be refused (undefined when it is genuine and fresh): the
 * timestamp is missing, older than {@link MAX_AGE_S} or further than {@link MAX_FUTURE_SKEW_S}
 * in the future, or the `v0` HMAC-SHA256 signature of `v0:timestamp:body` does not match.
 */
export function slackSignatureProblem(
  signingSecret: string,
  timestampHeader: string | string[] | undefined,
  signatureHeader: string | string[] | undefined,
  body: string,
  nowMs: number,
): string | undefined {
  if (typeof timestampHeader !== 'string' || !/^\d{1,12}$/.test(timestampHeader.trim())) {
    return 'X-Slack-Request-Timestamp is missing or not a whole number of seconds';
  }
  if (typeof signatureHeader !== 'string' || !signatureHeader.startsWith('v0=')) {
    return 'X-Slack-Signature is missing or not a v0 signature';
  }
  const timestamp = Number(timestampHeader.trim());
  const nowS = Math.floor(nowMs / 1000);
  if (timestamp < nowS - MAX_AGE_S) return `request is stale: signed ${nowS - timestamp} s ago (at most ${MAX_AGE_S} s)`;
  if (timestamp > nowS + MAX_FUTURE_SKEW_S) {
    return `request is dated ${timestamp - nowS} s in the future (at most ${MAX_FUTURE_SKEW_S} s of clock skew)`;
  }
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`);
  const given = Buffer.from(signatureHeader);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature mismatch';
  return undefined;
}

/**
 * Why a verified body cannot be a Slack request (undefined when it can): the Events API sends a
 * JSON object with a `type`; interactivity sends `payload=<JSON object with a type>`; slash
 * commands send a form with `command`; Slack's SSL check sends `ssl_check=1`.
 */
export function slackBodyProblem(contentType: string | undefined, body: string): string | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(body);
    if (form.get('ssl_check') === '1' || form.has('command')) return undefined;
    const payload = form.get('payload');
    if (payload === null) {
      return 'form body has no payload: expected payload=<JSON object> (interactivity) or a slash command (command=…)';
    }
    if (payload.trim() === '') return 'payload is empty: expected payload=<JSON object with a "type">';
    return jsonObjectProblem(payload, 'payload');
  }
  if (type === 'application/json') return jsonObjectProblem(body, 'body');
  return `unsupported Content-Type ${JSON.stringify(contentType ?? '')}: Slack sends application/json or application/x-www-form-urlencoded`;
}

function jsonObjectProblem(text: string, what: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `${what} is not JSON: expected a JSON object with a "type"`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${what} is not a JSON object with a "type"`;
  const kind = (value as { type?: unknown }).type;
  if (typeof kind !== 'string' || kind === '') return `${what} has no "type": expected a Slack event or interaction`;
  return undefined;
}

/**
 * Wraps Bolt's request listener for `/slack/events`: other methods get 405 with `Allow: POST`;
 * a POST is read once, refused with 401 and the reason when its signature is wrong, stale or
 * dated in the future, with 400 and the reason when the body cannot be a Slack request (an
 * interaction without a payload no longer waits 3 s for a 404), and handed to Bolt otherwise.
 * Nothing from the request's headers is logged.
 */
export function guardSlackRequests(inner: RequestListener, options: SlackRequestGuardOptions): RequestListener {
  const now = options.now ?? Date.now;
  const log = options.logger.child({ component: 'slack-http' });
  return (request, response) => {
    if (request.method !== 'POST') {
      log.info({ method: request.method }, 'refused a non-POST request to /slack/events');
      return reply(response, 405, '/slack/events takes POST requests from Slack (events, interactions, slash commands)\n', {
        Allow: 'POST',
      });
    }
    const traffic = options.traffic;
    if (traffic) {
      traffic.requestStarted();
      response.once('close', () => traffic.requestSettled());
    }
    void readBody(request).then(
      (raw) => {
        if (raw === undefined) return reply(response, 413, `request body over ${MAX_BODY_BYTES} bytes\n`);
        const body = raw.toString('utf8');
        const isSslCheck =
          (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') &&
          new URLSearchParams(body).get('ssl_check') === '1';
        // Slack's SSL check is unsigned; Bolt answers it and drops anything else in the body.
        if (!isSslCheck) {
          const refused = slackSignatureProblem(
            options.signingSecret,
            request.headers['x-slack-request-timestamp'],
            request.headers['x-slack-signature'],
            body,
            now(),
          );
          if (refused) {
            log.warn({ reason: refused }, 'refused a Slack request');
            return reply(response, 401, `refused: ${refused}\n`);
          }
          const malformed = slackBodyProblem(request.headers['content-type'], body);
          if (malformed) {
            log.warn({ reason: malformed }, 'refused a malformed Slack request');
            return reply(response, 400, `bad request: ${malformed}\n`);
          }
        }
        // Bolt reads an already-buffered body from `rawBody` instead of the consumed stream.
        (request as IncomingMessage & { rawBody?: Buffer }).rawBody = raw;
        inner(request, response);
      },
      (error: unknown) => {
        log.warn({ reason: (error as Error).message }, 'could not read a Slack request body');
        if (!response.headersSent) reply(response, 400, 'could not read the request body\n');
      },
    );
  };
}

/** The body, or undefined when it is over the limit (then drained, not kept, so that the 413 still reaches the client). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.once('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks, size)));
    request.once('error', reject);
  });
}

function reply(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(text);
}
