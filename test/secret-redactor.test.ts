import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { redactDeep, redactDeepWithFindings, redactSecrets, SECRET_KINDS } from '../src/security/secret-redactor.ts';

interface CorpusLine {
  kind: string;
  secret?: string;
  text: string;
}

// Fake but well-formed secrets embedded in realistic log lines and messages, plus ordinary
// LLM-ops log content (vLLM, Kubernetes, Prometheus, request ids, digests, IPs) without secrets.
const corpus: CorpusLine[] = readFileSync(new URL('./fixtures/secrets/corpus.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as CorpusLine);

const secretLines = corpus.filter((line) => line.kind !== 'none');
const plainLines = corpus.filter((line) => line.kind === 'none');

describe('secret corpus', () => {
  it('has at least 100 secret lines over at least 15 kinds and 30 lines without secrets', () => {
    expect(secretLines.length).toBeGreaterThanOrEqual(100);
    expect(new Set(secretLines.map((line) => line.kind)).size).toBeGreaterThanOrEqual(15);
    expect(plainLines.length).toBeGreaterThanOrEqual(30);
    for (const line of secretLines) {
      expect(line.secret, line.text).toBeTruthy();
      expect(line.text).toContain(line.secret);
      expect(SECRET_KINDS).toContain(line.kind);
    }
  });
});

describe('redactSecrets', () => {
  it.each(secretLines.map((line) => [line.kind, line] as const))('removes a %s and reports it', (_kind, line) => {
    const { text, found } = redactSecrets(line.text);
    expect(text).not.toContain(line.secret);
    expect(text).toContain(`[REDACTED:${line.kind}]`);
    expect(found.map((f) => f.kind)).toContain(line.kind);
    for (const f of found) expect(f.count).toBeGreaterThan(0);
  });

  it.each(plainLines.map((line) => [line.text.slice(0, 60), line] as const))('leaves ordinary content alone: %s', (_t, line) => {
    expect(redactSecrets(line.text)).toEqual({ text: line.text, found: [] });
  });

  it('is idempotent: redacting twice is the same as once', () => {
    for (const line of corpus) {
      const once = redactSecrets(line.text);
      const twice = redactSecrets(once.text);
      expect(twice.text).toBe(once.text);
      expect(twice.found).toEqual([]);
    }
  });

  it('redacts every secret when the whole corpus is one text, and counts them', () => {
    const all = corpus.map((line) => line.text).join('\n');
    const { text, found } = redactSecrets(all);
    for (const line of secretLines) expect(text).not.toContain(line.secret);
    for (const line of plainLines) expect(text).toContain(line.text);
    const total = found.reduce((sum, f) => sum + f.count, 0);
    expect(total).toBeGreaterThanOrEqual(secretLines.length);
  });

  it('keeps the surrounding text useful', () => {
    expect(redactSecrets('level=error access_key_id=AKIAIOSFODNN7EXAMPLE bucket=evals region=us-east-1').text).toBe(
      'level=error access_key_id=[REDACTED:aws_access_key] bucket=evals region=us-east-1',
    );
    expect(redactSecrets('could not connect to postgres://llmops:Pg0FAKEpass@pg-primary:5432/llmops: refused').text).toBe(
      'could not connect to postgres://llmops:[REDACTED:db_connection_string]@pg-primary:5432/llmops: refused',
    );
    expect(redactSecrets('{"username": "llmops", "password": "hunter2", "host": "pg"}').text).toBe(
      '{"username": "llmops", "password": "[REDACTED:password]", "host": "pg"}',
    );
    expect(redactSecrets("headers {'authorization': 'Bearer abc123DEF456ghi789', 'accept': '*/*'}").text).toBe(
      "headers {'authorization': 'Bearer [REDACTED:bearer_token]', 'accept': '*/*'}",
    );
  });

  it('counts each kind', () => {
    const { found } = redactSecrets('AKIAIOSFODNN7EXAMPLE then AKIAI44QH8DHBEXAMPLE and DB_PASSWORD=s3cret!');
    expect(found).toEqual([
      { kind: 'aws_access_key', count: 2 },
      { kind: 'password', count: 1 },
    ]);
  });

  it('does not treat look-alikes as secrets', () => {
    const plain = [
      'password: must be at least 8 characters',
      'Error: token: expired',
      'failed to fetch token: serviceaccounts "default" is forbidden',
      'max_tokens=512 max_num_batched_tokens=8192 tokenizer=meta-llama/Llama-3.1-8B-Instruct eos_token=</s>',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell-style placeholder, not a template
      'token=${HF_TOKEN} password="$DB_PASSWORD" apiKey: "{{ .Values.apiKey }}" api_key=None',
      'env PWD=/workspace/app GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/google/key.json',
      'Bearer authentication failed; Authorization: Bearer',
      'host sk-prod-inference-eu-west-1 and HF_HUB_ENABLE_HF_TRANSFER=1',
      'commit 9fceb02d0ae598e95dc970b74767f19372d61af8 AKIAIOSFODNN7EXAMPLEX',
      'grpc://10.0.0.1:50051@lb http://user@host/ http://[::1]:8000/v1 postgres://db:5432/app',
      'trace_id=4bf92f3577b34da6a3ce929d0e0e4736 request_id=7f3d2c1b-9a8e-4f6d-b5c4-3e2a1f0d9c8b',
    ];
    for (const text of plain) expect(redactSecrets(text).text).toBe(text);
  });

  it('handles truncated PEM blocks and escaped JSON', () => {
    const truncated = redactSecrets('key: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0FAKE0abc+/=\nMIIEdef');
    expect(truncated.text).toBe('key: [REDACTED:private_key]');
    const escaped = redactSecrets('msg="{\\"password\\": \\"Esc4ped!pw\\"}"');
    expect(escaped.text).toBe('msg="{\\"password\\": \\"[REDACTED:password]\\"}"');
  });

  it('redacts 10,000 log lines well under a second', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => corpus[i % corpus.length]?.text ?? '');
    redactSecrets(lines[0] ?? ''); // warm up the regular expressions
    const start = performance.now();
    for (const line of lines) redactSecrets(line);
    const elapsed = performance.now() - start;
    expect(elapsed).toBeLessThan(1000);
  });

  it('stays linear on pathological input', () => {
    const inputs = [
      'a'.repeat(200_000),
      '-'.repeat(200_000),
      'password'.repeat(25_000),
      `token=${'a1'.repeat(100_000)}`,
      `"password": "${'a'.repeat(200_000)}`,
      `x://u:${'p@'.repeat(100_000)}`,
      `eyJ${'a'.repeat(200_000)}`,
      `-----BEGIN PRIVATE KEY-----${'a'.repeat(200_000)}`,
    ];
    for (const input of inputs) {
      const start = performance.now();
      redactSecrets(input);
      expect(performance.now() - start).toBeLessThan(500);
    }
  });
});

