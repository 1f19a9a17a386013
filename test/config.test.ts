import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, configVariables, loadConfig } from '../src/config.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('runs on the embedded default with nothing set', () => {
    const config = loadConfig({});
    expect(config.LLM_PROVIDER).toBe('offline');
    expect(config.PORT).toBe(3000);
    expect(config.DATA_DIR).toMatch(/[/\\]data$/);
    expect(config.AGENT_MAX_STEPS).toBe(8);
  });

  it('switches to OpenAI when a key is present, and treats empty strings as unset', () => {
    expect(loadConfig({ OPENAI_API_KEY: 'sk-test' }).LLM_PROVIDER).toBe('openai');
    expect(loadConfig({ OPENAI_API_KEY: '', PORT: '' }).LLM_PROVIDER).toBe('offline');
    // A self-hosted server (vLLM, Ollama) takes no key: its address alone switches to it.
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' }).LLM_PROVIDER).toBe('openai');
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', LLM_PROVIDER: 'offline' }).LLM_PROVIDER).toBe('offline');
    expect(loadConfig({ PORT: '  ' }).PORT).toBe(3000);
  });

  it('names the variable, the bad value and what is expected', () => {
    expect(problems({ PORT: 'eighty' })).toEqual(['PORT="eighty": must be a whole number from 0 to 65535']);
    expect(problems({ PORT: '70000' })).toEqual(['PORT="70000": must be a whole number from 0 to 65535']);
    expect(problems({ LLM_PROVIDER: 'anthropic' })).toEqual(['LLM_PROVIDER="anthropic": must be "offline" or "openai"']);
    expect(problems({ OPENAI_BASE_URL: 'localhost:8000' })[0]).toMatch(
      /^OPENAI_BASE_URL="localhost:8000": must be an absolute http\(s\) URL/,
    );
    expect(problems({ LOG_LEVEL: 'loud' })[0]).toMatch(/^LOG_LEVEL="loud": must be one of fatal, error/);
  });

  it('lists every problem at once', () => {
    expect(problems({ PORT: '-1', AGENT_MAX_STEPS: '0', TOOL_TIMEOUT_MS: 'soon' })).toHaveLength(3);
  });

  it('asks for a key or a base URL when the OpenAI provider is chosen without either', () => {
    expect(problems({ LLM_PROVIDER: 'openai' })[0]).toMatch(/LLM_PROVIDER=openai: needs OPENAI_API_KEY .* or OPENAI_BASE_URL/);
    expect(loadConfig({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' }).LLM_PROVIDER).toBe('openai');
  });

  it('reads logs from files by default, from Loki when LOKI_URL is set, and as LOG_SOURCE says', () => {
    const plain = loadConfig({});
    expect(plain.LOG_SOURCE).toBe('file');
    expect(plain.LOKI_DEPLOYMENT_LABEL).toBe('app');
    expect(plain.LOKI_TIMEOUT_MS).toBe(10_000);
    expect(loadConfig({ LOKI_URL: 'http://loki:3100' }).LOG_SOURCE).toBe('loki');
    expect(loadConfig({ LOKI_URL: 'http://loki:3100', LOG_SOURCE: 'file' }).LOG_SOURCE).toBe('file');
    expect(loadConfig({ LOG_SOURCE: 'kubernetes' }).LOG_SOURCE).toBe('kubernetes');
    expect(problems({ LOG_SOURCE: 'elastic' })).toEqual(['LOG_SOURCE="elastic": must be "file", "loki" or "kubernetes"']);
    expect(problems({ LOKI_URL: 'loki:3100' })[0]).toMatch(/^LOKI_URL="loki:3100": must be an absolute http\(s\) URL/);
    expect(problems({ LOKI_DEPLOYMENT_LABEL: 'k8s-app' })[0]).toMatch(
      /^LOKI_DEPLOYMENT_LABEL="k8s-app": must be a Loki label name/,
    );
  });

  it('asks for LOKI_URL when LOG_SOURCE=loki, and for one complete kind of Loki auth', () => {
    expect(problems({ LOG_SOURCE: 'loki' })).toEqual([
      'LOG_SOURCE=loki: needs LOKI_URL, e.g. http://loki:3100; set it, or choose LOG_SOURCE=file or kubernetes',
    ]);
    const url = { LOKI_URL: 'http://loki:3100' };
    expect(problems({ ...url, LOKI_BEARER_TOKEN: 't', LOKI_USERNAME: 'u', LOKI_PASSWORD: 'p' })).toEqual([
      'LOKI_BEARER_TOKEN and LOKI_USERNAME/LOKI_PASSWORD: set one kind of Loki auth, not both',
    ]);
    expect(problems({ ...url, LOKI_USERNAME: 'u' })).toEqual(['LOKI_USERNAME and LOKI_PASSWORD: basic auth needs both']);
    expect(loadConfig({ ...url, LOKI_USERNAME: 'u', LOKI_PASSWORD: 'p', LOKI_TENANT: 'team-llm' }).LOKI_TENANT).toBe('team-llm');
  });

  it('reads REDACT_PATTERNS as a JSON array of regexes, and says which one is broken', () => {
    expect(loadConfig({ REDACT_PATTERNS: '["acct-[0-9]{8}", "tenant/[a-z]+"]' }).REDACT_PATTERNS?.map((p) => p.source)).toEqual([
      'acct-[0-9]{8}',
      'tenant\\/[a-z]+',
    ]);
    expect(problems({ REDACT_PATTERNS: 'acct-[0-9]{8}' })).toEqual([
      'REDACT_PATTERNS="acct-[0-9]{8}": must be a JSON array of regular expressions, e.g. ["acct-[0-9]{8}"]',
    ]);
    expect(problems({ REDACT_PATTERNS: '["ok", "(unclosed"]' })[0]).toMatch(
      /^REDACT_PATTERNS=.*: "\(unclosed" is not a valid regular expression: /,
    );
    expect(problems({ REDACT_EMAILS: 'yes' })).toEqual(['REDACT_EMAILS="yes": must be "on" or "off"']);
  });

  it('never echoes a secret in an error', () => {
    const message = new ConfigError(problems({ OPENAI_API_KEY: 'sk-secret', LLM_PROVIDER: 'x' })).message;
    expect(message).not.toContain('sk-secret');
  });
});

describe('.env.example', () => {
  it('lists every variable the schema reads, each after a comment with its default', () => {
    const lines = readFileSync(new URL('../.env.example', import.meta.url), 'utf8').split('\n');
    const listed = lines.filter((line) => /^[A-Z_]+=/.test(line)).map((line) => line.split('=')[0]);
    expect(listed.sort()).toEqual([...configVariables].sort());
    for (const name of configVariables) {
      const index = lines.findIndex((line) => line.startsWith(`${name}=`));
      expect(lines[index - 1], name).toMatch(/^# .*Default: /);
    }
  });

  it('runs with .env.example as it is: every blank means the default', () => {
    const env = Object.fromEntries(
      readFileSync(new URL('../.env.example', import.meta.url), 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => line.split('=') as [string, string]),
    );
    expect(loadConfig(env).LLM_PROVIDER).toBe('offline');
  });
});
