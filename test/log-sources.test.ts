import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tailLogs } from '../src/cli/logs-command.ts';
import { loadConfig } from '../src/config.ts';
import { AppError } from '../src/errors.ts';
import { createLogSource } from '../src/integrations/logs/create-log-source.ts';
import { FileLogSource } from '../src/integrations/logs/file-log-source.ts';
import { KubernetesLogSource } from '../src/integrations/logs/kubernetes-log-source.ts';
import type { LogLine } from '../src/integrations/logs/log-source.ts';
import { LokiLogSource } from '../src/integrations/logs/loki-log-source.ts';
import { parseLogLine } from '../src/integrations/logs/parse-log-line.ts';
import { nockedKubeConfig } from './support/kube-config.ts';

// Loki and the Kubernetes API as nock speaks them: query_range JSON (streams of
// [nanosecond string, line]) and plain-text errors; PodList JSON, timestamped pod log text and
// Status objects.

const LOKI = 'http://loki.test:3100';
const QUERY_RANGE = '/loki/api/v1/query_range';
const CLUSTER = 'https://k8s.example.test:6443';
const PODS = '/api/v1/namespaces/llm-serving/pods';

const at = (iso: string) => new Date(iso);
/** Nanoseconds since the epoch of a whole-second ISO time plus a nanosecond fraction, as Loki writes them. */
const ns = (iso: string, fraction = 0) => (BigInt(Date.parse(iso)) * 1_000_000n + BigInt(fraction)).toString();
const msNs = (date: Date) => (BigInt(date.getTime()) * 1_000_000n).toString();
/** Loki's end is exclusive: the source asks up to the millisecond after the range's end. */
const endNs = (date: Date) => ((BigInt(date.getTime()) + 1n) * 1_000_000n).toString();

function streams(...result: Array<{ stream: Record<string, string>; values: Array<[string, string]> }>) {
  return { status: 'success', data: { resultType: 'streams', result, stats: { summary: { execTime: 0.004 } } } };
}

function summary(lines: LogLine[]) {
  return lines.map((line) => `${line.at.toISOString()} ${line.level} ${line.deployment} ${line.message}`);
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  nock.disableNetConnect();
});
// Files of a worker run one after another: leave the network as it was found.
afterAll(() => {
  nock.enableNetConnect();
});

describe('parsing a log line', () => {
  it('reads vLLM lines with and without a process prefix, the demo layout with its date, JSON lines and plain text', () => {
    expect(parseLogLine('(APIServer pid=1) INFO 11-29 14:03:07 [api_server.py:1839] vLLM API server version 0.11.0')).toEqual({
      layout: 'vllm',
      level: 'INFO',
      message: 'vLLM API server version 0.11.0',
    });
    expect(parseLogLine('WARNING 06-12 09:14:55 scheduler.py:1089] Sequence group 7 is preempted')).toEqual({
      layout: 'vllm',
      level: 'WARNING',
      message: 'Sequence group 7 is preempted',
    });
    const demo = parseLogLine('ERROR 2026-11-29 14:03:07 [engine.py:88] CUDA out of memory');
    expect(demo).toMatchObject({ layout: 'vllm', level: 'ERROR', message: 'CUDA out of memory' });
    expect(demo.at?.getTime()).toBe(new Date(2026, 10, 29, 14, 3, 7).getTime());
    expect(parseLogLine('{"level":"warn","msg":"slow request"}')).toEqual({
      layout: 'json',
      level: 'WARN',
      message: 'slow request',
    });
    expect(parseLogLine('{"severity":"ERROR","message":"boom"}')).toEqual({ layout: 'json', level: 'ERROR', message: 'boom' });
    expect(parseLogLine('{"level":50,"time":1795961400000,"msg":"pino error"}')).toEqual({
      layout: 'json',
      level: 'ERROR',
      message: 'pino error',
    });
    expect(parseLogLine('{not json')).toEqual({ layout: 'plain', level: undefined, message: '{not json' });
    expect(parseLogLine('Traceback (most recent call last):')).toEqual({
      layout: 'plain',
      level: undefined,
      message: 'Traceback (most recent call last):',
    });
  });
});