describe('redactDeep', () => {
  const input = {
    tool: 'get_pod_logs',
    status: 200,
    ok: true,
    nothing: null,
    result: {
      lines: [
        'INFO:     10.244.1.17:52344 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
        'env: OPENAI_API_KEY=sk-proj-FAKE0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        { nested: ['AKIAIOSFODNN7EXAMPLE', 42] },
      ],
      headers: { Authorization: 'Bearer abc123', 'x-api-key': 'k3y-0123456789', accept: 'application/json' },
      db: { user: 'llmops', password: 'hunter2', max_tokens: 512, eos_token: '</s>' },
    },
  };

  it('redacts every string in nested objects and arrays and returns a copy', () => {
    const before = structuredClone(input);
    const out = redactDeep(input);
    expect(out).toEqual({
      tool: 'get_pod_logs',
      status: 200,
      ok: true,
      nothing: null,
      result: {
        lines: [
          'INFO:     10.244.1.17:52344 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
          'env: OPENAI_API_KEY=[REDACTED:openai_api_key]',
          { nested: ['[REDACTED:aws_access_key]', 42] },
        ],
        headers: {
          Authorization: 'Bearer [REDACTED:bearer_token]',
          'x-api-key': '[REDACTED:generic_secret]',
          accept: 'application/json',
        },
        db: { user: 'llmops', password: '[REDACTED:password]', max_tokens: 512, eos_token: '</s>' },
      },
    });
    expect(input).toEqual(before);
    expect(out).not.toBe(input);
    expect(out.result).not.toBe(input.result);
    expect(out.result.lines).not.toBe(input.result.lines);
  });

  it('reports findings, is idempotent and handles plain strings and cycles', () => {
    const { value, found } = redactDeepWithFindings(input);
    expect(found).toEqual(
      expect.arrayContaining([
        { kind: 'openai_api_key', count: 1 },
        { kind: 'aws_access_key', count: 1 },
        { kind: 'bearer_token', count: 1 },
        { kind: 'generic_secret', count: 1 },
        { kind: 'password', count: 1 },
      ]),
    );
    expect(redactDeep(value)).toEqual(value);
    expect(redactDeepWithFindings(value).found).toEqual([]);
    expect(redactDeep('SLACK_BOT_TOKEN=xoxb-123456789012-FAKE0abcdefghij')).toBe('SLACK_BOT_TOKEN=[REDACTED:slack_token]');
    expect(redactDeep(7)).toBe(7);

    const cyclic: { name: string; token: string; self?: unknown } = {
      name: 'a',
      token: 'ghp_FAKE0abcdefghijklmnopqrstuvwxyz012345',
    };
    cyclic.self = cyclic;
    const out = redactDeep(cyclic);
    expect(out.token).toBe('[REDACTED:github_token]');
    expect(out.self).toBe(out);
  });
});
