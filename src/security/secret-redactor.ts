/**
 * Deterministic secret redaction for everything that is about to reach an LLM request body
 * (tool results such as log lines, metric labels and error messages, and user messages).
 *
 * Each secret is replaced by a marker `[REDACTED:<kind>]`; the surrounding text (key names, URL
 * schemes, hosts, usernames, header names) is kept so that logs stay useful. Patterns are
 * deliberately precise: request UUIDs, hex trace ids, sha256 image digests, git SHAs, timestamps,
 * IPs, ports and model names are left alone. Redaction is idempotent: markers never match a rule.
 *
 * All quantifiers that precede mandatory context are bounded, so the cost stays linear in the
 * length of the text even for pathological inputs (one huge base64 blob, long words).
 */

export interface RedactionFinding {
  kind: string;
  count: number;
}

export interface RedactionResult {
  text: string;
  found: RedactionFinding[];
}

type Groups = Record<string, string | undefined>;

interface Rule {
  /** The marker kind; a function when one pattern covers several kinds. */
  readonly kind: string | ((groups: Groups) => string);
  /**
   * Global regular expression with a named group `secret` (the part that is replaced) and an
   * optional named group `pre` that must be a prefix of the match immediately followed by
   * `secret`. Anything matched after `secret` is kept too.
   */
  readonly pattern: RegExp;
  /** Last word on a candidate; returning false leaves the match unchanged. */
  readonly accept?: (secret: string, groups: Groups) => boolean;
}

/** Marker put in place of a secret. */
export function redactionMarker(kind: string): string {
  return `[REDACTED:${kind}]`;
}

const NOT_A_MARKER = String.raw`(?!\[REDACTED:)`;

/**
 * Values that are not secrets even under a secret-like key: empty/boolean/null words, masks,
 * template and environment references (`${HF_TOKEN}`, `$DB_PASSWORD`, `{{ .token }}`), bracketed
 * placeholders (`<token>`, `[PAD]`, our own markers) and words used in error messages.
 */
const PLACEHOLDER =
  /^(?:|null|nil|none|undefined|true|false|yes|no|on|off|empty|unset|redacted|hidden|masked|x+|\*+|\.+|-+|<[^>]*>|\[[^\]]*\]|\([^)]*\)|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|%\([^)]*\)s|\{\{[^}]*\}\}|invalid|incorrect|expired|missing|required|wrong|denied|failed|not|is|must|should)$/i;

const NUMBER = /^[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i;
const PATH = /^\.{0,2}\/[\w.-]+\//;

function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value);
}

/** A value under a token/secret/api-key name: long enough, random-looking, not a name, path or number. */
function looksLikeSecretValue(value: string): boolean {
  if (value.length < 8 || isPlaceholder(value) || NUMBER.test(value) || PATH.test(value)) return false;
  if (/[0-9]/.test(value)) return true;
  if (/[^A-Za-z0-9._-]/.test(value)) return true;
  return value.length >= 16 && /[a-z]/.test(value) && /[A-Z]/.test(value);
}

/** A value under a password name after a bare `:` (prose-prone, e.g. "password: must be 8 chars"). */
function looksLikeLoosePassword(value: string): boolean {
  if (isPlaceholder(value)) return false;
  return /[0-9]/.test(value) || /[^A-Za-z0-9]/.test(value);
}

// ---------------------------------------------------------------------------------------------
// Key names that announce a secret in `key=value`, `key: value` and JSON `"key": "value"` form.
// The name must END with one of these words: `DB_PASSWORD`, `clientSecret`, `x-api-key`,
// `_authToken`, `SECRET_KEY_BASE` (no: ends with BASE), `max_tokens` (no: plural), `tokenizer` (no).
const SECRET_KEYWORD = `(?:pass(?:word|wd|phrase)|(?<=[_.-])pwd|secret(?:[_-]?key)?|token|api[_-]?key|access[_-]?key|private[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key|auth[_-]?key)`;
const SECRET_KEY = `[A-Za-z0-9_.-]{0,40}?${SECRET_KEYWORD}`;
/**
 * Unquoted key, matched keyword-first (the prefix is captured by a lookbehind) so that the
 * scan stays fast on long runs of identifier characters.
 */
