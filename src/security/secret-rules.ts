/**
 * The patterns of the secret redactor: precise rules for secrets with a known shape (provider
 * keys, cloud credentials, connection strings, JWTs, PEM blocks), rules for values under
 * secret-named keys in any key/value syntax, and rules for secrets written in prose ("my password
 * is …", "the api key Zq8v…"). Request UUIDs, hex trace ids, digests, git SHAs, timestamps, IPs,
 * ports and model names are left alone.
 *
 * All quantifiers that precede mandatory context are bounded, so the cost stays linear in the
 * length of the text even for pathological inputs (one huge base64 blob, long words).
 */

export type Groups = Record<string, string | undefined>;

export interface Rule {
  /** The marker kind; a function when one pattern covers several kinds. */
  readonly kind: string | ((groups: Groups, secret: string) => string);
  /**
   * Global regular expression with a named group `secret` (the part that is replaced) and an
   * optional named group `pre` that must be a prefix of the match immediately followed by
   * `secret`. Anything matched after `secret` is kept too.
   */
  readonly pattern: RegExp;
  /** Last word on a candidate; returning false leaves the match unchanged. */
  readonly accept?: (secret: string, groups: Groups) => boolean;
}

/**
 * Found secrets are masked with this character (one per character of the secret) while the
 * rules run, so that later rules neither see nor re-match them and offsets stay those of the
 * original text. It is a private-use character that no rule accepts as part of a value.
 */
export const MASK = '\uE000';

/** Neither one of our markers nor a masked secret starts here. */
const NOT_FOUND_YET = String.raw`(?!\[REDACTED:|\uE000)`;

/**
 * Values that are not secrets even under a secret-like key: empty/boolean/null words, masks,
 * template and environment references (`${HF_TOKEN}`, `$DB_PASSWORD`, `{{ .token }}`), bracketed
 * placeholders (`<token>`, `[PAD]`, our own markers) and words used in error messages.
 */
const PLACEHOLDER =
  /^(?:|null|nil|none|undefined|true|false|yes|no|on|off|empty|unset|redacted|hidden|masked|x+|\*+|\.+|-+|<[^>]*>|\[[^\]]*\]|\([^)]*\)|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|%\([^)]*\)s|\{\{[^}]*\}\}|invalid|incorrect|expired|missing|required|wrong|denied|failed|not|is|must|should)$/i;

const NUMBER = /^[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i;
const PATH = /^\.{0,2}\/[\w.-]+\//;
/** A file path or URL, which names where a secret is, not the secret: `/run/secrets/db`, `~/.ssh/id_rsa`, `C:\keys`. */
const LOCATION = /^(?:[~.]{0,2}\/|[A-Za-z]:\\|[a-z][a-z0-9+.-]{1,20}:\/\/)/i;
/** A measured quantity, version, date or time: `1234ms`, `97.5%`, `v1.2.3`, `2025-05-14`, `10:00:01`. */
const QUANTITY = /^(?:[+-]?\d+(?:[.,]\d+)?[a-z%]{0,5}|v?\d+(?:\.\d+){1,3}[a-z0-9-]*|\d{1,4}(?:[-/:.]\d{1,4}){1,3}[tz0-9:.+-]*)$/i;
/** A digest named by its algorithm (`sha256-…`, `md5:…`): an integrity check, not a credential. */
const DIGEST_PREFIX = /^(?:sha\d*|md5|blake\d*|xxh\d*|crc\d*)[-:_]/i;
const HEX_OR_UUID = /^(?:[0-9a-f]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value);
}

/** A value under a token/secret/api-key name: long enough, random-looking, not a name, path or number. */
export function looksLikeSecretValue(value: string): boolean {
  if (value.length < 8 || isPlaceholder(value) || NUMBER.test(value) || PATH.test(value)) return false;
  if (/[0-9]/.test(value)) return true;
  if (/[^A-Za-z0-9._-]/.test(value)) return true;
  return value.length >= 16 && /[a-z]/.test(value) && /[A-Z]/.test(value);
}

/** A value under a password name after a bare `:` (prose-prone, e.g. "password: must be 8 chars"). */
function looksLikeLoosePassword(value: string): boolean {
  if (isPlaceholder(value) || LOCATION.test(value)) return false;
  return /[0-9]/.test(value) || /[^A-Za-z0-9]/.test(value);
}

