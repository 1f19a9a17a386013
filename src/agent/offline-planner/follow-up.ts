/**
 * Whether a message is plainly a follow-up of the thread's previous request ("and for
 * mistral-7b?", "same for staging", "what about qwen2-7b?", "和 qwen2-7b 呢?"). Only such a
 * message may reuse the previous request's intent or details; anything else stands alone.
 */

const MARKERS: RegExp[] = [
  // English: a leading connective or a "what/how about"
  /^(?:and|also|plus|now|then|ok(?:ay)?|so|but)\b[\s,]*(?:what|how)\s+about\b/,
  /^(?:what|how)\s+about\b/,
  /^(?:and|also|plus|now|then)\b\s*(?:the\s+same\s+)?(?:for|in|on|with|at|over|since|from|during|to)\b/,
  /^(?:and|also|plus)\s+\S+(?:\s+\S+)?\s*[?？.!]*$/,
  /^(?:(?:ok(?:ay)?|now|then|and|please|pls)[\s,]+)?(?:do\s+)?(?:the\s+)?same(?:\s+thing)?(?:\s+again)?\b/,
  /^(?:(?:ok(?:ay)?|now|then|and)[\s,]+)?(?:likewise|ditto|repeat (?:that|it|this))\b/,
  /\b(?:too|as well)\s*[?？.!]*$/,
  /^(?:ok(?:ay)?|now|then)[\s,]+(?:for|in|on|with)\b/,
  /^(?:for|in|on)\s+\S+(?:\s+\S+)?\s*[?？]\s*$/,
  // Chinese: "… 呢?", "那 …", "和 …", "同样 …", "也 …"
  /呢\s*[?？]?\s*$/,
  /^(?:那|那么|和|还有|再|也|换成|改成|同样|一样)/,
  /(?:也|同样|一样)(?:一下|的|看看|查一下)?\s*[?？。!]*$/,
];

/** The form of a follow-up: a question ("and for mistral-7b?") or an imperative ("same for staging"). */
export type FollowUp = 'question' | 'imperative';

/** The follow-up form of a message, or undefined when it is not plainly a follow-up. */
export function followUpOf(text: string): FollowUp | undefined {
  const trimmed = text.trim();
  // A long message carries its own request; only short ones lean on the previous turn.
  if ([...trimmed].length > 80 || !MARKERS.some((marker) => marker.test(trimmed))) return undefined;
  return /[?？]\s*$|呢\s*$|^(?:and\s+)?(?:what|how)\s+about\b/.test(trimmed) ? 'question' : 'imperative';
}
