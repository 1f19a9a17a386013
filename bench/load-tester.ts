import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runLoadTest } from '../src/integrations/load-tester.ts';

/**
 * How many requests per second the load tester itself can drive on this machine: streamed
 * requests against a server (in its own process) that answers instantly, at several
 * concurrencies. The limit found is the tester's (parsing SSE, timing every token), which
 * bounds what a probe or a tuning trial can measure.
 */
export async function benchLoadTester(): Promise<void> {
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./support/instant-openai-server.ts', import.meta.url))],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const [data] = (await once(server.stdout, 'data')) as [Buffer];
    const baseUrl = `http://127.0.0.1:${Number(String(data).trim())}/v1`;
    console.log('\nLoad tester: streamed requests/s it can drive (16 tokens each, an instant server in another process)');
    console.log('concurrency  requests  req/s    tokens/s  p99 e2e');
    await runLoadTest({ baseUrl, model: 'bench', requests: 500, concurrency: 16, maxTokens: 16 }); // warm-up
    for (const concurrency of [1, 16, 64, 256]) {
      const requests = concurrency === 1 ? 2000 : 10_000;
      const report = await runLoadTest({ baseUrl, model: 'bench', requests, concurrency, maxTokens: 16, promptTokens: 64 });
      console.log(
        `${String(concurrency).padStart(11)}  ${String(report.succeeded).padStart(8)}  ${report.requestsPerSecond.toFixed(0).padStart(5)}  ${report.tokensPerSecond.toFixed(0).padStart(8)}  ${((report.e2e?.p99 ?? 0) * 1000).toFixed(1)} ms${report.failed > 0 ? `  (${report.failed} failed)` : ''}`,
      );
    }
  } finally {
    server.kill();
  }
}
