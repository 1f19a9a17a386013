/** Example requests shown by help replies on every surface. */
export const HELP_TEXT = [
  'I can help with your model fleet. Try, for example:',
  '• "status of mistral-7b" or "what\'s running in staging?"',
  '• "p95 time to first token for llama-3-8b in the last hour"',
  '• "why is mistral-7b slow since 14:00?"',
  '• "how much GPU memory does mixtral-8x7b need with 16k context"',
  '• "deploy qwen2-7b v3 to staging on 1 A100"',
  '• "forecast requests per second for qwen2-7b for the next 3 days"',
  '• "who deployed what yesterday?"',
].join('\n');
