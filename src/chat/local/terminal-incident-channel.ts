import type { ConversationService } from '../../conversation/conversation-service.ts';
import type { IncidentChannel } from '../../incidents/incident-service.ts';
import type { Logger } from '../../observability/logger.ts';
import { forTerminal } from './terminal-text.ts';

/**
 * Incident threads without Slack: each incident is a conversation of its own, printed to the
 * terminal when there is one and always logged, so the same alert flow works locally.
 */
export class TerminalIncidentChannel implements IncidentChannel {
  constructor(
    private readonly conversation: ConversationService,
    private readonly logger: Logger,
    private readonly output?: NodeJS.WritableStream,
  ) {}

  async open(title: string, text: string, key: string): Promise<string> {
    const threadId = `incident:${key}`;
    this.print(threadId, text);
    this.logger.warn({ thread: threadId, title }, 'incident opened');
    return threadId;
  }

  async post(threadId: string, text: string): Promise<void> {
    this.print(threadId, text);
  }

  async investigate(threadId: string, question: string): Promise<void> {
    const reply = await this.conversation.handle({ surface: 'alertmanager', threadId, userId: 'alertmanager', text: question });
    this.print(threadId, `> ${question}\n${reply.text}`);
  }

  private print(threadId: string, text: string): void {
    this.logger.info({ thread: threadId }, text);
    this.output?.write(`\n[${threadId}] ${forTerminal(text)}\n`);
  }
}
