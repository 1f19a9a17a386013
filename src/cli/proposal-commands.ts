import { DEFAULT_POLICY_FILE, loadPolicy, parseProposalId } from '../approvals/approval-policy.ts';
import { Approvals } from '../approvals/approvals.ts';
import { AuditLog } from '../approvals/audit-log.ts';
import { type Proposal, ProposalRepository } from '../approvals/proposal-repository.ts';
import type { Config } from '../config.ts';
import { readLiveFleet } from '../demo/fleet-file.ts';
import { AssistantMetrics } from '../observability/metrics.ts';
import { openDatabase } from '../store/database.ts';
import { storageOf } from '../store/storage-monitor.ts';
import { ToolExecutor } from '../tools/tool-executor.ts';
import { type CliIo, parseCommandArgs, UsageError } from './cli-args.ts';
import { commandLogger } from './command-logger.ts';

export interface Decision {
  decision: 'approve' | 'reject';
  proposalId: number;
  userId: string;
  reason: string | undefined;
}

/** The arguments of `approve N --as USER [--reason TEXT]` (or `reject`); a UsageError says what is wrong. */
export function parseDecision(decision: 'approve' | 'reject', args: string[]): Decision {
  const { values, positionals } = parseCommandArgs(args, { as: { type: 'string' }, reason: { type: 'string' } }, 1);
  const proposalId = parseProposalId(positionals[0]);
  if (proposalId === undefined)
    throw new UsageError(`${decision} needs the proposal number as a plain positive whole number, got "${positionals[0]}"`);
  if (!values.as) throw new UsageError(`${decision} needs --as USER: who decides (a Slack user ID such as U0SRE, or local:NAME)`);
  return { decision, proposalId, userId: values.as, reason: values.reason };
}

/**
 * The process that runs approved changes for this DATA_DIR when it is not this one: the
 * assistant that owns the demo fleet and the local runtime's replicas (as the assistant itself
 * decides it). Undefined when this process would run them.
 */
export function runtimeOwner(config: Config): { pid: number } | undefined {
  if (config.DEMO !== 'on' || config.DEPLOY_BACKEND !== 'local') return undefined;
  const live = readLiveFleet(config.DATA_DIR);
  return live ? { pid: live.pid } : undefined;
}

/**
 * Decides a proposal when nothing runs here: a rejection, or an approval that the running owner
 * of the runtime executes (the proposal becomes `approved`, and this command follows it until it
 * has run). Only the database and the approval policy are opened.
 */
export async function decideWithoutRunning(
  config: Config,
  input: Decision,
  owner: { pid: number } | undefined,
  io: CliIo,
): Promise<number> {
  if (input.decision === 'approve' && !owner) throw new Error('an approval that runs here needs the assistant');
  const logger = commandLogger(config, io.stderr);
  const db = openDatabase(config.DATA_DIR);
  try {
    storageOf(db).attach({ logger });
    const policy = loadPolicy(config.APPROVAL_POLICY_FILE ?? DEFAULT_POLICY_FILE);
    const approvals = new Approvals({
      policy,
      terminalOperator: policy.terminal.approve_all_without_slack && !config.SLACK_BOT_TOKEN,
      ...(owner ? { runsElsewhere: { owner: `the assistant running as pid ${owner.pid}` } } : {}),
      proposals: new ProposalRepository(db),
      audit: new AuditLog(db),
      // Nothing is executed by this process (a rejection, or a hand-over): no tool is runnable here.
      executor: new ToolExecutor([], {
        timeoutMs: config.TOOL_TIMEOUT_MS,
        metrics: new AssistantMetrics({ defaultMetrics: false }),
        logger,
      }),
      logger,
      notify: async (threadId, text, kind) => logger.info({ thread: threadId, kind }, text),
    });
    return await reportDecision(approvals, input, io);
  } finally {
    db.close();
  }
}

/** Makes the decision and prints its outcome; a hand-over is followed until the owner has run it. */
export async function reportDecision(approvals: Pick<Approvals, 'decide' | 'get'>, input: Decision, io: CliIo): Promise<number> {
  const outcome = await approvals.decide(input);
  io.stdout.write(`${outcome.text}\n`);
  if (outcome.outcome === 'handed_over') return (await waitForExecution(approvals, input.proposalId, io)) ? 0 : 1;
  return outcome.outcome === 'refused' || (outcome.result && outcome.result.status !== 'ok') ? 1 : 0;
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
