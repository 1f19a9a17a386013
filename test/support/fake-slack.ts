import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  body: Record<string, any>;
  at: number;
  /** The `ts` this server gave a posted message. */
  ts?: string;
}

/**
 * A Slack-compatible Web API server on loopback, speaking the real request and response
 * formats of the methods the assistant uses (form-encoded or JSON bodies, `ok` envelopes,
 * the three-step external file upload, response URLs, 429 with Retry-After).
 */
export async function startFakeSlack() {
  const calls: SlackCall[] = [];
  const rateLimited = new Map<string, number>();
  let tsCounter = 1_700_000_100;
  const server = createServer(async (request, response) => {
    const path = (request.url ?? '').split('?')[0] as string;
    const body = await readBody(request);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      response.end(JSON.stringify(payload));
    };
    if (path.startsWith('/upload/')) {
      calls.push({ method: 'upload', body: { path, bytes: body.raw.length }, at: Date.now() });
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end(`OK - ${body.raw.length}`);
      return;
    }
    if (path.startsWith('/respond/')) {
      calls.push({ method: 'response_url', body: body.fields, at: Date.now() });
      send(200, { ok: true });
      return;
    }
    const method = path.replace(/^\/api\//, '');
    const limited = rateLimited.get(method);
    if (limited !== undefined) {
      rateLimited.delete(method);
      calls.push({ method: `${method}:429`, body: body.fields, at: Date.now() });
      send(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(limited) });
      return;
    }
    const call: SlackCall = { method, body: body.fields, at: Date.now() };
    calls.push(call);
    const ts = () => `${tsCounter++}.000200`;
    switch (method) {
      case 'auth.test':
        return send(200, {
          ok: true,
          url: 'https://acme.slack.com/',
          team: 'Acme',
          user: 'llmops',
          team_id: 'T0ACME',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
          is_enterprise_install: false,
        });
      case 'chat.postMessage': {
        const messageTs = ts();
        call.ts = messageTs;
        return send(200, {
          ok: true,
          channel: body.fields.channel,
          ts: messageTs,
          message: { type: 'message', text: body.fields.text, user: 'U0BOT', bot_id: 'B0BOT', ts: messageTs },
        });
      }
      case 'chat.update':
        return send(200, { ok: true, channel: body.fields.channel, ts: body.fields.ts, text: body.fields.text });
      case 'chat.postEphemeral':
        return send(200, { ok: true, message_ts: ts() });
      case 'views.publish':
        return send(200, { ok: true, view: { id: 'V0HOME', type: 'home' } });
      case 'files.getUploadURLExternal':
        return send(200, {
          ok: true,
          upload_url: `${origin()}/upload/F0CHART${calls.length}`,
          file_id: `F0CHART${calls.length}`,
        });
      case 'files.completeUploadExternal':
        return send(200, { ok: true, files: JSON.parse(String(body.fields.files ?? '[]')) });
      default:
        return send(200, { ok: false, error: 'unknown_method' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${origin()}/api/`,
    origin: origin(),
    calls,
    /** The next call of `method` answers 429 with Retry-After. */
    rateLimitNext(method: string, retryAfterSeconds: number) {
      rateLimited.set(method, retryAfterSeconds);
    },
    /** Resolves with the first call (after `since`) matching, or rejects after `timeoutMs`. */
    async waitFor(
      method: string,
      match: (call: SlackCall) => boolean = () => true,
      timeoutMs = 15_000,
      since = 0,
    ): Promise<SlackCall> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = calls.slice(since).find((call) => call.method === method && match(call));
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(
        `no ${method} call within ${timeoutMs} ms; calls: ${calls.map((c) => `${c.method} ${String(c.body.text ?? '').slice(0, 200)}`).join(' | ')}`,
      );
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Headers of a request signed the way Slack signs: v0=HMAC-SHA256(secret, "v0:ts:body"). */
export function slackSignature(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'X-Slack-Request-Timestamp': String(timestamp), 'X-Slack-Signature': signature };
}

async function readBody(request: IncomingMessage): Promise<{ raw: Buffer; fields: Record<string, any> }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = request.headers['content-type'] ?? '';
  if (type.includes('application/json')) return { raw, fields: JSON.parse(raw.toString() || '{}') };
  if (type.includes('application/x-www-form-urlencoded')) {
    const fields: Record<string, any> = {};
    for (const [key, value] of new URLSearchParams(raw.toString())) {
      fields[key] =
        ((key === 'blocks' || key === 'view' || key === 'attachments') && value.startsWith('[')) || value.startsWith('{')
          ? safeJson(value)
          : value;
    }
    return { raw, fields };
  }
  return { raw, fields: {} };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
