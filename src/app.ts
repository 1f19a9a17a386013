import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { TOOL_CATALOGUE } from '../tools/index.ts';
import { createChatModel } from './agent/chat-model-factory.ts';
import { loadPrompt } from './agent/prompt-library.ts';
import { ToolLoopAgent } from './agent/tool-loop-agent.ts';
import type { Config } from './config.ts';
import { ConversationService } from './conversation/conversation-service.ts';
import type { Logger } from './observability/logger.ts';
import { AssistantMetrics } from './observability/metrics.ts';
import { type Db, openDatabase } from './store/database.ts';
import { ThreadRepository } from './store/thread-repository.ts';
import { ToolExecutor } from './tools/tool-executor.ts';

export interface Assistant {
  config: Config;
  db: Db;
  metrics: AssistantMetrics;
  executor: ToolExecutor;
  agent: ToolLoopAgent;
  conversation: ConversationService;
  threads: ThreadRepository;
  provider: string;
  modelName: string;
  close(): void;
}

export interface AssistantOverrides {
  /** A chat model to use instead of the configured one (tests script the model). */
  model?: { model: BaseChatModel; provider: string; modelName: string };
  now?: () => Date;
  defaultMetrics?: boolean;
}

/** The composition root shared by `npm start`, the `llmops` command and the tests: one path. */
export function createAssistant(config: Config, logger: Logger, overrides: AssistantOverrides = {}): Assistant {
  const db = openDatabase(config.DATA_DIR);
  try {
    const metrics = new AssistantMetrics({ defaultMetrics: overrides.defaultMetrics ?? true });
    const executor = new ToolExecutor(TOOL_CATALOGUE, { timeoutMs: config.TOOL_TIMEOUT_MS, metrics, logger });
    const chosen = overrides.model ?? createChatModel(config);
    const agent = new ToolLoopAgent({
      ...chosen,
      executor,
      systemPrompt: loadPrompt('system'),
      maxSteps: config.AGENT_MAX_STEPS,
      resultMaxChars: config.TOOL_RESULT_MAX_CHARS,
      metrics,
      logger,
      ...(overrides.now ? { now: overrides.now } : {}),
    });
    const threads = new ThreadRepository(db);
    const conversation = new ConversationService({
      agent,
      threads,
      metrics,
      logger,
      maxMessageChars: config.MAX_MESSAGE_CHARS,
      historyMessages: config.THREAD_HISTORY_MESSAGES,
    });
    return {
      config,
      db,
      metrics,
      executor,
      agent,
      conversation,
      threads,
      provider: chosen.provider,
      modelName: chosen.modelName,
      close: () => db.close(),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
