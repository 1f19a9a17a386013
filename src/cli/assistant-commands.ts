import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { startAssistant } from '../app.ts';
import { runTerminalChat } from '../chat/local/terminal-chat.ts';
import { forTerminal } from '../chat/local/terminal-text.ts';
import type { Config } from '../config.ts';
import { type CliIo, parseCommandArgs } from './cli-args.ts';
import { commandLogger } from './command-logger.ts';
import { tailLogs } from './logs-command.ts';
import { type Decision, reportDecision } from './proposal-commands.ts';

/**
 * The commands that need the whole assistant (`startAssistant`, with the demo fleet when DEMO=on):
 * `chat`, `logs tail`, and an approval that this process runs itself.
 */
export type AssistantCommand =
  | { command: 'chat'; args: string[] }
  | { command: 'logs tail'; args: string[] }
  | { command: 'decide'; decision: Decision };

export async function runWithAssistant(request: AssistantCommand, config: Config, io: CliIo): Promise<number> {
  // Wrong usage is found before anything starts.
  const chat = parseCommandArgs(
    request.command === 'chat' ? request.args : [],
    {
      once: { type: 'string' },
      thread: { type: 'string' },
    },
    0,
  ).values;
  const assistant = await startAssistant(config, commandLogger(config, io.stderr), { defaultMetrics: false });
  try {
    if (request.command === 'logs tail') return await tailLogs(assistant.logs, request.args, io);
    if (request.command === 'decide') return await reportDecision(assistant.approvals, request.decision, io);
    const user = `local:${userInfo().username}`;
    const threadId = chat.thread ? `cli:${chat.thread}` : chat.once !== undefined ? `cli:once:${randomUUID()}` : user;
    if (chat.once !== undefined) {
      const reply = await assistant.conversation.handle({ surface: 'cli', threadId, userId: user, text: chat.once });
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
  } finally {
    await assistant.close();
  }
}
