import { describe, expect, it } from 'vitest';
import { Redactor, redactDeep, redactDeepWithFindings, redactSecrets, SECRET_KINDS } from '../src/security/secret-redactor.ts';
import { leaks, loadSecretCorpus, secretForms } from './support/secret-corpus.ts';

// Fake but well-formed secrets embedded in realistic log lines and messages, also disguised
// (zero-width characters, %XX escapes, base64, a line break inside, prose), plus ordinary
// LLM-ops log content (vLLM, Kubernetes, Prometheus, request ids, digests, IPs) without secrets.
const corpus = loadSecretCorpus();

const secretLines = corpus.filter((line) => line.kind !== 'none');
const plainLines = corpus.filter((line) => line.kind === 'none');

describe('secret corpus', () => {
  it('has at least 200 secret lines over at least 30 kinds and 60 lines without secrets', () => {
    expect(secretLines.length).toBeGreaterThanOrEqual(200);
    expect(new Set(secretLines.map((line) => line.kind)).size).toBeGreaterThanOrEqual(30);
    expect(plainLines.length).toBeGreaterThanOrEqual(60);
    for (const line of secretLines) {
      expect(line.secret, line.text).toBeTruthy();
      for (const piece of line.pieces ?? [line.secret as string]) expect(line.text).toContain(piece);
      expect(SECRET_KINDS).toContain(line.kind);
    }
    for (const form of ['prose_or_short_key', 'zero_width', 'url_encoded', 'base64', 'split_lines', 'aws_secret', 'azure_key']) {
      expect(secretLines.filter((line) => line.form === form).length, form).toBeGreaterThanOrEqual(5);
    }
  });
});

