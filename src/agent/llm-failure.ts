import { describeError } from '../errors.ts';

/** Where the model was asked, for a failure message a person can act on. */
export interface LlmEndpoint {
  provider: string;
  modelName: string;
  /** The server's base URL, when it is not the provider's default. */
  endpoint?: string | undefined;
}

/**
 * One line that says what failed and what to check, from an OpenAI SDK (or LangChain) error:
 * unreachable server, timeout, refused key, unknown model, rate limit or a server error.
 */
export function describeLlmFailure(error: unknown, where: LlmEndpoint): string {
  const model = `the language model ${where.modelName} (${where.provider}${where.endpoint ? ` at ${where.endpoint}` : ''})`;
  const status = statusOf(error);
  const detail = rootCause(error);
  if (isTimeout(error))
    return `${model} did not answer in time (LLM_TIMEOUT_MS); check that the server is up and not overloaded.`;
  if (isConnectionFailure(error))
    return `${model} could not be reached (${detail}); check OPENAI_BASE_URL and that the server is running.`;
  if (status === 401 || status === 403)
    return `${model} refused the credentials (HTTP ${status}: ${detail}); check OPENAI_API_KEY.`;
  if (status === 404)
    return `${model} answered 404 (${detail}); check OPENAI_MODEL and OPENAI_BASE_URL (it usually ends in /v1).`;
  if (status === 429)
    return `${model} is rate-limiting or out of quota (HTTP 429); try again later or check the account's limits.`;
  if (status !== undefined && status >= 500) return `${model} failed on its side (HTTP ${status}: ${detail}); try again.`;
  if (status === 400) return `${model} rejected the request (HTTP 400: ${detail}); the model must support tool calling.`;
  return `${model} failed: ${detail}`;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

function chain(error: unknown): unknown[] {
  const seen: unknown[] = [];
  let current: unknown = error;
  while (current && !seen.includes(current) && seen.length < 8) {
    seen.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return seen;
}

function nameOf(error: unknown): string {
  return (
    (error as { name?: unknown; constructor?: { name?: string } })?.constructor?.name ??
    String((error as { name?: unknown }).name)
  );
}

function isTimeout(error: unknown): boolean {
  return chain(error).some((e) => /Timeout/i.test(nameOf(e)) || /timed? ?out/i.test(describeError(e)));
}

function isConnectionFailure(error: unknown): boolean {
  return chain(error).some(
    (e) =>
      /APIConnectionError/.test(nameOf(e)) ||
      /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|fetch failed|bad port/i.test(
        `${describeError(e)} ${(e as { code?: unknown }).code ?? ''}`,
      ),
  );
}

/** The innermost message (for a fetch failure, the socket's reason rather than "Connection error."). */
function rootCause(error: unknown): string {
  const messages = chain(error)
    .map((e) => {
      const code = (e as { code?: unknown }).code;
      const message = describeError(e).split('\n')[0] ?? '';
      return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
    })
    .filter((m) => m !== '');
  return (messages.at(-1) ?? 'unknown error').slice(0, 300);
}