const BARE_KEY = String.raw`(?<key>${SECRET_KEYWORD})(?<=(?<![A-Za-z0-9"'\\])(?<kp>[A-Za-z0-9_.-]{0,40})\k<key>)`;
const SECRET_KEY_RE = new RegExp(`^${SECRET_KEY}$`, 'i');
const PASSWORD_KEY_RE = /(?:pass(?:word|wd|phrase)|pwd)$/i;
/** Token names that are model vocabulary or pagination, not credentials. */
const NON_SECRET_KEY_RE =
  /(?:^|[_.-])(?:eos|bos|pad|unk|sep|cls|mask|special|max|min|num|total|prompt|completion|page|next|continue|continuation)[_-]?token$/i;

function keyKind(key: string): string {
  return PASSWORD_KEY_RE.test(key) ? 'password' : 'generic_secret';
}

function acceptKeyValue(loose: boolean) {
  return (secret: string, groups: Groups): boolean => {
    const key = (groups.kp ?? '') + (groups.key ?? '');
    if (NON_SECRET_KEY_RE.test(key)) return false;
    if (keyKind(key) === 'password') return loose ? looksLikeLoosePassword(secret) : !isPlaceholder(secret);
    return looksLikeSecretValue(secret);
  };
}

const keyValueKind = (groups: Groups): string => keyKind(groups.key ?? '');

/** Characters of an unquoted value: stops at whitespace, quotes, separators and closing brackets. */
const BARE_VALUE = String.raw`(?:\$\{[^}\s]{1,200}\}|[^\s"'\`,;&|)}\]<>]{1,512})`;

// Token-like boundaries: the secret is not part of a longer identifier.
const B = `(?<![A-Za-z0-9_-])`;
const E = `(?![A-Za-z0-9_-])`;

/** Connection-string schemes whose passwords are reported as `db_connection_string`. */
const DB_SCHEMES = String.raw`(?:postgres(?:ql)?|mysql|mariadb|mssql|sqlserver|mongodb(?:\+srv)?|rediss?|amqps?|clickhouse|cockroachdb|cassandra|neo4j(?:\+s)?)`;
/** `user:` right after `scheme://` (user may be empty: `redis://:pass@host`). */
const URL_USER = String.raw`://[^\s:/?#@"'<>]{0,256}:`;
/** Password up to the LAST `@` before the host (unencoded `@` in passwords happens). */
const URL_PASSWORD = String.raw`${NOT_A_MARKER}[^\s/?#"'<>]{1,256}(?=@[^\s/?#@"'<>:]+)`;

function re(source: string, flags = 'g'): RegExp {
  return new RegExp(source, flags);
}

/**
 * The rules, most specific first. A later rule never re-matches an earlier marker (every secret
 * group excludes `[REDACTED:`), so e.g. `OPENAI_API_KEY=sk-…` is reported as `openai_api_key`,
 * not as `generic_secret`.
 */

