import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteHandler } from '../http/http-server.ts';
import type { Logger } from '../observability/logger.ts';
import { alertmanagerPayload } from './alertmanager-payload.ts';
import type { IncidentService } from './incident-service.ts';

const MAX_BODY = 1024 * 1024;

/**
 * `POST /alertmanager`: checks the optional bearer token, validates Alertmanager's payload,
 * answers 200 at once (Alertmanager times out and retries slow receivers) and handles the
 * notification in the background.
 */
export function alertmanagerRoute(incidents: IncidentService, logger: Logger, token?: string): RouteHandler {
  return async (request: IncomingMessage, response: ServerResponse) => {
    const send = (status: number, body: Record<string, unknown>) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'POST') return send(405, { error: '/alertmanager takes POST (Alertmanager webhook_configs)' });
    if (token && !bearerMatches(request.headers.authorization, token)) {
      return send(401, {
        error: 'missing or wrong bearer token (set http_config.authorization.credentials to ALERTMANAGER_TOKEN)',
      });
    }
    let raw = '';
    for await (const chunk of request) {
      raw += chunk;
      if (raw.length > MAX_BODY) return send(413, { error: `body over ${MAX_BODY} bytes` });
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return send(400, { error: 'body is not JSON; expected Alertmanager webhook payload version 4' });
    }
    const parsed = alertmanagerPayload.safeParse(json);
    if (!parsed.success) {
      return send(400, {
        error: `not an Alertmanager webhook payload: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
      });
    }
    send(200, { status: 'accepted' });
    incidents.receive(parsed.data).catch((error: unknown) => logger.error({ err: error }, 'Alertmanager notification failed'));
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
