import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startAssistant } from '../app.ts';
import { parseProposalId } from '../approvals/approval-policy.ts';
import type { Proposal } from '../approvals/proposal-repository.ts';
import { runTerminalChat } from '../chat/local/terminal-chat.ts';
import { forTerminal } from '../chat/local/terminal-text.ts';
import { ConfigError, loadConfig, loadDotEnv } from '../config.ts';
import { describeError } from '../errors.ts';
import { createLogger } from '../observability/logger.ts';
import { runAnomaliesCommand } from './anomalies-command.ts';
import { DEMO_USAGE, runDemoCommand } from './demo-command.ts';
import { FORECAST_USAGE, runForecastCommand } from './forecast-command.ts';
import { LOGS_USAGE, runLogsCommand, tailLogs } from './logs-command.ts';
import { RCA_USAGE, runRcaCommand } from './rca-command.ts';

const USAGE = `Usage: llmops <command> [options]

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

class UsageError extends Error {}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

/** Runs one `llmops` command and returns its exit code: 0 done, 1 failed, 2 wrong usage. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await runCommand(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`llmops: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    io.stderr.write(`${error instanceof ConfigError ? error.message : `llmops: ${describeError(error)}`}\n`);
    return 1;
  }
}

async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  // Engines that read files need no assistant (no fleet, no database).
  if (command === 'forecast') return runForecastCommand(rest, io);
  if (command === 'anomalies') return runAnomaliesCommand(rest, io);
  if (command === 'logs' && rest[0] !== 'tail') return runLogsCommand(rest, io);
  if (command === 'rca') return runRcaCommand(rest, io);
  if (!['chat', 'plan', 'estimate', 'demo', 'proposals', 'approve', 'reject', 'logs'].includes(command)) {
    io.stderr.write(`llmops: unknown command "${command}".\n\n${USAGE}\n`);
    return 2;
  }
  loadDotEnv();
  const config = loadConfig();
  if (command === 'demo') return runDemoCommand(rest, config, io);
  // Commands print results on stdout and failures in words; logs go to DATA_DIR/logs/llmops.log, or to stderr when LOG_LEVEL asks.
  const logger = process.env.LOG_LEVEL
    ? createLogger(config.LOG_LEVEL, io.stderr)
    : createLogger(config.LOG_LEVEL, commandLog(config.DATA_DIR));
  const assistant = await startAssistant(config, logger, { defaultMetrics: false });
  try {
    const user = `local:${userInfo().username}`;
    if (command === 'chat') {
      const { values } = parse(rest, { once: { type: 'string' }, thread: { type: 'string' } }, 0);
      const threadId = values.thread ? `cli:${values.thread}` : values.once !== undefined ? `cli:once:${randomUUID()}` : user;
      if (values.once !== undefined) {
        const reply = await assistant.conversation.handle({ surface: 'cli', threadId, userId: user, text: values.once });
        io.stdout.write(`${forTerminal(reply.text)}\n`);
        return reply.kind === 'answer' ? 0 : 1;
      }
      await runTerminalChat({
        conversation: assistant.conversation,
        threads: assistant.threads,
        input: io.stdin,
        output: io.stdout,
        threadId,
        userId: user,
        interactive: Boolean((io.stdin as NodeJS.ReadStream).isTTY),
        decide: async (proposalId, decision, reason) =>
          (await assistant.approvals.decide({ proposalId, decision, userId: user, reason })).text,
        banner: `LLM Ops Assistant (${assistant.provider}: ${assistant.modelName}).`,
      });
      return 0;
    }
    if (command === 'logs') return await tailLogs(assistant.logs, rest.slice(1), io);
    if (command === 'proposals') {
      const open = assistant.approvals.open();
      io.stdout.write(
        open.length === 0
          ? 'No proposals await approval.\n'
          : `${open.map((p) => `#${p.id} ${p.tool} by ${p.requester}, expires ${p.expiresAt.toISOString()}: ${p.plan}`).join('\n')}\n`,
      );
      return 0;
    }
    if (command === 'approve' || command === 'reject') {
      const { values, positionals } = parse(rest, { as: { type: 'string' }, reason: { type: 'string' } }, 1);
      const proposalId = parseProposalId(positionals[0]);
      if (proposalId === undefined)
        throw new UsageError(`${command} needs the proposal number as a plain positive whole number, got "${positionals[0]}"`);
      if (!values.as)
        throw new UsageError(`${command} needs --as USER: who decides (a Slack user ID such as U0SRE, or local:NAME)`);
      const outcome = await assistant.approvals.decide({
        proposalId,
        decision: command,
        userId: values.as,
        reason: values.reason,
      });
      io.stdout.write(`${outcome.text}\n`);
      if (outcome.outcome === 'handed_over') return (await waitForExecution(assistant.approvals, proposalId, io)) ? 0 : 1;
      return outcome.outcome === 'refused' || (outcome.result && outcome.result.status !== 'ok') ? 1 : 0;
    }
    if (command === 'plan') {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } }, 1);
      const { calls, reply } = await assistant.agent.plan(positionals.join(' '));
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
    const { values, positionals } = parse(
      rest,
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
    const args = {
      model: positionals.join(' '),
      ...(values.dtype !== undefined ? { dtype: values.dtype } : {}),
      ...(values.context !== undefined ? { context_length: integerOption('--context', values.context) } : {}),
      ...(values.concurrency !== undefined ? { concurrency: integerOption('--concurrency', values.concurrency) } : {}),
      ...(values.gpu !== undefined ? { gpu_type: values.gpu } : {}),
      ...(values.gpus !== undefined ? { gpu_count: integerOption('--gpus', values.gpus) } : {}),
    };
    const result = await assistant.executor.execute('estimate_resources', args, {
      threadId: 'cli:estimate',
      userId: user,
      now: new Date(),
    });
    if (result.status === 'error') {
      io.stderr.write(`llmops estimate: ${result.summary}\n`);
      return 1;
    }
    io.stdout.write(values.json && 'data' in result ? `${JSON.stringify(result.data, null, 2)}\n` : `${result.summary}\n`);
    return 0;
  } finally {
    await assistant.close();
  }
}

