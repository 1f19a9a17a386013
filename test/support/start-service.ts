import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * `npm start`'s own command (not npm, so that SIGTERM reaches the assistant as it does in the
 * container) as a service with `env` (give `PORT: '0'` for a free port); resolves once it logs
 * "assistant started".
 */
export async function startService(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const start = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { start: string } }).scripts.start.split(
    ' ',
  );
  const child = spawn(start[0] === 'node' ? process.execPath : (start[0] as string), start.slice(1), {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "assistant started" log line within 30 s')), 30_000);
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string; port?: number };
      if (entry.msg === 'assistant started' && entry.port) {
        clearTimeout(timer);
        resolve(entry.port);
      }
    });
  });
  return { child, port };
}