/** Shannon entropy in bits per character. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * A password written in prose or after a short key (`pw`, `pass`): letters with digits or
 * symbols, not a quantity, version, date, location or placeholder word.
 */
function looksLikeProsePassword(value: string): boolean {
  if (value.length < 4 || isPlaceholder(value) || LOCATION.test(value) || QUANTITY.test(value)) return false;
  const letters = /[A-Za-z]/.test(value);
  const digits = /[0-9]/.test(value);
  const symbols = /[^A-Za-z0-9]/.test(value);
  return (letters && (digits || symbols)) || (digits && symbols) || (digits && value.length >= 6);
}

/**
 * A string next to a secret word without `is`/`:`/`=` ("the api key Zq8v…"): long, random-looking
 * (two character classes, high entropy), and not a hex digest or UUID, which are usually ids.
 */
function looksLikeBareSecret(value: string): boolean {
  if (value.length < 16 || HEX_OR_UUID.test(value) || LOCATION.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(value)).length;
  return classes >= 2 && /[0-9]/.test(value) && entropy(value) >= 3.5;
}

/**
 * A long random value (≥ 24 random bytes as base64 or base64url) under a name that only says
 * "key" (account_key, STORAGE_KEY, primaryKey): not a hex digest, UUID, path or file name.
 */
function looksLikeLongRandom(value: string): boolean {
  if (value.length < 32 || HEX_OR_UUID.test(value) || LOCATION.test(value) || DIGEST_PREFIX.test(value)) return false;
  // Random base64 has all three classes; names built from words and numbers rarely have capitals.
  return /[a-z]/.test(value) && /[A-Z]/.test(value) && /[0-9]/.test(value) && entropy(value) >= 4;
}

// ---------------------------------------------------------------------------------------------
// Key names that announce a secret in `key=value`, `key: value` and JSON `"key": "value"` form.
// The name must END with one of these words: `DB_PASSWORD`, `clientSecret`, `x-api-key`,
// `_authToken`, `db_pw`, `SMTP_PASS`, `credentials`; not `SECRET_KEY_BASE`, `max_tokens`,
// `tokenizer`, `bypass`, `oauth` (short words only as a whole word or after a separator).
const SHORT_WORD = `(?:(?<=[_.-])|(?<![A-Za-z0-9]))`;
const SECRET_KEYWORD = `(?:pass(?:word|wd|phrase|code)|${SHORT_WORD}(?:pwd|pw|pass|auth)|secret(?:[_-]?key)?|token|api[_-]?key|access[_-]?key|private[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key|auth[_-]?key|credentials?)`;
const SECRET_KEY = `[A-Za-z0-9_.-]{0,40}?${SECRET_KEYWORD}`;
/**
 * Unquoted key, matched keyword-first (the prefix is captured by a lookbehind) so that the
 * scan stays fast on long runs of identifier characters.
 */
const BARE_KEY = String.raw`(?<key>${SECRET_KEYWORD})(?<=(?<![A-Za-z0-9"'\\])(?<kp>[A-Za-z0-9_.-]{0,40})\k<key>)`;
export const SECRET_KEY_RE = new RegExp(`^${SECRET_KEY}$`, 'i');
const PASSWORD_KEY_RE = /(?:pass(?:word|wd|phrase|code)?|pwd|pw)$/i;
/** Short password names that also mean other things (`PWD` is the working directory, `pass` a test result). */
const SHORT_PASSWORD_KEY_RE = /(?:^|[_.-])(?:pwd|pw|pass)$/i;
/** Token names that are model vocabulary or pagination, not credentials. */
export const NON_SECRET_KEY_RE =
  /(?:^|[_.-])(?:eos|bos|pad|unk|sep|cls|mask|special|max|min|num|total|prompt|completion|page|next|continue|continuation)[_-]?token$/i;

/** The kind reported for a value under a secret-named key. */
export function keyKind(key: string): string {
  return PASSWORD_KEY_RE.test(key) ? 'password' : 'generic_secret';
}

