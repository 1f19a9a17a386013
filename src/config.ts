import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/** Raised when the environment does not describe a runnable assistant; lists every problem at once. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const integer = (min: number, max: number) => {
  const expected = `must be a whole number from ${min} to ${max}`;
  return z.coerce
    .number({ error: expected })
    .int({ error: expected })
    .min(min, { error: expected })
    .max(max, { error: expected });
};

const url = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL such as http://localhost:8000/v1' });

/** Every setting the assistant reads. Keep `.env.example` in step with this schema. */
const envSchema = z.object({
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: integer(0, 65535).default(3000),
  DATA_DIR: z.string().min(1).default('./data'),
  LLM_PROVIDER: z.enum(['offline', 'openai'], { error: 'must be "offline" or "openai"' }).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: url.optional(),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_TIMEOUT_MS: integer(1000, 600_000).default(60_000),
  AGENT_MAX_STEPS: integer(1, 50).default(8),
  TOOL_TIMEOUT_MS: integer(100, 600_000).default(30_000),
  TOOL_RESULT_MAX_CHARS: integer(500, 200_000).default(6_000),
  THREAD_HISTORY_MESSAGES: integer(2, 500).default(40),
  MAX_MESSAGE_CHARS: integer(100, 40_000).default(16_000),
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', { error: 'must be a bot token starting with xoxb-' }).optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z
    .string()
    .startsWith('xapp-', { error: 'must be an app-level token starting with xapp- (for Socket Mode)' })
    .optional(),
  SLACK_API_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL ending in /api/, e.g. https://slack.com/api/' })
    .optional(),
  ALERTMANAGER_TOKEN: z.string().min(1).optional(),
  ALERT_CHANNEL: z
    .string()
    .regex(/^[CGD][A-Z0-9]+$/, { error: 'must be a Slack channel ID such as C0123ABCD' })
    .optional(),
  APPROVAL_POLICY_FILE: z.string().min(1).optional(),
  DEPLOY_BACKEND: z.enum(['local', 'kubernetes'], { error: 'must be "local" or "kubernetes"' }).default('local'),
  KUBE_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'must be a Kubernetes namespace name (lower case, digits, -)' })
    .default('llm-serving'),
  VLLM_IMAGE: z.string().min(1).default('vllm/vllm-openai:v0.11.0'),
  LOCAL_RUNTIME_COMMAND: z
    .string()
    .min(1)
    .includes('{port}', { error: 'must contain {port}, where the server is told which port to listen on' })
    .optional(),
  JOB_BACKEND: z.enum(['local', 'kubernetes'], { error: 'must be "local" or "kubernetes"' }).optional(),
  JOB_IMAGE: z.string().min(1).optional(),
  QUANTIZE_COMMAND: z
    .string()
    .min(1)
    .includes('{output}', { error: 'must contain {output}, where the compressed model is written' })
    .optional(),
  DISTILL_COMMAND: z
    .string()
    .min(1)
    .includes('{output}', { error: 'must contain {output}, where the student is written' })
    .optional(),
  DEMO: z.enum(['on', 'off'], { error: 'must be "on" or "off"' }).default('on'),
  DEMO_SEED: integer(0, 2 ** 31 - 1).default(42),
  DEMO_BACKFILL_DAYS: integer(0, 90).default(14),
  METRICS_SCRAPE_INTERVAL_S: integer(1, 3600).default(60),
  METRICS_RETENTION_DAYS: integer(1, 365).default(15),
  PROMETHEUS_URL: url.optional(),
  PROMETHEUS_BEARER_TOKEN: z.string().min(1).optional(),
  PROMETHEUS_USERNAME: z.string().min(1).optional(),
  PROMETHEUS_PASSWORD: z.string().min(1).optional(),
  PROMETHEUS_TIMEOUT_MS: integer(100, 300_000).default(10_000),
  METRICS_DEPLOYMENT_LABEL: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'must be a Prometheus label name such as model_name' })
    .default('model_name'),
  LOG_SOURCE: z.enum(['file', 'loki', 'kubernetes'], { error: 'must be "file", "loki" or "kubernetes"' }).optional(),
  LOKI_URL: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL such as http://loki:3100' }).optional(),
  LOKI_BEARER_TOKEN: z.string().min(1).optional(),
  LOKI_USERNAME: z.string().min(1).optional(),
  LOKI_PASSWORD: z.string().min(1).optional(),
  LOKI_TENANT: z.string().min(1).optional(),
  LOKI_DEPLOYMENT_LABEL: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'must be a Loki label name such as app' })
    .default('app'),
  LOKI_TIMEOUT_MS: integer(100, 300_000).default(10_000),
  REDACT_EMAILS: z.enum(['on', 'off'], { error: 'must be "on" or "off"' }).default('on'),
  REDACT_PATTERNS: z
    .string()
    .transform((text, ctx) => {
      let list: unknown;
      try {
        list = JSON.parse(text);
      } catch {
        list = undefined;
      }
      if (!Array.isArray(list) || !list.every((item) => typeof item === 'string' && item.length > 0)) {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of regular expressions, e.g. ["acct-[0-9]{8}"]' });
        return z.NEVER;
      }
      const patterns: RegExp[] = [];
      for (const source of list as string[]) {
        try {
          patterns.push(new RegExp(source, 'g'));
        } catch (error) {
          ctx.addIssue({
            code: 'custom',
            message: `${JSON.stringify(source)} is not a valid regular expression: ${(error as Error).message}`,
          });
          return z.NEVER;
        }
      }
      return patterns;
    })
    .optional(),
});

