import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Assistant, type AssistantOverrides, createAssistant } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';

/** A fresh data directory under the OS temp dir; remove it with `rmSync(dir, { recursive: true })`. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'llmops-test-'));
}

export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: dataDir, ...env });
}

export const silentLogger = createLogger('silent');

/** An assistant on a temp data dir, wired exactly as `npm start` wires it. */
export function testAssistant(
  env: Record<string, string> = {},
  overrides: AssistantOverrides = {},
  dataDir = tempDataDir(),
): Assistant & { dataDir: string; dispose(): void } {
  const assistant = createAssistant(testConfig(dataDir, env), silentLogger, { defaultMetrics: false, ...overrides });
  return {
    ...assistant,
    dataDir,
    dispose() {
      assistant.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
