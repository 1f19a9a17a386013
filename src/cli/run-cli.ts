import type { Config } from '../config.ts';
import { ConfigError, loadConfig, loadDotEnv } from '../config.ts';
import { describeError } from '../errors.ts';
import { type CliIo, UsageError } from './cli-args.ts';

export type { CliIo } from './cli-args.ts';

/** The usage text; the commands' own parts are loaded only when it is printed. */
async function usage(): Promise<string> {
  const [{ DEMO_USAGE }, { LOGS_USAGE }, { RCA_USAGE }, { FORECAST_USAGE }] = await Promise.all([
    import('./demo-command.ts'),
    import('./logs-command.ts'),
    import('./rca-command.ts'),
    import('./forecast-command.ts'),
  ]);
  return `Usage: llmops <command> [options]

Commands:
  chat                         chat in the terminal (no HTTP server)
  chat --once "<request>"      answer one request and exit; --thread NAME continues a conversation
  plan "<request>" [--json]    print the tool calls the configured planner would make, executing nothing
  estimate <model> [--dtype D] [--context N] [--concurrency N] [--gpu TYPE] [--gpus N] [--json]
                               GPU memory and count to serve a model (the estimate_resources tool)
${DEMO_USAGE}
  proposals                    open proposals awaiting approval
  approve N --as USER [--reason TEXT]
  reject N --as USER [--reason TEXT]
                               decide proposal N as USER (a Slack user ID, or local:NAME), per the approval policy
  anomalies score [FILE] [--detector hybrid|combined|sequence|robust-z|ewma|seasonal]
                               score a timestamp,value CSV (FILE or stdin) causally: prints timestamp,value,anomaly_score
${LOGS_USAGE}
${RCA_USAGE}
${FORECAST_USAGE}
  help                         this text

From a checkout: npm run -s llmops -- <command> [options]`;
}

/** Runs one `llmops` command and returns its exit code: 0 done, 1 failed, 2 wrong usage. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await runCommand(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`llmops: ${error.message}\n\n${await usage()}\n`);
      return 2;
    }
    io.stderr.write(`${error instanceof ConfigError ? error.message : `llmops: ${describeError(error)}`}\n`);
    return 1;
  }
}

/** Commands that read files: the engine alone, no configuration, database or assistant. */
const FILE_COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  forecast: async (args, io) => (await import('./forecast-command.ts')).runForecastCommand(args, io),
  anomalies: async (args, io) => (await import('./anomalies-command.ts')).runAnomaliesCommand(args, io),
  rca: async (args, io) => (await import('./rca-command.ts')).runRcaCommand(args, io),
};

/**
 * Commands that need the configuration; each loads only its own modules. Only `chat`, `logs tail`
 * and an approval this process runs itself start the assistant (and its demo fleet).
 */
const CONFIGURED_COMMANDS: Record<string, (args: string[], config: Config, io: CliIo) => Promise<number>> = {
  plan: async (args, config, io) => (await import('./plan-command.ts')).runPlanCommand(args, config, io),
  estimate: async (args, config, io) => (await import('./estimate-command.ts')).runEstimateCommand(args, config, io),
  demo: async (args, config, io) => (await import('./demo-command.ts')).runDemoCommand(args, config, io),
  proposals: async (_args, config, io) => (await import('./proposals-command.ts')).runProposalsCommand(config, io),
  approve: (args, config, io) => decide('approve', args, config, io),
  reject: (args, config, io) => decide('reject', args, config, io),
  chat: async (args, config, io) =>
    (await import('./assistant-commands.ts')).runWithAssistant({ command: 'chat', args }, config, io),
  logs: async (args, config, io) =>
    (await import('./assistant-commands.ts')).runWithAssistant({ command: 'logs tail', args: args.slice(1) }, config, io),
};

async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.stdout.write(`${await usage()}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === 'logs' && rest[0] !== 'tail') return (await import('./logs-command.ts')).runLogsCommand(rest, io);
  const fileCommand = FILE_COMMANDS[command];
  if (fileCommand) return fileCommand(rest, io);
  const configured = CONFIGURED_COMMANDS[command];
  if (!configured) {
    io.stderr.write(`llmops: unknown command "${command}".\n\n${await usage()}\n`);
    return 2;
  }
  loadDotEnv();
  return configured(rest, loadConfig(), io);
}

/**
 * `approve` / `reject`: a rejection, or an approval that the running owner of the runtime
 * executes, needs only the database; an approval that runs here starts the assistant.
 */
async function decide(decision: 'approve' | 'reject', args: string[], config: Config, io: CliIo): Promise<number> {
  const proposals = await import('./proposal-commands.ts');
  const input = proposals.parseDecision(decision, args);
  const owner = proposals.runtimeOwner(config);
  if (decision === 'reject' || owner) return proposals.decideWithoutRunning(config, input, owner, io);
  return (await import('./assistant-commands.ts')).runWithAssistant({ command: 'decide', decision: input }, config, io);
}