/** Follows a proposal handed to the process that owns the runtime until it has run, printing how it ended. */
async function waitForExecution(proposals: { get(id: number): Proposal | undefined }, id: number, io: CliIo): Promise<boolean> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const proposal = proposals.get(id);
    const state = proposal?.state;
    if (state === 'succeeded' || state === 'failed' || state === 'expired' || state === 'interrupted') {
      const result = proposal?.result as { summary?: string } | undefined;
      io.stdout.write(
        `Proposal ${id} ${state === 'succeeded' ? 'done' : state.toUpperCase()}${result?.summary ? `: ${result.summary}` : ''}\n`,
      );
      return state === 'succeeded';
    }
    if (Date.now() > deadline) {
      io.stdout.write(`Proposal ${id} is still ${state}; follow it with llmops proposals or in the assistant.\n`);
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The command's log file; when DATA_DIR cannot hold it, no log, and opening the database says what is wrong. */
function commandLog(dataDir: string) {
  try {
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    return pino.destination({ dest: join(dataDir, 'logs', 'llmops.log'), sync: true });
  } catch {
    return new Writable({ write: (_chunk, _encoding, done) => done() });
  }
}

type OptionSpec = Record<string, { type: 'string' } | { type: 'boolean' }>;

function parse<const Options extends OptionSpec>(args: string[], options: Options, minPositionals: number) {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    if (parsed.positionals.length < minPositionals) throw new UsageError('a request or model name is missing');
    return parsed;
  } catch (error) {
    throw new UsageError(describeError(error));
  }
}

function integerOption(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new UsageError(`${name} must be a positive whole number, got "${value}"`);
  return number;
}
