import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { AssistantMetrics } from '../observability/metrics.ts';

export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export interface HealthReport {
  ok: boolean;
  checks: Record<string, string>;
  [key: string]: unknown;
}

export interface HttpServerOptions {
  metrics: AssistantMetrics;
  logger: Logger;
  health: () => HealthReport;
  /** Further routes on the same port (Slack's /slack/events, /alertmanager), by exact path. */
  routes?: Record<string, RouteHandler>;
}

/** One HTTP port for everything: `/healthz`, `/metrics`, and the routes surfaces add. */
export function createHttpServer(options: HttpServerOptions): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    void route(path, request, response, options).catch((error: unknown) => {
      options.logger.error({ err: error, path }, 'HTTP handler failed');
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
      else response.end();
    });
  });
}

async function route(path: string, request: IncomingMessage, response: ServerResponse, options: HttpServerOptions) {
  const extra = options.routes?.[path];
  if (extra) return extra(request, response);
  if (path !== '/healthz' && path !== '/metrics') return send(response, 404, 'text/plain', `no route ${path}\n`);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return send(response, 405, 'text/plain', `${path} takes GET\n`);
  }
  if (path === '/metrics') {
    return send(response, 200, options.metrics.registry.contentType, await options.metrics.registry.metrics());
  }
  const report = options.health();
  return send(response, report.ok ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  response.end(body);
}

/** Starts listening; a busy port becomes an error that names PORT and what to do. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(
          new AppError(
            'port_in_use',
            `PORT=${port}: ${host}:${port} is already in use by another process; stop it or set PORT to a free port`,
          ),
        );
      } else if (error.code === 'EACCES') {
        reject(new AppError('port_denied', `PORT=${port}: not allowed to listen on ${host}:${port}; use a port above 1023`));
      } else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
