import { CUES } from './intent-cues.ts';

/**
 * The grammatical form of a request, which decides whether it may change anything.
 * A polite imperative ("can you deploy …", "please roll back …", "帮我回滚 …") asks for the
 * change; an advisory question ("should we roll back …?", "would it help to scale …?",
 * "要不要回滚 …") asks for an opinion, so it gets a read or a question back, never the write.
 */

const ADVISORY =
  /\b(should|shall|ought)\s+(we|i|you|it|they)\b|\bwould\s+it\s+(help|make sense|be (better|wise|worth|good|ok|okay|safe))|\b(is|was)\s+it\s+(worth|a good idea|wise|safe|ok|okay|time)\b|\bdo\s+(we|i|you)\s+(need|have)\s+to\b|\bdoes\s+it\s+make\s+sense\b|\bwhat\s+if\s+(we|i)\b|\bwould\s+(rolling|scaling|deploying|quanti[sz]ing|tuning|distill?ing|cancell?ing|stopping|adding)\b|\b(is|are)\s+\S+\s+(needed|necessary|required|advisable|recommended)\b|\bany\s+(point|reason)\s+(in|to)\b|\bworth\s+(it|rolling|scaling|doing|trying|a try)\b|要不要|该不该|应不应该|应该不应该|是否(应该|需要|要|值得)|需不需要|需要不需要|有没有必要|有必要(吗|么)|值得|值不值得|好不好|行不行|会不会更好|能不能.*好/;

const POLITE_IMPERATIVE =
  /^\s*(please|pls|plz|kindly)\b|\b(can|could|would|will)\s+(you|u)\b|\bplease\b|\bi\s*(want|need|would like|'d like|wanna)\s+(you\s+)?to\b|\blet'?s\b|\bgo ahead\b|请|帮我|帮忙|麻烦|给我/;

/** True when the request asks whether to do something rather than asking for it to be done. */
export function isAdvisoryQuestion(text: string): boolean {
  return (
    ADVISORY.test(text) &&
    !/\b(can|could|would|will)\s+(you|u)\s+(please\s+)?(deploy|roll|scale|quanti|tune|distil|cancel|stop|kill|abort|start|run)/.test(
      text,
    )
  );
}

/** True for a polite imperative such as "can you deploy …" or "请部署 …": a request, even with a question mark. */
export function isPoliteImperative(text: string): boolean {
  return POLITE_IMPERATIVE.test(text);
}

/** True when the text is shaped as a question (a question mark, or a leading question word). */
export function isQuestion(text: string): boolean {
  return (
    /[?？]\s*$/.test(text) ||
    /^\s*(what|which|who|when|where|why|how|is|are|was|were|do|does|did|can|could|should|would|will|has|have|any)\b/.test(text) ||
    /(吗|么|呢|没有|是否|多少|几|什么|哪些|哪个|为什么|怎么)\s*[?？]?\s*$/.test(text) ||
    /是不是|是否|有没有|能不能/.test(text)
  );
}

/** Actions people ask for that no tool performs, with the words to name them in the reply. */
const UNSUPPORTED: Array<[RegExp, RegExp, string]> = [
  [/(restart|reboot|bounce|recycle|relaunch)/, /重启|重新启动/, 'restart'],
  [/(delete|remove|destroy|purge|wipe|tear\s*down|uninstall|undeploy)/, /删除|删掉|移除|卸载|销毁/, 'delete'],
  [/(ssh|shell|exec|log\s*in(to)?|open a (shell|console|terminal))/, /登录|登陆|ssh/, 'open a shell on'],
  [/(drain|cordon|evict)/, /驱逐|排空/, 'drain or cordon the nodes of'],
  [
    /(upgrade|update|patch)\s+(the\s+)?(drivers?|cuda|kernel|os|nodes?|image|vllm|tgi|nccl)/,
    /升级(驱动|内核|镜像|系统)/,
    'upgrade software on',
  ],
  [/(shut\s*down|power\s*off|turn\s*off)/, /关机|关掉服务|关闭服务/, 'shut down'],
];

// Words before an English imperative verb that keep it the main verb ("please restart", "can you restart").
const LEAD = String.raw`^(?:(?:hey|hi|ok|okay|now|then|so|pls|plz|please|kindly|just|quickly|go(?: and| ahead and)?|let'?s|can (?:you|u|we)|could (?:you|u|we)|would you|will you|i (?:want|need) (?:you )?to|[a-z0-9][\w.-]*\s*[:,])[\s,]+)*`;
// A question about an action that already happened ("why did it restart?") is not a request to do it.
const ABOUT_THE_PAST = /\b(why|when|how (many|often)|did|was|were|has|have|had)\b|为什么|原因|什么时候|几次|多少次|了吗|是否/;

/** The unsupported action a request asks for, if any ("restart", "delete", …). */
export function unsupportedAction(text: string): string | undefined {
  // Stopping or deleting a job is cancel_job, and "turn it off by scaling to zero" is scaling: both exist.
  if (CUES.scale.test(text) || CUES.replicaNoun.test(text) || CUES.rollback.test(text)) return undefined;
  if (ABOUT_THE_PAST.test(text) || /\b(jobs?|runs?|trials?|sweeps?|tuning|quanti[sz]ation|distill?ation)\b|任务|作业/.test(text))
    return undefined;
  for (const [english, chinese, words] of UNSUPPORTED) {
    if (new RegExp(`${LEAD}${english.source}\\b`).test(text) || chinese.test(text)) return words;
  }
  return undefined;
}
