import { AIMessage, type BaseMessage, HumanMessage } from '@langchain/core/messages';
import type { AgentTurn, ToolLoopAgent, ToolRun } from '../agent/tool-loop-agent.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { AssistantMetrics } from '../observability/metrics.ts';
import { StorageError } from '../store/storage-errors.ts';
import type { ThreadRepository } from '../store/thread-repository.ts';

export type Surface = 'local' | 'cli' | 'slack' | 'alertmanager' | 'test';

export interface IncomingMessage {
  surface: Surface;
  /** Stable per conversation: a terminal session, a Slack thread. */
  threadId: string;
  userId: string;
  text: string;
  /** Progress of long work ("Running query_metrics…"), for surfaces that show it. */
  onProgress?: ((status: string) => void) | undefined;
}

export interface Reply {
  /**
   * `answer` from the agent, `rejected` for input not taken, `failed` when the agent could not
   * finish or the turn could not be stored (the text then says so, and gives the answer).
   */
  kind: 'answer' | 'rejected' | 'failed';
  text: string;
  toolRuns: ToolRun[];
}

export interface ConversationOptions {
  agent: ToolLoopAgent;
  threads: ThreadRepository;
  metrics: AssistantMetrics;
  logger: Logger;
  maxMessageChars: number;
  historyMessages: number;
}

/**
 * The one entry point for every surface (terminal, Slack, Alertmanager, tests): checks the
 * input, loads the thread's memory, runs the agent and stores the turn. Turns of one
 * thread run one after another, so memory stays in order.
 */
export class ConversationService {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: ConversationOptions) {}

  handle(message: IncomingMessage): Promise<Reply> {
    const previous = this.queues.get(message.threadId) ?? Promise.resolve();
    const turn = previous.then(() => this.process(message));
    const settled = turn.catch(() => undefined);
    this.queues.set(message.threadId, settled);
    void settled.then(() => {
      if (this.queues.get(message.threadId) === settled) this.queues.delete(message.threadId);
    });
    return turn;
  }

  private async process(message: IncomingMessage): Promise<Reply> {
    const { metrics, logger } = this.options;
    const text = message.text.replaceAll('\u0000', '').trim();
    const rejection = this.check(text);
    if (rejection) {
      metrics.turns.inc({ surface: message.surface, outcome: 'rejected' });
      return { kind: 'rejected', text: rejection, toolRuns: [] };
    }

    // Memory that cannot be read (a corrupt file) does not stop the answer: it is given without it, and says so.
    let unread: StorageError | undefined;
    let history: BaseMessage[] = [];
    try {
      history = this.options.threads.recent(message.threadId, this.options.historyMessages);
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      unread = error;
    }
    let turn: AgentTurn;
    try {
      turn = await this.options.agent.run({
        history,
        text,
        threadId: message.threadId,
        userId: message.userId,
        onProgress: message.onProgress,
        // An alert's text is someone else's words: its turn never changes anything without a decision.
        origin: message.surface === 'alertmanager' ? 'alert' : 'person',
      });
    } catch (error) {
      const reply = `Sorry, I could not finish that: ${describeError(error)}`;
      logger.error({ err: error, thread: message.threadId }, 'turn failed');
      // Keep the question and the failure in memory, so a follow-up ("try again") has context.
      const unsaved = this.store(message, [new HumanMessage(text), new AIMessage(reply)]);
      metrics.turns.inc({ surface: message.surface, outcome: 'failed' });
      return {
        kind: 'failed',
        text: unsaved || unread ? `${reply}\n(Also, ${storageSentence(unread, unsaved)}.)` : reply,
        toolRuns: [],
      };
    }
    const unsaved = this.store(message, turn.messages);
    if (unread || unsaved) {
      // The work is done and only memory failed: the person gets the answer, told first that it is not remembered.
      metrics.turns.inc({ surface: message.surface, outcome: 'unsaved' });
      logger.warn({ thread: message.threadId, tools: turn.toolRuns.map((r) => r.tool) }, 'turn answered, memory failed');
      return {
        kind: 'failed',
        text: `${capitalise(storageSentence(unread, unsaved))}; the answer was: ${turn.answer}`,
        toolRuns: turn.toolRuns,
      };
    }
    metrics.turns.inc({ surface: message.surface, outcome: 'answer' });
    logger.info({ thread: message.threadId, steps: turn.steps, tools: turn.toolRuns.map((r) => r.tool) }, 'turn answered');
    return { kind: 'answer', text: turn.answer, toolRuns: turn.toolRuns };
  }

  /** Stores a turn; a storage failure (already logged and counted) is returned for the reply to tell. */
  private store(message: IncomingMessage, messages: BaseMessage[]): StorageError | undefined {
    try {
      this.options.threads.append(message.threadId, message.surface, messages, message.userId);
      return undefined;
    } catch (error) {
      if (error instanceof StorageError) return error;
      throw error;
    }
  }

  private check(text: string): string | undefined {
    if (text === '') {
      return 'Your message is empty. Ask me about your models, e.g. "status of mistral-7b" or "p95 TTFT of llama-3-8b in the last hour".';
    }
    const limit = this.options.maxMessageChars;
    if (text.length > limit) {
      return `Your message is ${text.length.toLocaleString('en-US')} characters long; I take at most ${limit.toLocaleString('en-US')} (MAX_MESSAGE_CHARS). Ask a shorter question; for logs, name the deployment and time range and I will read them myself.`;
    }
    return undefined;
  }
}

/** "I could not save this conversation: the disk is full (SQLITE_FULL) under DATA_DIR=…" and its read/both variants. */
function storageSentence(unread: StorageError | undefined, unsaved: StorageError | undefined): string {
  if (unread && unsaved) {
    const why = unread.message === unsaved.message ? `: ${unread.message}` : ` (${unread.message}; ${unsaved.message})`;
    return `I could not read this conversation's earlier messages nor save this one${why}, so I answered without them and will not remember this turn`;
  }
  if (unsaved) return `I could not save this conversation: ${unsaved.message}, so I will not remember this turn`;
  return `I could not read this conversation's earlier messages: ${(unread as StorageError).message}, so I answered without them`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
