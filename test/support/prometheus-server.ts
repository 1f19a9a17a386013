import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../../src/net/free-port.ts';

export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

export interface PrometheusServerOptions {
  /** Scrape targets as `host:port`, all in one job. */
  targets: string[];
  scrapeIntervalSeconds: number;
  /** The job label of the targets; default `model-servers`. */
  job?: string;
  /** Files of targets for Prometheus' file-based service discovery (`file_sd_configs`), besides `targets`. */
  fileSd?: string[];
  /** Keep the scraped labels where the target's labels clash (`honor_labels`). */
  honorLabels?: boolean;
  readyTimeoutMs?: number;
}

const INSTALL_HINT =
  "The prometheus binary is not on PATH. Install it with: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus (the project's .ci/run installs it).";

/** Starts a real Prometheus on loopback with its own config and storage in a temp dir, once it answers `/-/ready`. */
export async function startPrometheus(options: PrometheusServerOptions): Promise<RunningPrometheus> {
  if (!onPath('prometheus')) throw new Error(INSTALL_HINT);
  const dir = mkdtempSync(join(tmpdir(), 'llmops-prometheus-'));
  const interval = `${options.scrapeIntervalSeconds}s`;
  // JSON is YAML; the scrape timeout may not exceed the interval (Prometheus' default is 10 s).
  const config = {
    global: {
      scrape_interval: interval,
      evaluation_interval: interval,
      scrape_timeout: `${Math.min(10, options.scrapeIntervalSeconds)}s`,
    },
    scrape_configs: [
      {
        job_name: options.job ?? 'model-servers',
        ...(options.honorLabels ? { honor_labels: true } : {}),
        static_configs: [{ targets: options.targets }],
        ...(options.fileSd ? { file_sd_configs: [{ files: options.fileSd }] } : {}),
      },
    ],
  };
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const log: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log.push(...chunk.split('\n').filter(Boolean));
    if (log.length > 40) log.splice(0, log.length - 40);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await terminate(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(url, child, options.readyTimeoutMs ?? 15_000, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number, log: string[]): Promise<void> {
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`prometheus did not start: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log.join('\n')}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`prometheus at ${url} was not ready within ${timeoutMs} ms:\n${log.join('\n')}`);
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}

export { freePort };

/** Whether `binary` is an executable on PATH. */
export function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
