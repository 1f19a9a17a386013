import type { ToolMessage } from '@langchain/core/messages';
import { z } from 'zod';

const renderedResult = z.object({ status: z.string(), summary: z.string(), _note: z.string().optional() });

/**
 * Writes the offline planner's final answer from this turn's tool results. It only
 * repeats what the tools said (their summaries), so it never adds a number of its own.
 */
export function writeAnswer(results: ToolMessage[]): string {
  if (results.length === 0) return 'I ran no tool for that, so I have nothing to report.';
  return results
    .map((message) => {
      const parsed = renderedResult.safeParse(safeJson(message.text));
      if (!parsed.success) return message.text;
      const { status, summary } = parsed.data;
      if (status === 'error') return `⚠️ ${summary}`;
      if (status === 'unavailable') return `${summary} I can plan it, but I cannot run it yet.`;
      return summary;
    })
    .join('\n\n');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
