import type { ToolMessage } from '@langchain/core/messages';
import { z } from 'zod';
import type { ToolResult } from '../../tools/tool-definition.ts';
import { renderResultZh } from './answer-zh.ts';
import { isChinese } from './zh-words.ts';

const renderedResult = z.object({
  status: z.string(),
  summary: z.string(),
  _note: z.string().optional(),
  code: z.string().optional(),
  data: z.unknown().optional(),
});

/** How the answer is written: in the request's language, knowing each result's call (by tool call id). */
export interface AnswerOptions {
  chinese?: boolean;
  calls?: ReadonlyMap<string, { tool: string; args: Record<string, unknown> }>;
}

/**
 * Writes the offline planner's final answer from this turn's tool results. In English it
 * only repeats what the tools said (their summaries); in Chinese it renders each result from
 * its data and the tool's own figures, so it never adds a number of its own either way.
 */
export function writeAnswer(results: ToolMessage[], options: AnswerOptions = {}): string {
  if (results.length === 0)
    return options.chinese
      ? '这次没有运行任何工具，所以没有可报告的内容。'
      : 'I ran no tool for that, so I have nothing to report.';
  return results
    .map((message) => {
      const parsed = renderedResult.safeParse(safeJson(message.text));
      if (!parsed.success) return message.text;
      const { status, summary } = parsed.data;
      if (options.chinese) {
        const call = options.calls?.get(message.tool_call_id);
        return renderResultZh({
          tool: call?.tool ?? message.name ?? '',
          args: call?.args ?? {},
          status,
          summary,
          code: parsed.data.code,
          data: parsed.data.data,
        });
      }
      if (status === 'error') return `⚠️ ${summary}`;
      if (status === 'unavailable') return `${summary} I can plan it, but I cannot run it yet.`;
      return summary;
    })
    .join('\n\n');
}

/**
 * The answer that ends a turn on proposals (the agent loop's, with any model): their summaries
 * as the gate wrote them, or "提案 N 等待 … 批准" when the request was written in Chinese.
 */
export function proposalAnswer(
  runs: ReadonlyArray<{ tool: string; args: unknown; result: ToolResult }>,
  request: string,
): string {
  if (!isChinese(request)) return runs.map((run) => run.result.summary).join('\n\n');
  return runs
    .map(({ tool, args, result }) =>
      renderResultZh({
        tool,
        args: (args ?? {}) as Record<string, unknown>,
        status: result.status,
        summary: result.summary,
        code: result.status === 'error' ? result.code : undefined,
        data: 'data' in result ? result.data : undefined,
      }),
    )
    .join('\n\n');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
