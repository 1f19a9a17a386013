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

/** The help text for a person who writes in Chinese; the quoted examples work as written. */
export const HELP_TEXT_ZH = [
  '我可以帮你管理模型集群。例如可以问：',
  '• “mistral-7b 的状态” 或 “staging 环境里跑着什么？”',
  '• “llama-3-8b 最近一小时的 p95 首 token 时间”',
  '• “mistral-7b 从 14:00 开始为什么变慢？” 或 “qwen2-7b 今天有异常吗？”',
  '• “搜索 mistral-7b 日志里的 timeout” 或 “qwen2-7b 最常见的日志模式”',
  '• “mixtral-8x7b 跑 16k 上下文需要多少显存”',
  '• “把 qwen2-7b v3 部署到 staging，用 1 张 A100”、“回滚生产环境的 mistral-7b”、“把 llama-3-70b 扩到 6 个副本”',
  '• “预测 qwen2-7b 未来 3 天的每秒请求数”',
  '• “用 20 个请求探测 qwen2-7b”',
  '• “用 awq 量化 mistral-7b”、“调优任务进展如何？”、“取消任务 3”',
  '• “昨天谁部署了什么？”',
  '我不能重启、删除服务器，也不能登录服务器。',
].join('\n');