describe('redactSecrets', () => {
  it.each(secretLines.map((line) => [line.kind, line.form ?? 'plain', line] as const))(
    'removes a %s (%s) and reports it',
    (_kind, _form, line) => {
      const { text, found } = redactSecrets(line.text);
      expect(leaks(text, line), text).toBe(false);
      expect(text).toContain(`[REDACTED:${line.kind}]`);
      expect(found.map((f) => f.kind)).toContain(line.kind);
      for (const f of found) expect(f.count).toBeGreaterThan(0);
    },
  );

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
    for (const line of secretLines) for (const form of secretForms(line)) expect(text).not.toContain(form);
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
    // 200,000 characters: a backtracking pattern would take minutes, a linear one milliseconds,
    // so the bound is loose enough for a loaded machine and still tells the two apart.
    // (Throughput is measured by `npm run bench`, bench/secrets.ts.)
    for (const input of inputs) {
      const start = performance.now();
      redactSecrets(input);
      expect(performance.now() - start).toBeLessThan(3000);
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

describe('disguised secrets', () => {
  const openai = `sk-proj-${'Ab3dE5fG7h'.repeat(5)}`;

  it('reads through zero-width characters and soft hyphens, redacting the original span only', () => {
    for (const invisible of ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD']) {
      const disguised = `${openai.slice(0, 12)}${invisible}${openai.slice(12)}`;
      const { text, found } = redactSecrets(`a\u200Bb OPENAI_API_KEY=${disguised} done`);
      expect(text).toBe('a\u200Bb OPENAI_API_KEY=[REDACTED:openai_api_key] done');
      expect(found).toEqual([{ kind: 'openai_api_key', count: 1 }]);
    }
  });

  it('decodes %XX escapes: a URL-encoded key is redacted in its encoded form, the rest stays encoded', () => {
    const key = `${'Q2h3Rt+9/zX'.repeat(7)}Ab1+/xyzA==`.slice(-88);
    const encoded = encodeURIComponent(key);
    const { text } = redactSecrets(
      `conn=DefaultEndpointsProtocol%3Dhttps%3BAccountKey%3D${encoded}%3BEndpointSuffix%3Dcore.windows.net`,
    );
    expect(text).toBe(
      'conn=DefaultEndpointsProtocol%3Dhttps%3BAccountKey%3D[REDACTED:azure_storage_key]%3BEndpointSuffix%3Dcore.windows.net',
    );
    expect(redactSecrets('GET /search?q=reset%20password%20in%20the%20portal&page=2').found).toEqual([]);
  });

  it('unwraps base64: a run that decodes to a secret goes as a whole, reported as what it wraps', () => {
    const wrapped = Buffer.from(openai).toString('base64');
    expect(redactSecrets(`echo ${wrapped} | base64 -d`)).toEqual({
      text: 'echo [REDACTED:openai_api_key] | base64 -d',
      found: [{ kind: 'openai_api_key', count: 1 }],
    });
    const urlSafe = Buffer.from(`token=${openai}`).toString('base64url');
    expect(redactSecrets(`state=${urlSafe}&step=2`).text).toBe('state=[REDACTED:openai_api_key]&step=2');
    // Base64 of ordinary text, digests and ids stay.
    for (const plain of [
      `log ${Buffer.from('the router restarted after the config reload at 10:00').toString('base64')}`,
      `payload=${Buffer.from('{"model": "llama-3-8b", "replicas": 2}').toString('base64')}`,
      'sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==',
    ]) {
      expect(redactSecrets(plain).text).toBe(plain);
    }
  });

  it('joins a token cut over two lines, redacting both parts and counting it once', () => {
    const cut = 20;
    const text = `INFO 10:00:01 [client.py:4] key ${openai.slice(0, cut)}\nINFO 10:00:01 [client.py:4] ${openai.slice(cut)} (from env)`;
    expect(redactSecrets(text)).toEqual({
      text: 'INFO 10:00:01 [client.py:4] key [REDACTED:openai_api_key]\nINFO 10:00:01 [client.py:4] [REDACTED:openai_api_key] (from env)',
      found: [{ kind: 'openai_api_key', count: 1 }],
    });
    // A whole token at the end of a line and its random-looking rest on the next.
    const long = `ghp_${'Zx81kLm0Pq'.repeat(4)}`;
    expect(redactSecrets(`push with ${long}\nR7vT2wQ9xY rejected`).text).toBe(
      'push with [REDACTED:github_token]\n[REDACTED:github_token] rejected',
    );
    // Ordinary words after a token are not taken for its rest.
    expect(redactSecrets(`push with ${long}\nStarted server`).text).toBe('push with [REDACTED:github_token]\nStarted server');
  });

  it('joins a token cut between neighbouring log lines of a tool result, listed newest first', () => {
    const hf = `hf_${'Kq2Wm9Xz4R'.repeat(4)}`;
    const { value, found } = redactDeepWithFindings({
      summary: 'two lines',
      data: [
        { at: '2025-05-14T10:00:02Z', level: 'ERROR', message: `${hf.slice(14)} for meta-llama/Llama-3.1-8B` },
        { at: '2025-05-14T10:00:01Z', level: 'ERROR', message: `downloading with token ${hf.slice(0, 14)}` },
      ],
    });
    expect(value.data.map((line) => line.message)).toEqual([
      '[REDACTED:huggingface_token] for meta-llama/Llama-3.1-8B',
      'downloading with token [REDACTED:huggingface_token]',
    ]);
    expect(found).toEqual([{ kind: 'huggingface_token', count: 1 }]);
  });

  it('redacts the start of a cut token alone when its rest is not there', () => {
    expect(redactSecrets('GROQ_KEY_PREFIX gsk_Ab12Cd34Ef').text).toBe('GROQ_KEY_PREFIX [REDACTED:groq_api_key]');
    // Too long for its shape, or no random body: not a cut token.
    expect(redactSecrets('id AKIAIOSFODNN7EXAMPLEX').text).toBe('id AKIAIOSFODNN7EXAMPLEX');
    expect(redactSecrets('pip install hf_transfer').text).toBe('pip install hf_transfer');
  });

  it('finds passwords and keys written in prose, in Chinese, and after command-line flags', () => {
    const cases: Array<[string, string]> = [
      ['my password is hunter2-Xy9!', 'my password is [REDACTED:password]'],
      ['the db pass is Tr0ub4dor&3.', 'the db pass is [REDACTED:password].'],
      ['the password for the redis box is r3d1s-Pa55word', 'the password for the redis box is [REDACTED:password]'],
      ['pw: Wint3r-iS-c0ming, pwd=Ab12!cd34', 'pw: [REDACTED:password], pwd=[REDACTED:password]'],
      ['我的密码是 Xk82!mq7z，谢谢', '我的密码是 [REDACTED:password]，谢谢'],
      ['vllm serve llama --api-key tok-4f9a2c', 'vllm serve llama --api-key [REDACTED:generic_secret]'],
      ["here's the api key Zq8vT2mK9pL4xN7wR1sB", "here's the api key [REDACTED:generic_secret]"],
    ];
    for (const [input, expected] of cases) expect(redactSecrets(input).text).toBe(expected);
    for (const plain of [
      'please reset your password in the portal',
      'the password is incorrect, 2 attempts left',
      'second pass took 1234ms; pass=v1.2.3',
      'PWD=/home/llmops and password_file=/run/secrets/db',
      'session token 550e8400-e29b-41d4-a716-446655440000 and trace 4bf92f3577b34da6a3ce929d0e0e4736',
    ]) {
      expect(redactSecrets(plain).text).toBe(plain);
    }
  });

  it('knows AWS secret access keys and Azure storage keys in env, YAML, JSON, CLI and connection-string forms', () => {
    const aws = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE12';
    const azure = `${`${'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq'.repeat(2)}`.slice(0, 86)}==`;
    for (const text of [
      `AWS_SECRET_ACCESS_KEY=${aws}`,
      `aws_secret_access_key = ${aws}`,
      `{"SecretAccessKey": "${aws}"}`,
      `aws configure set aws_secret_access_key ${aws}`,
      `AKIAIOSFODNN7EXAMPLE,${aws}`,
    ]) {
      expect(redactSecrets(text).text, text).toContain('[REDACTED:aws_secret_access_key]');
      expect(redactSecrets(text).text, text).not.toContain(aws);
    }
    for (const text of [
      `DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${azure};EndpointSuffix=core.windows.net`,
      `AZURE_STORAGE_KEY=${azure}`,
      `storage:\n  account_key: ${azure}`,
      `{"storageAccountKey": "${azure}"}`,
      `az storage blob list --account-key ${azure}`,
    ]) {
      expect(redactSecrets(text).text, text).toContain('[REDACTED:azure_storage_key]');
      expect(redactSecrets(text).text, text).not.toContain(azure);
    }
  });

  it('applies the same reading to e-mail-free redactors and custom patterns', () => {
    const redactor = new Redactor({ emails: false, extraPatterns: [/acct-[0-9]{8}/] });
    const wrapped = Buffer.from('account acct-20251104 owner jane@acme.io').toString('base64');
    expect(redactor.text(`blob ${wrapped}`).text).toBe('blob [REDACTED:custom_pattern]');
    expect(redactor.text('owner jane@acme.io').text).toBe('owner jane@acme.io');
  });
});

describe('name/value records', () => {
  it('redacts the value of a record that names a secret, in text and in objects', () => {
    expect(
      redactSecrets('env:\n  - name: DB_PASSWORD\n    value: "Xy12!abc"\n  - name: MAX_NUM_SEQS\n    value: "256"').text,
    ).toBe('env:\n  - name: DB_PASSWORD\n    value: "[REDACTED:password]"\n  - name: MAX_NUM_SEQS\n    value: "256"');
    const { value, found } = redactDeepWithFindings({
      env: [
        { name: 'OPENAI_PROXY_TOKEN', value: 'tok-4f9a2c81bd' },
        { name: 'TOKENIZER', value: 'meta-llama/Llama-3.1-8B-Instruct' },
        { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } },
      ],
    });
    expect(value.env[0]?.value).toBe('[REDACTED:generic_secret]');
    expect(value.env[1]?.value).toBe('meta-llama/Llama-3.1-8B-Instruct');
    expect(value.env[2]).toEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } });
    expect(found).toEqual([{ kind: 'generic_secret', count: 1 }]);
  });

  it('takes a long random value under any name ending in "key", not names, digests or paths', () => {
    expect(redactSecrets('ACCOUNT_KEY=Zx81kLm0PqR7vTZx81kLm0PqR7vT1234abcd').text).toBe('ACCOUNT_KEY=[REDACTED:generic_secret]');
    for (const plain of [
      'object key=runs/2025/05/14/eval-results-final.json',
      'cache_key: llama-3-8b-instruct-fp16-tp2-maxlen8192',
      'cache key: sha256-Zx81kLm0PqR7vTZx81kLm0PqR7vT1234abcd',
      'idempotency_key=3f2504e04f8911d39a0c0305e82c3301',
    ]) {
      expect(redactSecrets(plain).text).toBe(plain);
    }
  });
});