describe('Loki log source', () => {
  const start = at('2026-11-29T14:00:00Z');
  const end = at('2026-11-29T14:30:00Z');

  it('asks Loki for a deployment’s matching lines with LogQL, auth and tenant, and answers newest first', async () => {
    const scope = nock(LOKI)
      .get(QUERY_RANGE)
      .query({
        query: '{app="mistral-7b"} |~ "(?i)preempted"',
        start: msNs(start),
        end: endNs(end),
        limit: '50',
        direction: 'backward',
      })
      .matchHeader('authorization', 'Bearer loki-token')
      .matchHeader('x-scope-orgid', 'team-llm')
      .reply(200, readFileSync(new URL('./fixtures/loki/query-range-preempted.json', import.meta.url), 'utf8'), {
        'Content-Type': 'application/json',
      });
    const loki = new LokiLogSource({ url: LOKI, bearerToken: 'loki-token', tenant: 'team-llm', timeoutMs: 2000 });
    const lines = await loki.query({ deployment: 'mistral-7b', start, end, match: 'preempted', limit: 50 });
    expect(scope.isDone()).toBe(true);
    expect(lines.map((line) => line.at.toISOString())).toEqual([
      '2026-11-29T14:05:41.002Z',
      '2026-11-29T14:04:12.900Z',
      '2026-11-29T14:03:07.123Z',
    ]);
    expect(lines[0]).toMatchObject({ level: 'WARNING', deployment: 'mistral-7b' });
    expect(lines[0]?.message).toMatch(/^Sequence group cmpl-5b1e0c7d9a3f4e21-0 is preempted by PreemptionMode.RECOMPUTE/);
    expect(lines[0]?.raw).toMatch(/^\(EngineCore_DP0 pid=270\) WARNING 11-29 14:05:41 \[scheduler.py:1560\]/);
  });

  it('escapes text and regexes into LogQL, and matches any deployment when none is named', async () => {
    const asked: string[] = [];
    nock(LOKI, { badheaders: ['x-scope-orgid', 'authorization'] })
      .get(QUERY_RANGE)
      .query((query) => {
        asked.push(String(query.query));
        return true;
      })
      .times(3)
      .reply(200, streams());
    const loki = new LokiLogSource({ url: LOKI, timeoutMs: 2000 });
    await loki.query({ start, end, match: '"timeout" (30s) a\\b', limit: 10 });
    await loki.query({ deployment: 'llama-3-8b', start, end, match: /KV cache usage: \d+(\.\d)?%/i, limit: 10 });
    await loki.query({ deployment: 'qwen2-7b', start, end, limit: 10 });
    expect(asked).toEqual([
      '{app=~".+"} |~ "(?i)\\"timeout\\" \\\\(30s\\\\) a\\\\\\\\b"',
      '{app="llama-3-8b"} |~ "(?i)KV cache usage: \\\\d+(\\\\.\\\\d)?%"',
      '{app="qwen2-7b"}',
    ]);
  });

  it('reads levels from JSON lines and stream labels, filters by level, and uses the configured deployment label', async () => {
    nock(LOKI)
      .get(QUERY_RANGE)
      .query((query) => query.query === '{service="router"}' && query.direction === 'backward')
      .matchHeader('authorization', `Basic ${Buffer.from('1234567:glc-secret').toString('base64')}`)
      .reply(
        200,
        streams(
          {
            stream: { service: 'router', namespace: 'llm-serving' },
            values: [
              [ns('2026-11-29T14:12:00Z'), '{"level":30,"time":1795961520000,"msg":"request done"}'],
              [ns('2026-11-29T14:11:00Z'), '{"severity":"WARNING","message":"retrying request 7 of 3"}'],
              [ns('2026-11-29T14:10:00Z'), '{"level":"error","ts":"2026-11-29T14:10:00Z","msg":"upstream mistral-7b timed out"}'],
            ],
          },
          { stream: { service: 'router', level: 'error' }, values: [[ns('2026-11-29T14:10:30Z'), 'panic: runtime error']] },
          { stream: { service: 'router', detected_level: 'unknown' }, values: [[ns('2026-11-29T14:10:45Z'), 'GET /health 200']] },
        ),
      );
    const loki = new LokiLogSource({
      url: LOKI,
      username: '1234567',
      password: 'glc-secret',
      deploymentLabel: 'service',
      timeoutMs: 2000,
    });
    const lines = await loki.query({ deployment: 'router', start, end, level: 'warn', limit: 10 });
    expect(summary(lines)).toEqual([
      '2026-11-29T14:11:00.000Z WARNING router retrying request 7 of 3',
      '2026-11-29T14:10:30.000Z ERROR router panic: runtime error',
      '2026-11-29T14:10:00.000Z ERROR router upstream mistral-7b timed out',
    ]);
  });

  it('pages backward past lines below the asked level until the range is exhausted', async () => {
    const scope = nock(LOKI)
      .get(QUERY_RANGE)
      .query({ query: '{app="mistral-7b"}', start: msNs(start), end: endNs(end), limit: '2', direction: 'backward' })
      .reply(
        200,
        streams({
          stream: { app: 'mistral-7b' },
          values: [
            [ns('2026-11-29T14:20:00Z'), 'INFO 11-29 14:20:00 [loggers.py:123] Engine 000: Running: 12 reqs'],
            [ns('2026-11-29T14:19:00Z'), 'INFO 11-29 14:19:00 [loggers.py:123] Engine 000: Running: 11 reqs'],
          ],
        }),
      )
      .get(QUERY_RANGE)
      .query({
        query: '{app="mistral-7b"}',
        start: msNs(start),
        end: (BigInt(ns('2026-11-29T14:19:00Z')) + 1n).toString(),
        limit: '2',
        direction: 'backward',
      })
      .reply(
        200,
        streams({
          stream: { app: 'mistral-7b' },
          values: [
            [ns('2026-11-29T14:19:00Z'), 'INFO 11-29 14:19:00 [loggers.py:123] Engine 000: Running: 11 reqs'],
            [
              ns('2026-11-29T14:10:00Z'),
              'ERROR 11-29 14:10:00 [serving_chat.py:1141] Error in chat completion stream generator.',
            ],
          ],
        }),
      )
      .get(QUERY_RANGE)
      .query({
        query: '{app="mistral-7b"}',
        start: msNs(start),
        end: (BigInt(ns('2026-11-29T14:10:00Z')) + 1n).toString(),
        limit: '2',
        direction: 'backward',
      })
      .reply(
        200,
        streams({
          stream: { app: 'mistral-7b' },
          values: [
            [
              ns('2026-11-29T14:10:00Z'),
              'ERROR 11-29 14:10:00 [serving_chat.py:1141] Error in chat completion stream generator.',
            ],
          ],
        }),
      );
    const loki = new LokiLogSource({ url: LOKI, timeoutMs: 2000, pageSize: 2 });
    const lines = await loki.query({ deployment: 'mistral-7b', start, end, level: 'error', limit: 5 });
    expect(scope.isDone()).toBe(true);
    expect(summary(lines)).toEqual(['2026-11-29T14:10:00.000Z ERROR mistral-7b Error in chat completion stream generator.']);
  });

  describe('lines() pages forward through the range', () => {
    const podA = { app: 'mistral-7b', pod: 'mistral-7b-prod-6d5f7c9b8-x2k4q' };
    const podB = { app: 'mistral-7b', pod: 'mistral-7b-prod-6d5f7c9b8-p9w7z' };
    const t = (second: number) => ns(`2026-11-29T14:00:0${second}Z`);
    const line = (second: number, text: string) =>
      [t(second), `INFO 11-29 14:00:0${second} [loggers.py:123] ${text}`] as [string, string];
    const forward = (from: string, limit: number) => ({
      query: '{app="mistral-7b"}',
      start: from,
      end: endNs(end),
      limit: String(limit),
      direction: 'forward',
    });

    it('advancing past the last timestamp, skipping the lines it already has there, until it has the limit', async () => {
      const scope = nock(LOKI)
        .get(QUERY_RANGE)
        .query(forward(msNs(start), 3))
        .reply(200, streams({ stream: podA, values: [line(1, 'one'), line(2, 'two'), line(3, 'three a')] }))
        // Starts again at 14:00:03, where pod B has a line too: "three a" comes again and is skipped.
        .get(QUERY_RANGE)
        .query(forward(t(3), 3))
        .reply(
          200,
          streams(
            { stream: podA, values: [line(3, 'three a'), line(4, 'four')] },
            { stream: podB, values: [line(3, 'three b')] },
          ),
        )
        .get(QUERY_RANGE)
        .query(forward(t(4), 3))
        .reply(
          200,
          streams({ stream: podA, values: [line(4, 'four'), line(6, 'six')] }, { stream: podB, values: [line(5, 'five')] }),
        );
      const loki = new LokiLogSource({ url: LOKI, timeoutMs: 2000, pageSize: 3 });
      const lines = await loki.lines({ deployment: 'mistral-7b', start, end, limit: 7 });
      expect(scope.isDone()).toBe(true);
      expect(lines.map((l) => l.message.replace('Engine 000: ', ''))).toEqual([
        'one',
        'two',
        'three a',
        'three b',
        'four',
        'five',
        'six',
      ]);
      expect(lines.map((l) => l.at.toISOString().slice(11, 19))).toEqual([
        '14:00:01',
        '14:00:02',
        '14:00:03',
        '14:00:03',
        '14:00:04',
        '14:00:05',
        '14:00:06',
      ]);
    });

    it('stopping when a page comes back short: the range holds no more', async () => {
      const scope = nock(LOKI)
        .get(QUERY_RANGE)
        .query(forward(msNs(start), 3))
        .reply(200, streams({ stream: podA, values: [line(1, 'one'), line(2, 'two'), line(3, 'three a')] }))
        .get(QUERY_RANGE)
        .query(forward(t(3), 3))
        .reply(200, streams({ stream: podA, values: [line(3, 'three a')] }, { stream: podB, values: [line(3, 'three b')] }));
      const loki = new LokiLogSource({ url: LOKI, timeoutMs: 2000, pageSize: 3 });
      const lines = await loki.lines({ deployment: 'mistral-7b', start, end, limit: 100 });
      expect(scope.isDone()).toBe(true);
      expect(lines.map((l) => l.message)).toEqual(['one', 'two', 'three a', 'three b']);
    });
  });

  describe('errors name Loki, the status and the body', () => {
    it('401 without a tenant: says to set LOKI_TENANT', async () => {
      nock(LOKI).get(QUERY_RANGE).query(true).reply(401, 'no org id\n', { 'Content-Type': 'text/plain; charset=utf-8' });
      const error = await failure(new LokiLogSource({ url: LOKI, timeoutMs: 2000 }).query({ start, end, limit: 10 }));
      expect(error.code).toBe('loki_auth');
      expect(error.message).toBe(
        'Loki at http://loki.test:3100 refused the request (HTTP 401: no org id); this Loki is multi-tenant: set LOKI_TENANT (sent as X-Scope-OrgID)',
      );
    });

    it('401 with a token: says to check it, without repeating it', async () => {
      nock(LOKI)
        .get(QUERY_RANGE)
        .query(true)
        .reply(401, 'invalid token loki-token-123\n', { 'Content-Type': 'text/plain; charset=utf-8' });
      const loki = new LokiLogSource({ url: LOKI, bearerToken: 'loki-token-123', timeoutMs: 2000 });
      const error = await failure(loki.lines({ deployment: 'mistral-7b', start, end, limit: 10 }));
      expect(error.code).toBe('loki_auth');
      expect(error.message).toContain('HTTP 401: invalid token ***');
      expect(error.message).toContain('check LOKI_BEARER_TOKEN');
      expect(error.message).not.toContain('loki-token-123');
    });

    it('400: a rejected query, with Loki’s parse error, the LogQL and the range', async () => {
      nock(LOKI)
        .get(QUERY_RANGE)
        .query(true)
        .reply(400, 'parse error : error parsing regexp: invalid or unsupported Perl syntax: `(?=`\n', {
          'Content-Type': 'text/plain; charset=utf-8',
        });
      const error = await failure(
        new LokiLogSource({ url: LOKI, timeoutMs: 2000 }).query({
          deployment: 'mistral-7b',
          start,
          end,
          match: /CUDA(?= out of memory)/,
          limit: 10,
        }),
      );
      expect(error.code).toBe('loki_query_invalid');
      expect(error.message).toBe(
        'Loki at http://loki.test:3100 rejected the query (HTTP 400: parse error : error parsing regexp: invalid or unsupported Perl syntax: `(?=`). ' +
          'LogQL: {app="mistral-7b"} |~ "CUDA(?= out of memory)" over 2026-11-29T14:00:00.000Z – 2026-11-29T14:30:00.000Z',
      );
    });

    it('5xx: a failed query with the body', async () => {
      nock(LOKI).get(QUERY_RANGE).query(true).reply(500, 'rpc error: code = Unavailable desc = no healthy ingesters\n');
      const error = await failure(new LokiLogSource({ url: LOKI, timeoutMs: 2000 }).query({ start, end, limit: 10 }));
      expect(error.code).toBe('loki_error');
      expect(error.message).toMatch(
        /^Loki at http:\/\/loki.test:3100 failed the query \(HTTP 500: rpc error: code = Unavailable desc = no healthy ingesters\)\. LogQL: /,
      );
    });

    it('a closed port: Loki at the URL is unreachable', async () => {
      nock.enableNetConnect('127.0.0.1');
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise((resolve) => closed.close(resolve));
      const error = await failure(new LokiLogSource({ url, timeoutMs: 2000 }).query({ start, end, limit: 10 }));
      expect(error.code).toBe('loki_unreachable');
      expect(error.message).toBe(`Loki at ${url} is unreachable (ECONNREFUSED); check LOKI_URL`);
    });
  });
});