const RULES: readonly Rule[] = [
  // GCP service-account JSON: the "private_key" PEM (escaped newlines) and its "private_key_id".
  {
    kind: 'gcp_service_account_key',
    pattern: re(String.raw`(?<pre>(?<q>\\?")private_key\k<q>\s*:\s*\k<q>)(?<secret>-----BEGIN[^"]{0,20000}?)(?=\\?")`),
  },
  {
    kind: 'gcp_service_account_key',
    pattern: re(String.raw`(?<pre>(?<q>\\?")private_key_id\k<q>\s*:\s*\k<q>)(?<secret>[0-9a-f]{40})(?=\\?")`),
  },
  // PEM private keys (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP … PRIVATE KEY [BLOCK]) with real or
  // escaped newlines; a block truncated before its END line is redacted up to the end of the base64.
  {
    kind: 'private_key',
    pattern: re(
      String.raw`(?<secret>-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,20000}?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----|(?:\\[nr]|[\sA-Za-z0-9+/=:,.-]){0,20000}))`,
    ),
  },
  // Slack incoming-webhook URLs: https://hooks.slack.com/services/T…/B…/secret (also workflows/triggers).
  {
    kind: 'slack_webhook',
    pattern: re(
      String.raw`(?<pre>https://hooks\.slack\.com/(?:services|workflows|triggers)/)(?<secret>[A-Za-z0-9]+/[A-Za-z0-9/_-]{10,300})`,
    ),
  },
  // JWTs: base64url header and payload that both start with eyJ ('{"'), then a signature (maybe empty).
  {
    kind: 'jwt',
    pattern: re(String.raw`${B}(?<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)${E}`),
  },
  // Anthropic API keys: sk-ant-api03-… / sk-ant-admin01-….
  { kind: 'anthropic_api_key', pattern: re(`${B}(?<secret>sk-ant-[A-Za-z0-9_-]{20,})${E}`) },
  // OpenAI keys: sk-proj-/sk-svcacct-/sk-admin- + 40+ chars, or legacy sk- + 32+ alphanumerics
  // with a digit (so host names such as sk-prod-inference-eu-west-1 are not keys).
  {
    kind: 'openai_api_key',
    pattern: re(
      `${B}(?<secret>sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,}|(?=[A-Za-z]{0,64}[0-9])[A-Za-z0-9]{32,}(?:T3BlbkFJ[A-Za-z0-9]{20,})?))${E}`,
    ),
  },
  // Hugging Face user access tokens: hf_ + 30+ alphanumerics (env names such as HF_HUB_ENABLE_HF_TRANSFER do not match).
  { kind: 'huggingface_token', pattern: re(`(?<![A-Za-z0-9_])(?<secret>hf_[A-Za-z0-9]{30,})(?![A-Za-z0-9_])`) },
  // GitHub tokens: ghp_/gho_/ghu_/ghs_/ghr_ + 36+ alphanumerics, and fine-grained github_pat_….
  {
    kind: 'github_token',
    pattern: re(`(?<![A-Za-z0-9_])(?<secret>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{40,255})(?![A-Za-z0-9_])`),
  },
  // GitLab personal/project access tokens: glpat- + 20+ chars.
  { kind: 'gitlab_token', pattern: re(`${B}(?<secret>glpat-[A-Za-z0-9_-]{20,})${E}`) },
  // Slack tokens: xoxb-/xoxp-/xoxa-/xoxo-/xoxr-/xoxs-/xoxe- and app-level xapp-.
  { kind: 'slack_token', pattern: re(`${B}(?<secret>(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{10,})${E}`) },
  // Google API keys: AIza + 35 chars.
  { kind: 'google_api_key', pattern: re(`${B}(?<secret>AIza[0-9A-Za-z_-]{35})${E}`) },
  // Google OAuth access tokens (ya29.…) and OAuth client secrets (GOCSPX-…).
  {
    kind: 'google_oauth_token',
    pattern: re(String.raw`(?<![A-Za-z0-9_.-])(?<secret>ya29\.[0-9A-Za-z._-]{20,}|GOCSPX-[0-9A-Za-z_-]{20,})${E}`),
  },
  // Stripe secret and restricted keys (sk_live_/rk_live_, also _test_) and webhook secrets (whsec_).
  {
    kind: 'stripe_key',
    pattern: re(`(?<![A-Za-z0-9_])(?<secret>(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{24,})(?![A-Za-z0-9_])`),
  },
  // npm access tokens: npm_ + 36 alphanumerics.
  { kind: 'npm_token', pattern: re(`(?<![A-Za-z0-9_])(?<secret>npm_[A-Za-z0-9]{36})(?![A-Za-z0-9_])`) },
  // SendGrid API keys: SG.<22>.<43>.
  { kind: 'sendgrid_api_key', pattern: re(String.raw`${B}(?<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})${E}`) },
  // Twilio API key SIDs: SK + 32 hex (uppercase SK never occurs inside a hex trace id).
  { kind: 'twilio_api_key', pattern: re(`(?<![A-Za-z0-9])(?<secret>SK[0-9a-fA-F]{32})(?![A-Za-z0-9])`) },
  // Twilio auth tokens: 32 hex, only after a twilio…auth…token name.
  {
    kind: 'twilio_auth_token',
    pattern: re(String.raw`(?<pre>twilio[_.-]?auth[_.-]?token["']?\s*[:=]\s*["']?)(?<secret>[0-9a-f]{32})(?![0-9a-z])`, 'gi'),
  },
  // Database/queue connection strings with a password: postgres://user:PASS@host/db.
  {
    kind: 'db_connection_string',
    pattern: re(`(?<pre>(?<![A-Za-z0-9+.-])${DB_SCHEMES}${URL_USER})(?<secret>${URL_PASSWORD})`, 'gi'),
    accept: (secret) => !isPlaceholder(secret),
  },
  // Basic-auth credentials in any other URL: https://user:PASS@host/.
  {
    kind: 'url_basic_auth',
    pattern: re(`(?<pre>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}${URL_USER})(?<secret>${URL_PASSWORD})`),
    // A purely numeric "password" is a port (grpc://10.0.0.1:50051@…), not a credential.
    accept: (secret) => !isPlaceholder(secret) && !/^\d+$/.test(secret),
  },
  // AWS access key ids: AKIA (long-term) / ASIA (STS) / ABIA / ACCA + 16 uppercase alphanumerics.
  {
    kind: 'aws_access_key',
    pattern: re(`(?<![A-Za-z0-9])(?<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Za-z0-9])`),
  },
  // AWS secret access keys: exactly 40 base64 chars after aws_secret_access_key / SecretAccessKey /
  // aws_secret_key / AWS_SECRET (any case, =, : or JSON). Bare 40-char strings (git SHAs) are left alone.
  {
    kind: 'aws_secret_access_key',
    pattern: re(
      String.raw`(?<pre>(?<![A-Za-z0-9])(?:aws[_.-]?secret(?:[_.-]?access)?(?:[_.-]?key)?|secret[_.-]?access[_.-]?key)\\?["']?\s*(?:[:=]|=>)\s*\\?["']?)(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
      'gi',
    ),
  },
  // Azure storage / Service Bus connection strings: AccountKey=… / SharedAccessKey=… (base64).
  {
    kind: 'azure_storage_key',
    pattern: re(
      String.raw`(?<pre>(?<![A-Za-z0-9])(?:AccountKey|SharedAccessKey)\s*=\s*)(?<secret>[A-Za-z0-9+/]{20,}={0,2})`,
      'gi',
    ),
  },
  // Azure SAS token signatures in URLs: ?…&sig=<url-encoded base64>.
  {
    kind: 'azure_sas_token',
    pattern: re(`(?<pre>[?&]sig=)(?<secret>[A-Za-z0-9%+/]{20,}(?:%3D|=){0,2})`),
  },
  // Authorization headers (also JSON/logfmt): Bearer <token> / Basic <base64> / Token|ApiKey <key> (6+ chars),
  // or a bare random-looking value (8+ chars with a digit, symbol or mixed case).
  {
    kind: (g) => {
      const scheme = (g.scheme ?? '').toLowerCase();
      if (scheme === 'basic') return 'basic_auth';
      if (scheme === '' || scheme === 'bearer') return 'bearer_token';
      return 'authorization_header';
    },
    pattern: re(
      String.raw`(?<pre>(?<![A-Za-z0-9])(?:proxy-)?authorization\\?["']?\s*[:=]\s*\\?["']?(?:(?<scheme>bearer|basic|token|apikey|api-key|ssws)\s+)?)(?<secret>${NOT_A_MARKER}[A-Za-z0-9._~+/=-]{6,4096})`,
      'gi',
    ),
    accept: (secret, g) => (g.scheme ? !isPlaceholder(secret) : looksLikeSecretValue(secret)),
  },
  // Bearer tokens outside a header name ("curl -H 'Bearer …'", "using Bearer …"): 16+ chars with a digit.
  {
    kind: 'bearer_token',
    pattern: re(
      String.raw`(?<pre>(?<![A-Za-z0-9])bearer\s+)(?<secret>(?=[A-Za-z._~+/-]{0,64}[0-9])[A-Za-z0-9._~+/-]{16,4096}=*)`,
      'gi',
    ),
  },
  // Secret-like names with a value: "password": "…" / 'api_key': '…' (JSON, Python repr, escaped JSON).
  {
    kind: keyValueKind,
    pattern: re(
      String.raw`(?<pre>(?<kq>["'])(?<key>${SECRET_KEY})\k<kq>\s*[:=]\s*(?<q>["']))(?<secret>${NOT_A_MARKER}(?:\\.|(?!\k<q>)[^\\\n]){1,1024})(?=\k<q>)`,
      'gi',
    ),
    accept: acceptKeyValue(false),
  },
  {
    kind: keyValueKind,
    pattern: re(
      String.raw`(?<pre>(?<kq>\\["'])(?<key>${SECRET_KEY})\k<kq>\s*[:=]\s*(?<q>\\["']))(?<secret>${NOT_A_MARKER}(?:(?!\k<q>)[^\n]){1,1024}?)(?=\k<q>)`,
      'gi',
    ),
    accept: acceptKeyValue(false),
  },
  // Unquoted names: password="…", DB_PASSWORD=…, token: …, --api-key=…, ?password=…&.
  {
    kind: keyValueKind,
    pattern: re(
      String.raw`(?<pre>${BARE_KEY}\s*[:=]\s*(?<q>["']))(?<secret>${NOT_A_MARKER}(?:\\.|(?!\k<q>)[^\\\n]){1,1024})(?=\k<q>)`,
      'gi',
    ),
    accept: acceptKeyValue(false),
  },
  {
    kind: keyValueKind,
    pattern: re(String.raw`(?<pre>${BARE_KEY}\s*=\s*)(?<secret>${NOT_A_MARKER}${BARE_VALUE})`, 'gi'),
    accept: acceptKeyValue(false),
  },
  {
    kind: keyValueKind,
    pattern: re(String.raw`(?<pre>${BARE_KEY}:(?!//)[ \t]*)(?<secret>${NOT_A_MARKER}${BARE_VALUE})`, 'gi'),
    accept: acceptKeyValue(true),
  },
];

/** Every kind this module can report. */
export const SECRET_KINDS: readonly string[] = [
  'gcp_service_account_key',
  'private_key',
  'slack_webhook',
  'jwt',
  'anthropic_api_key',
  'openai_api_key',
  'huggingface_token',
  'github_token',
  'gitlab_token',
  'slack_token',
  'google_api_key',
  'google_oauth_token',
  'stripe_key',
  'npm_token',
  'sendgrid_api_key',
  'twilio_api_key',
  'twilio_auth_token',
  'db_connection_string',
  'url_basic_auth',
  'aws_access_key',
  'aws_secret_access_key',
  'azure_storage_key',
  'azure_sas_token',
  'bearer_token',
  'basic_auth',
  'authorization_header',
  'password',
  'generic_secret',
  'email_address',
  'custom_pattern',
];

/**
 * E-mail addresses (personal data, not secrets, so they can be turned off). Not `git@github.com:org/repo`
 * (an scp-style git remote) nor image digests (`vllm@sha256:…`, no dot in the "domain").
 */
const EMAIL_RULE: Rule = {
  kind: 'email_address',
  pattern: /(?<![\w.%+-])(?<secret>[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24})(?![\w-]|:[\w~/])/g,
};

const DEFAULT_RULES: readonly Rule[] = [...RULES, EMAIL_RULE];

export interface RedactorOptions {
  /** Redact e-mail addresses too (default true). */
  emails?: boolean;
  /** Further patterns whose whole match is a secret (`custom_pattern`), e.g. internal account ids. */
  extraPatterns?: readonly RegExp[];
}

/**
 * A redactor with the built-in rules, e-mail addresses unless turned off, and extra patterns from
 * configuration (applied last, to what the built-in rules left).
 */
export class Redactor {
  private readonly rules: readonly Rule[];

  constructor(options: RedactorOptions = {}) {
    const extra = (options.extraPatterns ?? []).map(
      (pattern): Rule => ({
        kind: 'custom_pattern',
        pattern: new RegExp(`(?<secret>${pattern.source})`, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`),
      }),
    );
    this.rules = [...RULES, ...(options.emails === false ? [] : [EMAIL_RULE]), ...extra];
  }

  text(text: string): RedactionResult {
    const counts = new Map<string, number>();
    const out = redactInto(text, counts, this.rules);
    return { text: out, found: findings(counts) };
  }

  deep<T>(value: T): { value: T; found: RedactionFinding[] } {
    const counts = new Map<string, number>();
    const out = deep(value, undefined, counts, new WeakMap(), this.rules) as T;
    return { value: out, found: findings(counts) };
  }
}

function applyRule(rule: Rule, text: string, counts: Map<string, number>): string {
  return text.replace(rule.pattern, (...args: unknown[]) => {
    const match = args[0] as string;
    const groups = args[args.length - 1] as Groups;
    const secret = groups.secret;
    if (secret === undefined || secret === '') return match;
    if (rule.accept && !rule.accept(secret, groups)) return match;
    const kind = typeof rule.kind === 'string' ? rule.kind : rule.kind(groups);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const start = groups.pre?.length ?? 0;
    return match.slice(0, start) + redactionMarker(kind) + match.slice(start + secret.length);
  });
}

function redactInto(text: string, counts: Map<string, number>, rules: readonly Rule[] = DEFAULT_RULES): string {
  let out = text;
  for (const rule of rules) out = applyRule(rule, out, counts);
  return out;
}

function findings(counts: Map<string, number>): RedactionFinding[] {
  return [...counts].map(([kind, count]) => ({ kind, count }));
}

/**
 * Replaces every secret in `text` by `[REDACTED:<kind>]` and reports how many of each kind were
 * found (in rule order). Deterministic and idempotent: `redactSecrets(redactSecrets(t).text)` finds nothing.
 */
export function redactSecrets(text: string): RedactionResult {
  return DEFAULT_REDACTOR.text(text);
}

const AUTHORIZATION_KEY_RE = /^(?:proxy-)?authorization$/i;

/** A string under an object key: header-aware, and the key name itself can mark the value as secret. */
function redactValueUnderKey(key: string, value: string, counts: Map<string, number>, rules: readonly Rule[]): string {
  if (AUTHORIZATION_KEY_RE.test(key)) {
    const prefix = 'Authorization: ';
    const redacted = redactInto(prefix + value, counts, rules);
    if (redacted.startsWith(prefix)) return redacted.slice(prefix.length);
  }
  const redacted = redactInto(value, counts, rules);
  if (redacted !== value || !SECRET_KEY_RE.test(key) || NON_SECRET_KEY_RE.test(key)) return redacted;
  const kind = keyKind(key);
  const secret = kind === 'password' ? !isPlaceholder(value) : looksLikeSecretValue(value);
  if (!secret) return value;
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return redactionMarker(kind);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function deep(
  value: unknown,
  key: string | undefined,
  counts: Map<string, number>,
  seen: WeakMap<object, unknown>,
  rules: readonly Rule[],
): unknown {
  if (typeof value === 'string')
    return key === undefined ? redactInto(value, counts, rules) : redactValueUnderKey(key, value, counts, rules);
  if (value === null || typeof value !== 'object') return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(deep(item, undefined, counts, seen, rules));
    return copy;
  }
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
  seen.set(value, copy);
  for (const [k, v] of Object.entries(value)) copy[k] = deep(v, k, counts, seen, rules);
  return copy;
}

/**
 * Same as {@link redactDeep}, also reporting what was found. Strings anywhere in arrays and plain
 * objects are redacted; a string under a secret-like key (`password`, `apiKey`, `client_secret`,
 * `Authorization`, …) is redacted as a whole when it looks like a secret. Other values (numbers,
 * booleans, Dates, class instances) are kept as they are; cycles are preserved.
 */
export function redactDeepWithFindings<T>(value: T): { value: T; found: RedactionFinding[] } {
  return DEFAULT_REDACTOR.deep(value);
}

/** Returns a copy of a JSON-like value with every string redacted (see {@link redactSecrets}). */
export function redactDeep<T>(value: T): T {
  return redactDeepWithFindings(value).value;
}

const DEFAULT_REDACTOR = new Redactor();
