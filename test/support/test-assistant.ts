import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Assistant, type AssistantOverrides, startAssistant } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { EMPTY_REGISTRY } from '../../src/deployments/deployment-registry.ts';
import { AppError } from '../../src/errors.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createToolCatalogue } from '../../tools/index.ts';

/** A fresh data directory under the OS temp dir; remove it with `rmSync(dir, { recursive: true })`. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'llmops-test-'));
}

export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: dataDir, ...env });
}

export const silentLogger = createLogger('silent');

/**
 * An assistant on a temp data dir, wired exactly as `npm start` wires it; the demo fleet
 * is off unless the test asks for it with `DEMO: 'on'`.
 */
export async function testAssistant(
  env: Record<string, string> = {},
  overrides: AssistantOverrides = {},
  dataDir = tempDataDir(),
): Promise<Assistant & { dataDir: string; dispose(): Promise<void> }> {
  const assistant = await startAssistant(testConfig(dataDir, { DEMO: 'off', ...env }), silentLogger, {
    defaultMetrics: false,
    ...overrides,
  });
  return {
    ...assistant,
    dataDir,
    async dispose() {
      await assistant.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The tool catalogue with services that have nothing behind them, for tests of the catalogue itself. */
export function catalogueWithoutServices() {
  const none = async () => {
    throw new AppError('no_metrics', 'no metrics source in this test');
  };
  return createToolCatalogue({
    metrics: { name: 'embedded', curated: none, raw: none },
    deployments: EMPTY_REGISTRY,
    chartDir: join(tmpdir(), 'llmops-test-charts'),
    scrapeIntervalSeconds: 60,
  });
}