/** Whether a value under a secret-named key is a secret; `loose` for `key: value` (prose-prone). */
export function acceptUnderKey(key: string, value: string, loose: boolean): boolean {
  if (NON_SECRET_KEY_RE.test(key)) return false;
  if (keyKind(key) === 'password') {
    if (SHORT_PASSWORD_KEY_RE.test(key)) return looksLikeProsePassword(value);
    return loose ? looksLikeLoosePassword(value) : !isPlaceholder(value) && !LOCATION.test(value);
  }
  return looksLikeSecretValue(value);
}

function acceptKeyValue(loose: boolean) {
  return (secret: string, groups: Groups): boolean => acceptUnderKey((groups.kp ?? '') + (groups.key ?? ''), secret, loose);
}

/** Azure storage account keys are 64 random bytes: 86 base64 characters and `==`. */
const AZURE_KEY_SHAPE = /^[A-Za-z0-9+/]{86}==$/;

/** AWS secret access key names: aws_secret_access_key, AWS_SECRET_KEY, SecretAccessKey, secret-access-key. */
const AWS_SECRET_NAME = /aws[_. -]?secret|secret[_. -]?access[_. -]?key/i;
const AWS_SECRET_SHAPE = /^[A-Za-z0-9/+]{40}$/;

/** A secret-named key's kind, refined by the value's shape where that is unambiguous. */
const keyValueKind = (groups: Groups, secret: string): string => {
  const key = `${groups.kp ?? ''}${groups.key ?? ''}`;
  if (AZURE_KEY_SHAPE.test(secret)) return 'azure_storage_key';
  if (AWS_SECRET_NAME.test(key) && AWS_SECRET_SHAPE.test(secret)) return 'aws_secret_access_key';
  return keyKind(groups.key ?? '');
};

/** Characters of an unquoted value: stops at whitespace, quotes, separators and closing brackets. */
const BARE_VALUE = String.raw`(?:\$\{[^}\s]{1,200}\}|[^\s"'\`,;&|)}\]<>]{1,512})`;

// Token-like boundaries: the secret is not part of a longer identifier.
const B = `(?<![A-Za-z0-9_-])`;
const E = `(?![A-Za-z0-9_-])`;
const BU = `(?<![A-Za-z0-9_])`;
const EU = `(?![A-Za-z0-9_])`;

/** Connection-string schemes whose passwords are reported as `db_connection_string`. */
const DB_SCHEMES = String.raw`(?:postgres(?:ql)?|mysql|mariadb|mssql|sqlserver|mongodb(?:\+srv)?|rediss?|amqps?|clickhouse|cockroachdb|cassandra|neo4j(?:\+s)?)`;
/** `user:` right after `scheme://` (user may be empty: `redis://:pass@host`). */
const URL_USER = String.raw`://[^\s:/?#@"'<>]{0,256}:`;
/** Password up to the LAST `@` before the host (unencoded `@`, `#` and `?` in passwords happen, and decoding `%XX` makes them). */
const URL_PASSWORD = String.raw`${NOT_FOUND_YET}[^\s/"'<>]{1,256}(?=@[^\s/?#@"'<>:]+)`;

/** A 40-character AWS secret access key: base64 characters with both cases and a digit or symbol. */
const AWS_SECRET = `(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])`;

/** A password word on its own: password, passwd, passphrase, passcode, pass, pwd, pw. */
const PASSWORD_WORD = `(?<![A-Za-z0-9_])(?:pass(?:word|wd|phrase|code)?|pwd|pw)`;
/** Words that name a secret in prose or a dotted property name (`fs.s3a.secret.key`); not "key" alone, nor "tokens". */
const SECRET_WORD = `(?<![A-Za-z0-9_])(?:(?:api|access|secret|private|auth|signing|license|master|encryption|account|storage|service|client|bot|app)[ ._-]?key|api[ ._-]?token|access[ ._-]?token|apikey|token|secret|credentials?)`;
/** What the secret is for: "for the redis box", "of admin", "to the staging db" (up to three words). */
const QUALIFIER = String.raw`(?:\s+(?:for|of|to|on|at|in)\s+(?:(?:the|my|our|your|an?)\s+)?[\w.@:/-]{1,40}(?:\s+[\w.@:/-]{1,40}){0,2}?)?`;
/** "is", "was", "is now", "is set to", ":", "=", ":=", "=>", "->". */
const COPULA = String.raw`(?:\s+(?:is|was|are)(?:\s+(?:now|still|currently|just|set\s+to|changed\s+to))?\s+|\s*(?:[:=]|:=|=>|->)\s*)`;
/** A written value: no spaces or quotes, not ending in sentence punctuation. */
const PROSE_VALUE = String.raw`[^\s"'\`<>]{3,255}[^\s"'\`<>.,;:)\]}]`;

