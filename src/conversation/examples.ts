/** Example requests shown by help replies on every surface. */
export const HELP_TEXT = [
  'I can help with your model fleet. Try, for example:',
  '• "status of mistral-7b" or "what\'s running in staging?"',
  '• "p95 time to first token for llama-3-8b in the last hour"',
  '• "why is mistral-7b slow since 14:00?" or "any anomalies in qwen2-7b today?"',
  '• "search mistral-7b logs for timeout" or "top log patterns for qwen2-7b"',
  '• "how much GPU memory does mixtral-8x7b need with 16k context"',
  '• "deploy qwen2-7b v3 to staging on 1 A100", "roll back mistral-7b in prod", "scale llama-3-70b to 6 replicas"',
  '• "forecast requests per second for qwen2-7b for the next 3 days"',
  '• "ping qwen2-7b with 20 requests"',
  '• "quantize mistral-7b with awq", "how is the tuning job going?", "cancel job 3"',
  '• "who deployed what yesterday?"',
  'I cannot restart, delete or log in to servers.',
].join('\n');