describe('Kubernetes log source', () => {
  const kubeConfig = () => nockedKubeConfig(CLUSTER);
  const pod = (name: string, deployment: string, phase = 'Running') => ({
    metadata: {
      name,
      namespace: 'llm-serving',
      labels: {
        'app.kubernetes.io/name': deployment,
        'app.kubernetes.io/instance': `${deployment}-prod`,
        'app.kubernetes.io/managed-by': 'llmops-assistant',
      },
    },
    spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0' }] },
    status: { phase },
  });
  const podList = (...items: unknown[]) => ({
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '48213' },
    items,
  });
  const status = (code: number, reason: string, message: string) => ({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
  const json = { 'Content-Type': 'application/json' };
  const text = { 'Content-Type': 'text/plain' };

  const A = 'mistral-7b-prod-6d5f7c9b8-x2k4q';
  const B = 'mistral-7b-prod-6d5f7c9b8-p9w7z';
  // The API server's timestamps are RFC 3339 with trailing zeros cut: 14:04:12Z comes before 14:04:12.1Z.
  const logA = [
    '2026-11-29T13:59:59.999999999Z (APIServer pid=1) INFO 11-29 13:59:59 [loggers.py:123] Engine 000: Running: 40 reqs, GPU KV cache usage: 71.0%',
    '2026-11-29T14:03:07.123456789Z (EngineCore_DP0 pid=270) WARNING 11-29 14:03:07 [scheduler.py:1560] Sequence group cmpl-8f2c-0 is preempted by PreemptionMode.RECOMPUTE mode',
    '2026-11-29T14:04:12.1Z (APIServer pid=1) INFO 11-29 14:04:12 [loggers.py:123] Engine 000: Running: 61 reqs, GPU KV cache usage: 97.3%',
    '2026-11-29T14:05:41.002Z (APIServer pid=1) ERROR 11-29 14:05:41 [serving_chat.py:1141] Error in chat completion stream generator.',
    '',
  ].join('\n');
  const logB = [
    '2026-11-29T14:01:00Z (APIServer pid=1) INFO 11-29 14:01:00 [api_server.py:1839] vLLM API server version 0.11.0',
    '2026-11-29T14:04:12Z (APIServer pid=1) INFO 11-29 14:04:12 [loggers.py:123] Engine 000: Running: 58 reqs, GPU KV cache usage: 88.0%',
    '2026-11-29T14:45:00Z (APIServer pid=1) INFO 11-29 14:45:00 [loggers.py:123] Engine 000: Running: 3 reqs, GPU KV cache usage: 4.0%',
    '',
  ].join('\n');
  const start = at('2026-11-29T14:00:00Z');
  const end = at('2026-11-29T14:30:00Z');
  const now = () => at('2026-11-29T15:00:00Z');
  const logQuery = { container: 'vllm', timestamps: 'true', sinceSeconds: '3600' };

  function cluster(times: number) {
    return nock(CLUSTER)
      .get(PODS)
      .query({ labelSelector: 'app.kubernetes.io/name=mistral-7b' })
      .times(times)
      .matchHeader('authorization', 'Bearer token-abc')
      .reply(200, podList(pod(A, 'mistral-7b'), pod(B, 'mistral-7b')), json)
      .get(`${PODS}/${A}/log`)
      .query(logQuery)
      .times(times)
      .reply(200, logA, text)
      .get(`${PODS}/${B}/log`)
      .query(logQuery)
      .times(times)
      .reply(200, logB, text);
  }

  it('merges the pods’ logs in time order: newest first for query, oldest first for lines, within the range', async () => {
    const scope = cluster(2);
    const logs = new KubernetesLogSource({ kubeConfig: kubeConfig(), namespace: 'llm-serving', now });
    const newest = await logs.query({ deployment: 'mistral-7b', start, end, limit: 10 });
    expect(summary(newest)).toEqual([
      '2026-11-29T14:05:41.002Z ERROR mistral-7b Error in chat completion stream generator.',
      '2026-11-29T14:04:12.100Z INFO mistral-7b Engine 000: Running: 61 reqs, GPU KV cache usage: 97.3%',
      '2026-11-29T14:04:12.000Z INFO mistral-7b Engine 000: Running: 58 reqs, GPU KV cache usage: 88.0%',
      '2026-11-29T14:03:07.123Z WARNING mistral-7b Sequence group cmpl-8f2c-0 is preempted by PreemptionMode.RECOMPUTE mode',
      '2026-11-29T14:01:00.000Z INFO mistral-7b vLLM API server version 0.11.0',
    ]);
    const oldest = await logs.lines({ deployment: 'mistral-7b', start, end, limit: 3 });
    expect(oldest.map((line) => line.at.toISOString())).toEqual([
      '2026-11-29T14:01:00.000Z',
      '2026-11-29T14:03:07.123Z',
      '2026-11-29T14:04:12.000Z',
    ]);
    expect(scope.isDone()).toBe(true);
  });

  it('filters by level and by text or regex', async () => {
    cluster(3);
    const logs = new KubernetesLogSource({ kubeConfig: kubeConfig(), namespace: 'llm-serving', now });
    const warnings = await logs.query({ deployment: 'mistral-7b', start, end, level: 'warn', limit: 10 });
    expect(warnings.map((line) => line.level)).toEqual(['ERROR', 'WARNING']);
    const text = await logs.query({ deployment: 'mistral-7b', start, end, match: 'kv CACHE usage: 9', limit: 10 });
    expect(text.map((line) => line.at.toISOString())).toEqual(['2026-11-29T14:04:12.100Z']);
    const regex = await logs.query({ deployment: 'mistral-7b', start, end, match: /Running: 5\d reqs/, limit: 10 });
    expect(regex.map((line) => line.at.toISOString())).toEqual(['2026-11-29T14:04:12.000Z']);
  });

  it('reads every managed deployment when none is named, and skips a pod whose container has not started', async () => {
    const pending = 'qwen2-7b-prod-5c8d7f6b9-q8r2t';
    nock(CLUSTER)
      .get(PODS)
      .query({ labelSelector: 'app.kubernetes.io/managed-by=llmops-assistant' })
      .reply(200, podList(pod(B, 'mistral-7b'), pod(pending, 'qwen2-7b', 'Pending')), json)
      .get(`${PODS}/${B}/log`)
      .query(logQuery)
      .reply(200, logB, text)
      .get(`${PODS}/${pending}/log`)
      .query(logQuery)
      .reply(400, status(400, 'BadRequest', `container "vllm" in pod "${pending}" is waiting to start: ContainerCreating`), json);
    const logs = new KubernetesLogSource({ kubeConfig: kubeConfig(), namespace: 'llm-serving', now });
    const lines = await logs.lines({ start, end, limit: 10 });
    expect(lines.map((line) => `${line.deployment} ${line.at.toISOString()}`)).toEqual([
      'mistral-7b 2026-11-29T14:01:00.000Z',
      'mistral-7b 2026-11-29T14:04:12.000Z',
    ]);
  });

  it('403 on pod logs: says the service account needs get on pods/log', async () => {
    nock(CLUSTER)
      .get(PODS)
      .query({ labelSelector: 'app.kubernetes.io/name=mistral-7b' })
      .reply(200, podList(pod(A, 'mistral-7b')), json)
      .get(`${PODS}/${A}/log`)
      .query(logQuery)
      .reply(
        403,
        status(
          403,
          'Forbidden',
          `pods "${A}" is forbidden: User "system:serviceaccount:llm-serving:llmops" cannot get resource "pods/log" in API group "" in the namespace "llm-serving"`,
        ),
        json,
      );
    const logs = new KubernetesLogSource({ kubeConfig: kubeConfig(), namespace: 'llm-serving', now });
    const error = await failure(logs.query({ deployment: 'mistral-7b', start, end, limit: 10 }));
    expect(error.code).toBe('kubernetes_forbidden');
    expect(error.message).toBe(
      `The Kubernetes API at ${CLUSTER} forbade reading the logs of pod llm-serving/${A} (container vllm) ` +
        `(HTTP 403: pods "${A}" is forbidden: User "system:serviceaccount:llm-serving:llmops" cannot get resource "pods/log" ` +
        'in API group "" in the namespace "llm-serving"); the service account may not do that: it needs `get` on `pods/log` in namespace llm-serving',
    );
  });

  it('403 on the pod list: says it needs list on pods', async () => {
    nock(CLUSTER)
      .get(PODS)
      .query(true)
      .reply(403, status(403, 'Forbidden', 'pods is forbidden: User "system:anonymous" cannot list resource "pods"'), json);
    const logs = new KubernetesLogSource({ kubeConfig: kubeConfig(), namespace: 'llm-serving', now });
    const error = await failure(logs.lines({ deployment: 'mistral-7b', start, end, limit: 10 }));
    expect(error.code).toBe('kubernetes_forbidden');
    expect(error.message).toContain('it needs `list` on `pods` in namespace llm-serving');
  });
});

describe('createLogSource', () => {
  const files = () => [];
  it('builds the source LOG_SOURCE names: file by default, loki when LOKI_URL is set, kubernetes on request', async () => {
    expect(createLogSource(loadConfig({}), { files }).name).toBe('file');
    const loki = createLogSource(loadConfig({ LOKI_URL: LOKI, LOKI_TENANT: 'team-llm', LOKI_DEPLOYMENT_LABEL: 'service' }), {
      files,
    });
    expect(loki.name).toBe('loki');
    nock(LOKI)
      .get(QUERY_RANGE)
      .query((query) => query.query === '{service="router"}')
      .matchHeader('x-scope-orgid', 'team-llm')
      .reply(
        200,
        streams({ stream: { service: 'router' }, values: [[ns('2026-11-29T14:10:00Z'), 'INFO 11-29 14:10:00 ready']] }),
      );
    const lines = await loki.query({
      deployment: 'router',
      start: at('2026-11-29T14:00:00Z'),
      end: at('2026-11-29T14:30:00Z'),
      limit: 5,
    });
    expect(lines.map((line) => line.message)).toEqual(['ready']);
    const kube = new KubeConfig();
    kube.loadFromOptions({
      clusters: [{ name: 'c', server: CLUSTER }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    expect(createLogSource(loadConfig({ LOG_SOURCE: 'kubernetes' }), { files, kubeConfig: () => kube }).name).toBe('kubernetes');
    expect(createLogSource(loadConfig({ LOG_SOURCE: 'file', LOKI_URL: LOKI }), { files }).name).toBe('file');
  });
});

describe('tailing', () => {
  it('follows a log file: new matching lines once each, in order, until stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmops-tail-'));
    const path = join(dir, 'mistral-7b.log');
    const stamp = (d: Date) => {
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    };
    const line = (level: string, text: string) => `${level} ${stamp(new Date())} [app.py:1] ${text}\n`;
    writeFileSync(path, line('ERROR', 'old error before the tail started'));
    const source = new FileLogSource(() => [{ deployment: 'mistral-7b', path }]);
    const stop = new AbortController();
    const seen: string[] = [];
    const output = { write: (s: string) => seen.push(s.trimEnd()) } as unknown as NodeJS.WritableStream;
    const since = new Date(Date.now() + 1500); // only lines written from here on
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const done = (async () => {
      for await (const l of source.tail({ deployment: 'mistral-7b', level: 'warn' }, { signal: stop.signal, pollMs: 100, since }))
        output.write(l.message);
    })();
    appendFileSync(path, line('ERROR', 'first new error') + line('INFO', 'not at warn level'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    appendFileSync(path, line('WARNING', 'then a warning'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    stop.abort();
    await done;
    // Eight polls re-read the file; each line still comes once.
    expect(seen).toEqual(['first new error', 'then a warning']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows Loki by asking for the lines after the last one seen', async () => {
    const first = ns('2026-11-29T14:00:01Z');
    const second = ns('2026-11-29T14:00:02Z');
    let now = at('2026-11-29T14:00:01.500Z');
    const scope = nock(LOKI)
      .get(QUERY_RANGE)
      .query((q) => q.start === msNs(at('2026-11-29T14:00:00Z')))
      .reply(200, streams({ stream: { app: 'qwen2-7b' }, values: [[first, 'ERROR 2026-11-29 14:00:01 [a.py:1] one']] }))
      .get(QUERY_RANGE)
      .query((q) => q.start === msNs(at('2026-11-29T14:00:01Z')))
      .reply(
        200,
        streams({
          stream: { app: 'qwen2-7b' },
          values: [
            [second, 'ERROR 2026-11-29 14:00:02 [a.py:1] two'],
            [first, 'ERROR 2026-11-29 14:00:01 [a.py:1] one'],
          ],
        }),
      );
    const loki = new LokiLogSource({ url: LOKI, timeoutMs: 2000 });
    const stop = new AbortController();
    const seen: string[] = [];
    for await (const line of loki.tail(
      { deployment: 'qwen2-7b' },
      {
        signal: stop.signal,
        pollMs: 10,
        since: at('2026-11-29T14:00:00Z'),
        now: () => {
          now = new Date(now.getTime() + 1000);
          return now;
        },
      },
    )) {
      seen.push(line.message);
      if (seen.length === 2) stop.abort();
    }
    expect(seen).toEqual(['one', 'two']);
    expect(scope.isDone()).toBe(true);
  });

  it('llmops logs tail prints new lines, and says what is wrong with its options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmops-tail-'));
    const path = join(dir, 'qwen2-7b.log');
    writeFileSync(path, '');
    const source = new FileLogSource(() => [{ deployment: 'qwen2-7b', path }]);
    let printed = '';
    const io = {
      stdout: {
        write: (s: string) => {
          printed += s;
          return true;
        },
      } as unknown as NodeJS.WritableStream,
    };
    const stop = new AbortController();
    const running = tailLogs(source, ['--match', '/timed out/', '--poll-ms', '100'], io, stop.signal);
    const pad = (n: number) => String(n).padStart(2, '0');
    const d = new Date();
    const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    appendFileSync(
      path,
      `ERROR ${stamp} [g.py:88] Upstream moderation service timed out after 5000 ms\nINFO ${stamp} [l.py:1] fine\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    stop.abort();
    expect(await running).toBe(0);
    expect(printed).toBe(`qwen2-7b ERROR ${stamp} [g.py:88] Upstream moderation service timed out after 5000 ms\n`);
    await expect(tailLogs(source, ['--level', 'loud'], io)).rejects.toThrow(
      '--level must be error, warn, info or debug, got "loud"',
    );
    await expect(tailLogs(source, ['--since', 'yesterday'], io)).rejects.toThrow('--since must be a duration such as 30s');
    rmSync(dir, { recursive: true, force: true });
  });
});
