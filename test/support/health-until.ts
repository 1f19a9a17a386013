import { setTimeout as sleep } from 'node:timers/promises';

/** Polls /healthz until `accept` holds; returns the last answer and how long it took. */
export async function healthUntil(port: number, accept: (status: number, database: string) => boolean, timeoutMs = 5000) {
  const started = performance.now();
  for (;;) {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    const body = (await response.json()) as { ok: boolean; checks: { database: string } };
    if (accept(response.status, body.checks.database) || performance.now() - started > timeoutMs) {
      return { status: response.status, body, ms: performance.now() - started };
    }
    await sleep(100);
  }
}