describe('secrets spread over lines', () => {
  const pem = [
    '-----BEGIN RSA PRIVATE KEY-----',
    'MIIEowIBAAKCAQEAx9Kq3vTz8bW1mN0pL5rS2uV4yX6zA8cE0gI2kM4oQ6sU8wY0',
    'aC2eG4iK6mO8qS0uW2yA4cE6gI8kM0oQ2sU4wY6aC8eG0iK2mO4qS6uW8yA0cE2g',
    '-----END RSA PRIVATE KEY-----',
  ];

  it('redacts a PEM block whose lines are separate log lines, listed newest first, counted once', () => {
    const newestFirst = [...pem].reverse().map((message, i) => ({ at: `10:00:0${i}`, message }));
    const { value, found } = redactDeepWithFindings({ data: newestFirst });
    const shown = JSON.stringify(value);
    for (const line of pem.slice(1, 3)) expect(shown).not.toContain(line);
    expect(value.data.map((line) => line.at)).toEqual(newestFirst.map((line) => line.at));
    expect(found).toEqual([{ kind: 'private_key', count: 1 }]);
  });

  it('redacts a PEM block in a text whose lines are listed newest first', () => {
    const text = [...pem]
      .reverse()
      .map((line) => `• ERROR 10:00:01 [app.py:1] ${line}`)
      .join('\n');
    const out = redactSecrets(text).text;
    for (const line of pem.slice(1, 3)) expect(out).not.toContain(line);
  });

  it('pairs a name/value record whose lines are separate records, in either order', () => {
    for (const messages of [
      ['  - name: DB_PASSWORD', '    value: "Xy12!abc"'],
      ['    value: "Xy12!abc"', '  - name: DB_PASSWORD'],
    ]) {
      const { value } = redactDeepWithFindings({ data: messages.map((message) => ({ message })) });
      expect(JSON.stringify(value)).not.toContain('Xy12!abc');
    }
    // Unrelated neighbouring records stay as they are.
    const plain = {
      data: ['  - name: MAX_NUM_SEQS', '    value: "256"', 'password: must be 8 characters'].map((message) => ({ message })),
    };
    expect(redactDeep(plain)).toEqual(plain);
  });
});
