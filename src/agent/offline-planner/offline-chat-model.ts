import { BaseChatModel, type BaseChatModelCallOptions, type BindToolsInput } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage, isAIMessage, isHumanMessage, isToolMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { writeAnswer } from './answer-writer.ts';
import { planRequest } from './plan-request.ts';
import { isChinese } from './zh-words.ts';

export interface OfflineCallOptions extends BaseChatModelCallOptions {
  tools?: BindToolsInput[];
}

export interface OfflinePlannerFields {
  /** Deployment names the fleet knows, so names without a size ("chat-prod") are recognised too. */
  knownDeployments?: () => readonly string[];
  /** Whether raw PromQL can run (a Prometheus server is configured), for what is said about metrics it lacks. */
  rawPromql?: () => boolean;
}

/**
 * The embedded default "LLM": a LangChain chat model whose replies are computed, not
 * sampled. Given a person's message it answers with tool calls chosen by the rule-based
 * planner; given tool results it writes the answer from them, in the language of the request. Because it is a
 * chat model like any other, the agent loop is the same with or without an API key.
 */
export class OfflinePlannerChatModel extends BaseChatModel<OfflineCallOptions> {
  private callCounter = 0;

  constructor(private readonly fields: OfflinePlannerFields = {}) {
    super({});
  }

  _llmType(): string {
    return 'offline-planner';
  }

  override bindTools(tools: BindToolsInput[], kwargs?: Partial<OfflineCallOptions>) {
    return this.withConfig({ ...kwargs, tools });
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    const message = this.respond(messages, new Set((options.tools ?? []).map(toolName)));
    return { generations: [{ text: typeof message.content === 'string' ? message.content : '', message }] };
  }

  private respond(messages: BaseMessage[], available: Set<string>): AIMessage {
    const last = messages[messages.length - 1];
    if (last && isToolMessage(last)) {
      // Results of this turn's calls: everything after the last AI message that asked for them.
      const askedAt = messages.findLastIndex((m) => isAIMessage(m) && (m.tool_calls?.length ?? 0) > 0);
      const asked = messages[askedAt];
      const calls = new Map(
        (asked && isAIMessage(asked) ? (asked.tool_calls ?? []) : []).map((call) => [
          call.id ?? '',
          { tool: call.name, args: call.args },
        ]),
      );
      const request = messages.slice(0, Math.max(askedAt, 0)).findLast(isHumanMessage)?.text ?? '';
      return new AIMessage(
        writeAnswer(messages.slice(askedAt + 1).filter(isToolMessage), { chinese: isChinese(request), calls }),
      );
    }
    const request = last && isHumanMessage(last) ? last.text : '';
    const previous = messages.slice(0, -1).findLast(isHumanMessage)?.text;
    const plan = planRequest(request, this.fields.knownDeployments?.() ?? [], previous, {
      rawPromql: this.fields.rawPromql?.(),
    });
    if (plan.kind === 'clarify') return new AIMessage(plan.question);
    const usable = plan.calls.filter((call) => available.size === 0 || available.has(call.tool));
    if (usable.length === 0)
      return new AIMessage(
        isChinese(request) ? '这个请求需要的工具在这里都没有启用。' : 'None of the tools that request needs is enabled here.',
      );
    return new AIMessage({
      content: '',
      tool_calls: usable.map((call) => ({
        id: `offline_call_${++this.callCounter}`,
        name: call.tool,
        args: call.args,
        type: 'tool_call' as const,
      })),
    });
  }
}

function toolName(tool: BindToolsInput): string {
  const value = tool as { name?: string; function?: { name?: string } };
  return value.function?.name ?? value.name ?? '';
}
