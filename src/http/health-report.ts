import type { Assistant } from '../app.ts';
import type { HealthReport } from './http-server.ts';

/** The body of /healthz: 200 when the database can be read and written, else 503 with the reason in `checks.database`. */
export function healthReport(assistant: Pick<Assistant, 'checkDatabase' | 'provider' | 'modelName'>): HealthReport {
  const database = assistant.checkDatabase();
  return {
    ok: database === 'ok',
    checks: { database },
    provider: assistant.provider,
    model: assistant.modelName,
    uptime_s: Math.round(process.uptime()),
  };
}
