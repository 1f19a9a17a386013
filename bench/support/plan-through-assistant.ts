// `llmops plan` as it was before issue 15 (for bench/cli-start.ts): the whole assistant is started
// (demo fleet, 14-day back-fill on a fresh DATA_DIR, scraper), then its agent plans one request.
import { startAssistant } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';

const assistant = await startAssistant(loadConfig(), createLogger('silent'), { defaultMetrics: false });
try {
  const { calls } = await assistant.agent.plan(process.argv.slice(2).join(' '));
  process.stdout.write(`${JSON.stringify(calls)}\n`);
} finally {
  await assistant.close();
}
