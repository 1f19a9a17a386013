import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/net/free-port.ts';

export interface RunningAlertmanager {
  url: string;
  stop(): Promise<void>;
}

/** Starts Debian's prometheus-alertmanager on loopback, sending its webhook to `webhookUrl` with a bearer token. */
export async function startAlertmanager(options: { webhookUrl: string; token: string }): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'llmops-alertmanager-'));
  const port = await freePort();
  // JSON is YAML. Short group timings so a test sees notifications within seconds.
  const config = {
    route: {
      receiver: 'llmops',
      group_by: ['alertname', 'model_name'],
      group_wait: '1s',
      group_interval: '2s',
      repeat_interval: '1h',
    },
    receivers: [
      {
        name: 'llmops',
        webhook_configs: [
          { url: options.webhookUrl, send_resolved: true, http_config: { authorization: { credentials: options.token } } },
        ],
      },
    ],
  };
  writeFileSync(join(dir, 'alertmanager.yml'), JSON.stringify(config));
  const child: ChildProcess = spawn(
    'prometheus-alertmanager',
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const log: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(
        new Error(
          `prometheus-alertmanager could not start (${error.message}); install it with apt-get install -y prometheus-alertmanager (.ci/run does)`,
        ),
      ),
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let tries = 0; tries < 100; tries++) {
      if (child.exitCode !== null) throw new Error(`prometheus-alertmanager exited: ${log.join('').slice(-500)}`);
      const ok = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`prometheus-alertmanager not ready: ${log.join('').slice(-500)}`);
  })();
  await Promise.race([ready, spawnFailed]);
  return {
    url,
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Posts alerts to Alertmanager's v2 API, as Prometheus does. */
export async function postAlerts(
  url: string,
  alerts: Array<{ labels: Record<string, string>; annotations?: Record<string, string>; startsAt?: string; endsAt?: string }>,
): Promise<void> {
  const response = await fetch(`${url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  if (!response.ok) throw new Error(`Alertmanager refused the alerts: ${response.status} ${await response.text()}`);
}
