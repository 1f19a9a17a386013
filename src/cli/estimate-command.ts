import { userInfo } from 'node:os';
import estimateResources from '../../tools/estimate-resources.ts';
import type { Config } from '../config.ts';
import { AssistantMetrics } from '../observability/metrics.ts';
import { ToolExecutor } from '../tools/tool-executor.ts';
import { type CliIo, integerOption, parseCommandArgs } from './cli-args.ts';
import { commandLogger } from './command-logger.ts';

/**
 * `llmops estimate <model> [--dtype D] [--context N] [--concurrency N] [--gpu TYPE] [--gpus N] [--json]`:
 * the estimate_resources tool through the tool executor (the same validation and words as in chat),
 * with nothing else started.
 */
export async function runEstimateCommand(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      dtype: { type: 'string' },
      context: { type: 'string' },
      concurrency: { type: 'string' },
      gpu: { type: 'string' },
      gpus: { type: 'string' },
      json: { type: 'boolean' },
    },
    1,
  );
  const toolArgs = {
    model: positionals.join(' '),
    ...(values.dtype !== undefined ? { dtype: values.dtype } : {}),
    ...(values.context !== undefined ? { context_length: integerOption('--context', values.context) } : {}),
    ...(values.concurrency !== undefined ? { concurrency: integerOption('--concurrency', values.concurrency) } : {}),
    ...(values.gpu !== undefined ? { gpu_type: values.gpu } : {}),
    ...(values.gpus !== undefined ? { gpu_count: integerOption('--gpus', values.gpus) } : {}),
  };
  const executor = new ToolExecutor([estimateResources], {
    timeoutMs: config.TOOL_TIMEOUT_MS,
    metrics: new AssistantMetrics({ defaultMetrics: false }),
    logger: commandLogger(config, io.stderr),
  });
  const result = await executor.execute('estimate_resources', toolArgs, {
    threadId: 'cli:estimate',
    userId: `local:${userInfo().username}`,
    now: new Date(),
  });
  if (result.status === 'error') {
    io.stderr.write(`llmops estimate: ${result.summary}\n`);
    return 1;
  }
  io.stdout.write(values.json && 'data' in result ? `${JSON.stringify(result.data, null, 2)}\n` : `${result.summary}\n`);
  return 0;
}