function re(source: string, flags = 'g'): RegExp {
  return new RegExp(source, flags);
}

/**
 * Distinctive prefixes of provider tokens, for tokens cut at the end of a line: the prefix with
 * some of the body still identifies the kind. Plain `sk-` is missing on purpose (host names), and
 * so is a JWT's `eyJ` (base64 JSON of any kind starts so; a JWT's header alone is not secret).
 */
export const TOKEN_PREFIXES: ReadonlyArray<{ readonly prefix: RegExp; readonly kind: string }> = [
  { prefix: /^sk-ant-/, kind: 'anthropic_api_key' },
  { prefix: /^sk-or-v1-/, kind: 'openrouter_api_key' },
  { prefix: /^sk-(?:proj|svcacct|admin)-/, kind: 'openai_api_key' },
  { prefix: /^hf_/, kind: 'huggingface_token' },
  { prefix: /^(?:gh[pousr]_|github_pat_)/, kind: 'github_token' },
  { prefix: /^glpat-/, kind: 'gitlab_token' },
  { prefix: /^(?:xox[abeoprs]|xapp)-/, kind: 'slack_token' },
  { prefix: /^AIza/, kind: 'google_api_key' },
  { prefix: /^(?:ya29\.|GOCSPX-)/, kind: 'google_oauth_token' },
  { prefix: /^(?:[sr]k_(?:live|test)_|whsec_)/, kind: 'stripe_key' },
  { prefix: /^npm_/, kind: 'npm_token' },
  { prefix: /^SG\./, kind: 'sendgrid_api_key' },
  { prefix: /^(?:AKIA|ASIA|ABIA|ACCA)/, kind: 'aws_access_key' },
  { prefix: /^gsk_/, kind: 'groq_api_key' },
  { prefix: /^r8_/, kind: 'replicate_api_token' },
  { prefix: /^pplx-/, kind: 'perplexity_api_key' },
  { prefix: /^xai-/, kind: 'xai_api_key' },
  { prefix: /^nvapi-/, kind: 'nvidia_api_key' },
  { prefix: /^lsv2_(?:pt|sk)_/, kind: 'langsmith_api_key' },
];

/** Where a known token prefix can start inside a run of token characters. */
export const TOKEN_PREFIX_START =
  /(?<![A-Za-z0-9])(?:sk-(?:ant|or-v1|proj|svcacct|admin)-|hf_|gh[pousr]_|github_pat_|glpat-|xox[abeoprs]-|xapp-|AIza|ya29\.|GOCSPX-|[sr]k_(?:live|test)_|whsec_|npm_|SG\.|AKIA|ASIA|ABIA|ACCA|eyJ|gsk_|r8_|pplx-|xai-|nvapi-|lsv2_(?:pt|sk)_|sk-)/;

/**
 * The rules, most specific first. A later rule never re-matches an earlier find (every secret
 * group excludes masked text), so e.g. `OPENAI_API_KEY=sk-…` is reported as `openai_api_key`,
 * not as `generic_secret`.
 */