type RawEnv = z.infer<typeof envSchema>;

export interface Config extends Omit<RawEnv, 'LLM_PROVIDER' | 'LOG_SOURCE' | 'JOB_BACKEND'> {
  LLM_PROVIDER: 'offline' | 'openai';
  JOB_BACKEND: 'local' | 'kubernetes';
  LOG_SOURCE: 'file' | 'loki' | 'kubernetes';
  DATA_DIR: string;
}

/** Names every variable the schema knows, for `.env.example` checks and documentation. */
export const configVariables = Object.keys(envSchema.shape);

/**
 * Validates the environment once. Empty strings count as unset, so `FOO=` in a `.env`
 * file means "use the default" rather than "an empty value".
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned: Record<string, string> = {};
  for (const key of configVariables) {
    const value = env[key]?.trim();
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '(environment)');
        const value = cleaned[name];
        return `${name}${value === undefined ? '' : `=${JSON.stringify(redactValue(name, value))}`}: ${issue.message}`;
      }),
    );
  }
  const raw = parsed.data;
  const problems: string[] = [];
  // A key or a server's address alone means that server: vLLM and Ollama take no key.
  const provider = raw.LLM_PROVIDER ?? (raw.OPENAI_API_KEY || raw.OPENAI_BASE_URL ? 'openai' : 'offline');
  if (provider === 'openai' && !raw.OPENAI_API_KEY && !raw.OPENAI_BASE_URL) {
    problems.push(
      'LLM_PROVIDER=openai: needs OPENAI_API_KEY (OpenAI, Azure OpenAI) or OPENAI_BASE_URL (a vLLM or Ollama server that takes no key); set one, or unset LLM_PROVIDER to use the offline planner',
    );
  }
  if (raw.SLACK_BOT_TOKEN && !raw.SLACK_APP_TOKEN && !raw.SLACK_SIGNING_SECRET) {
    problems.push(
      'SLACK_BOT_TOKEN is set: Slack also needs SLACK_SIGNING_SECRET (HTTP mode, events at /slack/events) or SLACK_APP_TOKEN (Socket Mode)',
    );
  }
  if (!raw.SLACK_BOT_TOKEN && (raw.SLACK_APP_TOKEN || raw.SLACK_SIGNING_SECRET)) {
    problems.push(
      'SLACK_APP_TOKEN / SLACK_SIGNING_SECRET are set without SLACK_BOT_TOKEN (xoxb-…), which the assistant needs to post',
    );
  }
  if (raw.PROMETHEUS_BEARER_TOKEN && (raw.PROMETHEUS_USERNAME || raw.PROMETHEUS_PASSWORD)) {
    problems.push(
      'PROMETHEUS_BEARER_TOKEN and PROMETHEUS_USERNAME/PROMETHEUS_PASSWORD: set one kind of Prometheus auth, not both',
    );
  }
  if (Boolean(raw.PROMETHEUS_USERNAME) !== Boolean(raw.PROMETHEUS_PASSWORD)) {
    problems.push('PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD: basic auth needs both');
  }
  const logSource = raw.LOG_SOURCE ?? (raw.LOKI_URL ? 'loki' : 'file');
  if (logSource === 'loki' && !raw.LOKI_URL) {
    problems.push('LOG_SOURCE=loki: needs LOKI_URL, e.g. http://loki:3100; set it, or choose LOG_SOURCE=file or kubernetes');
  }
  if (raw.LOKI_BEARER_TOKEN && (raw.LOKI_USERNAME || raw.LOKI_PASSWORD)) {
    problems.push('LOKI_BEARER_TOKEN and LOKI_USERNAME/LOKI_PASSWORD: set one kind of Loki auth, not both');
  }
  if (Boolean(raw.LOKI_USERNAME) !== Boolean(raw.LOKI_PASSWORD)) {
    problems.push('LOKI_USERNAME and LOKI_PASSWORD: basic auth needs both');
  }
  const jobBackend = raw.JOB_BACKEND ?? raw.DEPLOY_BACKEND;
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...raw,
    LLM_PROVIDER: provider,
    LOG_SOURCE: logSource,
    JOB_BACKEND: jobBackend,
    DATA_DIR: resolve(raw.DATA_DIR),
  };
}

/** Reads `.env` from the working directory into `process.env` when present; real env vars win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

function redactValue(name: string, value: string): string {
  return /KEY|TOKEN|SECRET|PASSWORD/.test(name) ? '***' : value;
}
