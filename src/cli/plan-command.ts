import { createToolCatalogue } from '../../tools/index.ts';
import { createChatModel } from '../agent/chat-model-factory.ts';
import { configuredAgent } from '../agent/configured-agent.ts';
import type { Config } from '../config.ts';
import type { DeploymentRegistry } from '../deployments/deployment-registry.ts';
import { AppError } from '../errors.ts';
import type { MetricsSource } from '../metrics/metrics-source.ts';
import { AssistantMetrics } from '../observability/metrics.ts';
import { ToolExecutor } from '../tools/tool-executor.ts';
import { type CliIo, parseCommandArgs } from './cli-args.ts';
import { commandLogger } from './command-logger.ts';
import { knownDeploymentNames } from './known-deployments.ts';

/**
 * `llmops plan "<request>" [--json]`: the tool calls the configured planner would make, executing
 * nothing. The agent, its model and the tool catalogue's names and schemas are those of the
 * assistant; no fleet, database or metrics source is started, since no tool runs.
 */
export async function runPlanCommand(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } }, 1);
  const logger = commandLogger(config, io.stderr);
  const names = await knownDeploymentNames(config);
  const metrics = new AssistantMetrics({ defaultMetrics: false });
  const tools = createToolCatalogue({
    metrics: describedOnly(config),
    deployments: registryOf(names),
    chartDir: '',
    scrapeIntervalSeconds: config.METRICS_SCRAPE_INTERVAL_S,
  });
  const executor = new ToolExecutor(tools, { timeoutMs: config.TOOL_TIMEOUT_MS, metrics, logger });
  const chosen = await createChatModel(config, () => names);
  const agent = configuredAgent(config, { ...chosen, executor, metrics, logger });
  const { calls, reply } = await agent.plan(positionals.join(' '));
  if (values.json) {
    io.stdout.write(`${JSON.stringify(calls)}\n`);
    if (calls.length === 0 && reply) io.stderr.write(`${reply}\n`);
  } else {
    io.stdout.write(
      calls.length === 0
        ? `No tool call. The planner says: ${reply}\n`
        : `${calls.map((c) => `${c.tool} ${JSON.stringify(c.args)}`).join('\n')}\n`,
    );
  }
  return 0;
}

const notRun = () => {
  throw new AppError('plan_runs_nothing', 'llmops plan only shows the tool calls; it runs none');
};

/** The metrics source as the planner sees it (its name); planning never queries it. */
function describedOnly(config: Config): MetricsSource {
  return { name: config.PROMETHEUS_URL ? 'prometheus' : 'embedded', curated: notRun, raw: notRun };
}

/** The known deployments by name; planning never asks for their status or endpoints. */
function registryOf(names: readonly string[]): DeploymentRegistry {
  return { names: () => [...names], list: notRun, endpoint: notRun };
}
