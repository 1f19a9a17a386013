import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAssistant } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';

/**
 * Time per turn of the offline agent through the whole path (conversation service,
 * planner, executor, SQLite memory), over the planner corpus's dev half (in the repository), and peak memory.
 */
export async function benchOfflineAgent(turns = 2000): Promise<void> {
  const requests = readFileSync(new URL('../test/fixtures/planner/dev.jsonl', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { u: string; tool: string | null })
    // Actions that change the fleet (a staging deploy runs at once under the default policy) are not agent time.
    .filter(
      (c) =>
        c.tool !== null &&
        !['deploy_model', 'rollback_deployment', 'scale_deployment', 'start_optimization', 'cancel_job'].includes(c.tool),
    )
    .map((c) => c.u);
  const dataDir = mkdtempSync(join(tmpdir(), 'llmops-bench-'));
  const assistant = await startAssistant(loadConfig({ DATA_DIR: dataDir, DEMO: 'off' }), createLogger('silent'), {
    defaultMetrics: false,
  });
  try {
    const durations: number[] = [];
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < turns; i++) {
      const started = performance.now();
      // 50 threads, so memory (history loads) grows the way a busy channel's does.
      await assistant.conversation.handle({
        surface: 'test',
        threadId: `bench:${i % 50}`,
        userId: 'bench',
        text: requests[i % requests.length] as string,
      });
      durations.push(performance.now() - started);
    }
    durations.sort((a, b) => a - b);
    const pct = (p: number) => (durations[Math.min(durations.length - 1, Math.floor(p * durations.length))] as number).toFixed(2);
    const mean = durations.reduce((sum, d) => sum + d, 0) / durations.length;
    console.log(`offline agent: ${turns} turns over ${requests.length} distinct requests, 50 threads`);
    console.log(`  time per turn: mean ${mean.toFixed(2)} ms, p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, p99 ${pct(0.99)} ms`);
    console.log(`  turns per second (one core): ${(1000 / mean).toFixed(0)}`);
    console.log(
      `  peak memory: max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB; heap growth over the run ${((process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024).toFixed(1)} MiB`,
    );
  } finally {
    await assistant.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
