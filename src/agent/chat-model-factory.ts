import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Config } from '../config.ts';
import { OfflinePlannerChatModel } from './offline-planner/offline-chat-model.ts';

export interface ChatModelChoice {
  model: BaseChatModel;
  provider: 'offline' | 'openai';
  modelName: string;
  /** The server's base URL when it is not OpenAI's own. */
  endpoint?: string | undefined;
}

/**
 * The configured LLM as a LangChain chat model. `openai` speaks the Chat Completions API,
 * so OpenAI, Azure OpenAI's v1 endpoint, vLLM and Ollama all work through OPENAI_BASE_URL.
 * Its client is loaded only when it is the one configured.
 */
export async function createChatModel(config: Config, knownDeployments?: () => readonly string[]): Promise<ChatModelChoice> {
  if (config.LLM_PROVIDER === 'offline') {
    return {
      model: new OfflinePlannerChatModel({
        ...(knownDeployments ? { knownDeployments } : {}),
        rawPromql: () => config.PROMETHEUS_URL !== undefined,
      }),
      provider: 'offline',
      modelName: 'offline-planner',
    };
  }
  const { ChatOpenAI } = await import('@langchain/openai');
  const model = new ChatOpenAI({
    model: config.OPENAI_MODEL,
    // Self-hosted OpenAI-compatible servers usually take no key; the SDK still wants a string.
    apiKey: config.OPENAI_API_KEY ?? 'not-needed',
    configuration: config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {},
    timeout: config.LLM_TIMEOUT_MS,
    maxRetries: 2,
  });
  return { model, provider: 'openai', modelName: config.OPENAI_MODEL, endpoint: config.OPENAI_BASE_URL };
}
