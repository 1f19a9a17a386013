import { createInterface } from 'node:readline';
import { parseProposalId } from '../../approvals/approval-policy.ts';
import type { ConversationService } from '../../conversation/conversation-service.ts';
import { HELP_TEXT } from '../../conversation/examples.ts';
import { describeError } from '../../errors.ts';
import type { ThreadRepository } from '../../store/thread-repository.ts';
import { forTerminal } from './terminal-text.ts';

export interface TerminalChatOptions {
  conversation: ConversationService;
  threads: Pick<ThreadRepository, 'clear'>;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  threadId: string;
  userId: string;
  /** Whether to show a prompt and the banner (a terminal), or just answer lines (a pipe). */
  interactive: boolean;
  banner?: string;
  /** Approve or reject a proposal as this chat's user; answers with the outcome. */
  decide?: (proposalId: number, decision: 'approve' | 'reject', reason?: string) => Promise<string>;
}

const COMMANDS = '/help (examples), /approve N [reason], /reject N [reason], /new (forget this conversation), /quit';

/**
 * The local chat surface: reads lines, sends them through the conversation service and
 * prints the answers. It only translates; everything else happens behind the service.
 * Resolves when the input ends or the person types /quit.
 */
export async function runTerminalChat(options: TerminalChatOptions): Promise<void> {
  const { conversation, output, threadId, userId } = options;
  const rl = createInterface({ input: options.input, output, terminal: options.interactive, prompt: 'you> ' });
  const write = (text: string) => output.write(`${forTerminal(text)}\n`);
  if (options.interactive) {
    if (options.banner) write(options.banner);
    write(`Commands: ${COMMANDS}.`);
    rl.prompt();
  }
  try {
    for await (const line of rl) {
      const text = line.trim();
      if (text.startsWith('/') && !text.startsWith('//')) {
        const command = text.split(/\s+/)[0]?.toLowerCase();
        if (command === '/quit' || command === '/exit') break;
        if (command === '/new') {
          try {
            options.threads.clear(threadId);
            write('Started a new conversation; I have forgotten this thread.');
          } catch (error) {
            // A database that cannot be written (a full disk) ends nothing: say so and keep the chat open.
            write(`I could not forget this thread: ${describeError(error)}`);
          }
        } else if ((command === '/approve' || command === '/reject') && options.decide) {
          const [, idText, ...reason] = text.split(/\s+/);
          const id = parseProposalId(idText);
          write(
            id !== undefined
              ? await options.decide(id, command === '/approve' ? 'approve' : 'reject', reason.join(' ') || undefined)
              : `Say which proposal: ${command} N [reason], with N the proposal number (a plain whole number).`,
          );
        } else if (command === '/help') {
          write(`${HELP_TEXT}\nCommands: ${COMMANDS}.`);
        } else {
          write(`Unknown command ${command}. Commands: ${COMMANDS}. Anything else is a question for me.`);
        }
      } else {
        const reply = await conversation.handle({ surface: 'local', threadId, userId, text });
        write(reply.text);
      }
      if (options.interactive) rl.prompt();
    }
  } finally {
    rl.close();
  }
}