export const RULES: readonly Rule[] = [
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
  // OpenRouter keys: sk-or-v1- + 64 hex (before OpenAI's, whose legacy form they would half match).
  { kind: 'openrouter_api_key', pattern: re(`${B}(?<secret>sk-or-v1-[0-9a-f]{48,})${E}`) },
  // OpenAI keys: sk-proj-/sk-svcacct-/sk-admin- + 40+ chars, or legacy sk- + 32+ alphanumerics
  // with a digit (so host names such as sk-prod-inference-eu-west-1 are not keys).
  {
    kind: 'openai_api_key',
    pattern: re(
      `${B}(?<secret>sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,}|(?=[A-Za-z]{0,64}[0-9])[A-Za-z0-9]{32,}(?:T3BlbkFJ[A-Za-z0-9]{20,})?))${E}`,
    ),
  },
  // Groq (gsk_ + 52), Replicate (r8_ + 37), Perplexity (pplx- + 48), xAI (xai- + 80), NVIDIA NIM
  // (nvapi- + 64) and LangSmith (lsv2_pt_/lsv2_sk_ + hex) keys.
  { kind: 'groq_api_key', pattern: re(`${BU}(?<secret>gsk_[A-Za-z0-9]{40,})${EU}`) },
  { kind: 'replicate_api_token', pattern: re(`${BU}(?<secret>r8_[A-Za-z0-9]{30,})${EU}`) },
  { kind: 'perplexity_api_key', pattern: re(`${B}(?<secret>pplx-[A-Za-z0-9]{40,})${E}`) },
  { kind: 'xai_api_key', pattern: re(`${B}(?<secret>xai-[A-Za-z0-9]{60,})${E}`) },
  { kind: 'nvidia_api_key', pattern: re(`${B}(?<secret>nvapi-[A-Za-z0-9_-]{50,})${E}`) },
  { kind: 'langsmith_api_key', pattern: re(`${BU}(?<secret>lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10})${EU}`) },
  // Hugging Face user access tokens: hf_ + 30+ alphanumerics (env names such as HF_HUB_ENABLE_HF_TRANSFER do not match).
  { kind: 'huggingface_token', pattern: re(`${BU}(?<secret>hf_[A-Za-z0-9]{30,})${EU}`) },
  // GitHub tokens: ghp_/gho_/ghu_/ghs_/ghr_ + 36+ alphanumerics, and fine-grained github_pat_….
  {
    kind: 'github_token',
    pattern: re(`${BU}(?<secret>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{40,255})${EU}`),
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
    pattern: re(`${BU}(?<secret>(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{24,})${EU}`),
  },
  // npm access tokens: npm_ + 36 alphanumerics.
  { kind: 'npm_token', pattern: re(`${BU}(?<secret>npm_[A-Za-z0-9]{36})${EU}`) },
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
  // AWS secret access keys on the line of an access key id (CSV exports, `aws configure list`, kwargs).
  {
    kind: 'aws_secret_access_key',
    pattern: re(
      String.raw`(?<pre>(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])[^\n]{1,160}?(?<![A-Za-z0-9/+]))(?<secret>${NOT_FOUND_YET}${AWS_SECRET})`,
    ),
  },
  // AWS access key ids: AKIA (long-term) / ASIA (STS) / ABIA / ACCA + 16 uppercase alphanumerics.
  {
    kind: 'aws_access_key',
    pattern: re(`(?<![A-Za-z0-9])(?<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Za-z0-9])`),
  },
  // AWS secret access keys: exactly 40 base64 chars after aws_secret_access_key / SecretAccessKey /
  // aws_secret_key / AWS_SECRET / "AWS Secret Access Key [None]:" (any case; =, :, JSON, or a space
  // as in `aws configure set … KEY`).
  // Bare 40-char strings (git SHAs) are left alone.
  {
    kind: 'aws_secret_access_key',
    pattern: re(
      String.raw`(?<pre>(?<![A-Za-z0-9])(?:aws[_. -]?secret(?:[_. -]?access)?(?:[_. -]?key)?|secret[_. -]?access[_. -]?key)\\?["']?(?:[ \t]*\[[^\]\n]{0,20}\])?(?:\s*(?:[:=]|=>)\s*|[ \t]+)\\?["']?)(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
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
  // Azure storage account keys (86 base64 + ==) under any name ending in "key", in env, YAML,
  // JSON or a CLI flag: AZURE_STORAGE_KEY=…, "storageAccountKey": "…", --account-key ….
  {
    kind: 'azure_storage_key',
    pattern: re(
      String.raw`(?<pre>(?<![A-Za-z0-9])[A-Za-z0-9_.-]{0,60}key\d?\\?["']?(?:\s*(?:[:=]|=>)\s*|[ \t]+)\\?["']?)(?<secret>[A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])`,
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
      String.raw`(?<pre>(?<![A-Za-z0-9])(?:proxy-)?authorization\\?["']?\s*[:=]\s*\\?["']?(?:(?<scheme>bearer|basic|token|apikey|api-key|ssws)\s+)?)(?<secret>${NOT_FOUND_YET}[A-Za-z0-9._~+/=-]{6,4096})`,
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
      String.raw`(?<pre>(?<kq>["'])(?<key>${SECRET_KEY})\k<kq>\s*[:=]\s*(?<q>["']))(?<secret>${NOT_FOUND_YET}(?:\\.|(?!\k<q>)[^\\\n]){1,1024})(?=\k<q>)`,
      'gi',
    ),
    accept: acceptKeyValue(false),
  },
  {
    kind: keyValueKind,
    pattern: re(
      String.raw`(?<pre>(?<kq>\\["'])(?<key>${SECRET_KEY})\k<kq>\s*[:=]\s*(?<q>\\["']))(?<secret>${NOT_FOUND_YET}(?:(?!\k<q>)[^\n]){1,1024}?)(?=\k<q>)`,
      'gi',
    ),
    accept: acceptKeyValue(false),
  },
  // Unquoted names: password="…", DB_PASSWORD=…, token: …, --api-key=…, ?password=…&.
  {
    kind: keyValueKind,
    pattern: re(
      String.raw`(?<pre>${BARE_KEY}\s*[:=]\s*(?<q>["']))(?<secret>${NOT_FOUND_YET}(?:\\.|(?!\k<q>)[^\\\n]){1,1024})(?=\k<q>)`,
      'gi',
    ),
    accept: acceptKeyValue(false),
  },
  {
    kind: keyValueKind,
    pattern: re(String.raw`(?<pre>${BARE_KEY}\s*=\s*)(?<secret>${NOT_FOUND_YET}${BARE_VALUE})`, 'gi'),
    accept: acceptKeyValue(false),
  },
  {
    kind: keyValueKind,
    pattern: re(String.raw`(?<pre>${BARE_KEY}:(?!//)[ \t]*)(?<secret>${NOT_FOUND_YET}${BARE_VALUE})`, 'gi'),
    accept: acceptKeyValue(true),
  },
  // Name/value records that name a secret: Kubernetes and ECS env lists (`- name: DB_PASSWORD` then
  // `value: …`, `{"name": "OPENAI_API_KEY", "value": "…"}`), key/value settings APIs. A name that
  // only ends in "key" (`AZURE_STORAGE_ACCOUNT_KEY`) needs a long random value.
  {
    kind: keyValueKind,
    pattern: re(
      String.raw`(?<pre>(?<![A-Za-z0-9_])["']?(?:name|key)["']?\s*[:=]\s*["']?(?<kp>[A-Za-z0-9_.-]{0,40}?)(?<key>${SECRET_KEYWORD}|key)["']?[ \t]*(?:,|\r?\n)[ \t]*(?:-[ \t]+)?["']?value["']?\s*[:=][ \t]*(?<q>["'])?)(?<secret>${NOT_FOUND_YET}${BARE_VALUE})`,
      'gi',
    ),
    accept: (secret, g) => {
      const key = `${g.kp ?? ''}${g.key ?? ''}`;
      return SECRET_KEY_RE.test(key) ? acceptUnderKey(key, secret, false) : looksLikeLongRandom(secret);
    },
  },
  // A storage-account-shaped key (86 base64 + ==) in the value field of a key record, as
  // `az storage account keys list` prints them: {"keyName": "key1", …, "value": "…=="}.
  {
    kind: 'azure_storage_key',
    pattern: re(
      String.raw`(?<pre>(?<![A-Za-z0-9])value\\?["']?\s*[:=]\s*\\?["']?)(?<secret>${NOT_FOUND_YET}[A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])`,
      'gi',
    ),
    accept: (secret) => looksLikeLongRandom(secret),
  },
  // Long random values under any name ending in "key": ACCOUNT_KEY=…, "primaryKey": "…", license_key: ….
  {
    kind: keyValueKind,
    pattern: re(
      String.raw`(?<pre>(?<key>key)(?<=(?<![A-Za-z0-9"'\\])(?<kp>[A-Za-z0-9_.-]{0,40})key)\\?["']?\s*(?:[:=]|=>)\s*\\?["']?)(?<secret>${NOT_FOUND_YET}[A-Za-z0-9_+/=-]{32,512})(?![A-Za-z0-9_+/=.-])`,
      'gi',
    ),
    accept: looksLikeLongRandom,
  },
  // Command-line flags with the value after a space: --api-key X, --token X, -password X, --db-pass X.
  {
    kind: keyValueKind,
    pattern: re(
      String.raw`(?<pre>(?<![\w-])--?(?:[A-Za-z0-9]{1,30}[-_]){0,3}(?<key>pass(?:word|wd|phrase)?|pwd|secret|token|api[-_]?key|access[-_]?key|auth[-_]?key|credentials?)[ \t]+(?<q>["'])?)(?<secret>${NOT_FOUND_YET}${BARE_VALUE})`,
      'gi',
    ),
    accept: (secret, g) => !/^-/.test(secret) && acceptUnderKey(g.key ?? '', secret.replace(/["']$/, ''), false),
  },
  // Passwords in prose: "my password is hunter2-Xy9!", "the db pass is …", "the password for the
  // redis box is …", "the password we use is …", "pass := …", quoted or not.
  {
    kind: 'password',
    pattern: re(
      String.raw`(?<pre>${PASSWORD_WORD}${QUALIFIER}(?:\s+(?:i|we|you|they)\s+[a-z]{2,12})?${COPULA}(?<q>["'\`])?)(?<secret>${NOT_FOUND_YET}${PROSE_VALUE})`,
      'gi',
    ),
    accept: (secret, g) => (g.q ? !isPlaceholder(secret) && !LOCATION.test(secret) : looksLikeProsePassword(secret)),
  },
  // A password right after the word, as after a CLI flag: "--password S3cret#", "password Hunter2!" (needs a digit).
  {
    kind: 'password',
    pattern: re(
      String.raw`(?<pre>${PASSWORD_WORD}[ \t]+)(?<secret>${NOT_FOUND_YET}(?=[^\s"'\`]{0,255}[0-9])${PROSE_VALUE})`,
      'gi',
    ),
    accept: looksLikeProsePassword,
  },
  // Random-looking strings stated to be a secret: "the api key for prod is …", "token was …", "signing key: …".
  {
    kind: 'generic_secret',
    pattern: re(
      String.raw`(?<pre>${SECRET_WORD}${QUALIFIER}(?:\s+(?:is|was|are)\s+|[ \t]*[:=][ \t]*)["'\`]?)(?<secret>${NOT_FOUND_YET}[A-Za-z0-9_+/=.-]{8,512})(?![A-Za-z0-9_+/=.-])`,
      'gi',
    ),
    accept: (secret) => looksLikeSecretValue(secret) && !LOCATION.test(secret),
  },
  // High-entropy strings right after a secret word: "here's the api key Zq8v…", "webhook secret 4tG7…".
  {
    kind: 'generic_secret',
    pattern: re(
      String.raw`(?<pre>${SECRET_WORD}[ \t]+["'\`]?)(?<secret>${NOT_FOUND_YET}[A-Za-z0-9_+/=.-]{16,512})(?![A-Za-z0-9_+/=.-])`,
      'gi',
    ),
    accept: looksLikeBareSecret,
  },
  // Chinese: 密码/口令 (password), 密钥/秘钥/令牌 (key, token) followed by 是/为/:/=.
  {
    kind: (g) => (/密码|口令/.test(g.zh ?? '') ? 'password' : 'generic_secret'),
    pattern: re(
      String.raw`(?<pre>(?<zh>密码|口令|密钥|秘钥|令牌)\s*(?:是|为|：|:|=)\s*["'“‘]?)(?<secret>${NOT_FOUND_YET}[\x21\x23-\x26\x28-\x7E]{4,256})`,
    ),
    accept: (secret) => looksLikeProsePassword(secret),
  },
];

/** Every kind this module can report. */
export const SECRET_KINDS: readonly string[] = [
  'gcp_service_account_key',
  'private_key',
  'slack_webhook',
  'jwt',
  'anthropic_api_key',
  'openrouter_api_key',
  'openai_api_key',
  'groq_api_key',
  'replicate_api_token',
  'perplexity_api_key',
  'xai_api_key',
  'nvidia_api_key',
  'langsmith_api_key',
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
export const EMAIL_RULE: Rule = {
  kind: 'email_address',
  pattern: /(?<![\w.%+-])(?<secret>[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24})(?![\w-]|:[\w~/])/g,
};
