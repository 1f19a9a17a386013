import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import {
  type LogLine,
  type LogQuery,
  type LogSource,
  levelAtLeast,
  pollTail,
  type TailOptions,
  type TailQuery,
} from './log-source.ts';
import { normaliseLevel, parseLogLine } from './parse-log-line.ts';
import { displayUrl, redact, snippet, transportFailure } from './upstream-failure.ts';

export interface LokiLogSourceOptions {
  /** Loki's root, with any path prefix: `http://loki:3100`, `https://example.com/loki`. */
  url: string;
  bearerToken?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** Sent as `X-Scope-OrgID`, which a multi-tenant Loki requires. */
  tenant?: string | undefined;
  timeoutMs: number;
  /** The stream label that names a deployment. Default `app`. */
  deploymentLabel?: string | undefined;
  /** Most entries asked for in one request. Default 5000, Loki's default `max_entries_limit_per_query`. */
  pageSize?: number | undefined;
}

export const LOKI_PAGE_SIZE = 5000;
/** Pages `query` reads looking for lines at the asked level; past them it answers with what it found. */
export const LOKI_MAX_QUERY_PAGES = 20;
const QUERY_RANGE = '/loki/api/v1/query_range';
const NS_PER_MS = 1_000_000n;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

// Loki's query_range answer for a log query (https://grafana.com/docs/loki/latest/reference/loki-http-api/).
const streamsBody = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('streams'),
    result: z.array(
      z.object({
        stream: z.record(z.string(), z.string()),
        // Loki 3 may add a third element: the entry's structured metadata.
        values: z.array(z.tuple([z.string().regex(/^\d+$/), z.string()], z.unknown())),
      }),
    ),
  }),
});

/** One entry of one stream. */
interface Entry {
  ns: bigint;
  line: string;
  labels: Record<string, string>;
  key: string;
}

/** A LogQL query over a range in one direction, as an error names it. */
interface RangeRequest {
  logql: string;
  start: Date;
  end: Date;
  direction: 'forward' | 'backward';
}

/** Logs from Loki over its HTTP API: LogQL line filters on the server, levels read from each line here. */
export class LokiLogSource implements LogSource {
  readonly name = 'loki';

  tail(query: TailQuery, options: TailOptions): AsyncGenerator<LogLine> {
    return pollTail(this, query, options);
  }
  /** The URL without credentials, as it appears in messages. */
  readonly url: string;
  private readonly http: AxiosInstance;
  private readonly secrets: string[];
  private readonly label: string;
  private readonly pageSize: number;

  constructor(private readonly options: LokiLogSourceOptions) {
    this.url = displayUrl(options.url);
    this.label = options.deploymentLabel ?? 'app';
    this.pageSize = options.pageSize ?? LOKI_PAGE_SIZE;
    this.secrets = [options.bearerToken, options.password].filter((s): s is string => Boolean(s));
    this.http = axios.create({
      baseURL: options.url.replace(/\/+$/, ''),
      timeout: options.timeoutMs,
      headers: {
        Accept: 'application/json',
        ...(options.bearerToken ? { Authorization: `Bearer ${options.bearerToken}` } : {}),
        ...(options.tenant ? { 'X-Scope-OrgID': options.tenant } : {}),
      },
      ...(options.username !== undefined && options.password !== undefined
        ? { auth: { username: options.username, password: options.password } }
        : {}),
      // Statuses and bodies are judged here, so every failure gets words that name the problem.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      maxContentLength: MAX_RESPONSE_BYTES,
      maxRedirects: 0,
    });
  }

  async query(query: LogQuery): Promise<LogLine[]> {
    const request: RangeRequest = {
      logql: this.logql(query.deployment, query.match),
      start: query.start,
      end: query.end,
      direction: 'backward',
    };
    const level = query.level;
    return this.collect(request, query.limit, level ? (line) => levelAtLeast(line.level, level) : undefined);
  }

  async lines(query: Omit<LogQuery, 'match' | 'level'>): Promise<LogLine[]> {
    const request: RangeRequest = {
      logql: this.logql(query.deployment),
      start: query.start,
      end: query.end,
      direction: 'forward',
    };
    return this.collect(request, query.limit);
  }

  /** The LogQL for a deployment's lines (any deployment's when none), with a line filter for `match`. */
  logql(deployment?: string, match?: string | RegExp): string {
    const selector = deployment ? `{${this.label}=${logqlString(deployment)}}` : `{${this.label}=~".+"}`;
    if (match === undefined) return selector;
    const pattern = typeof match === 'string' ? `(?i)${escapeRegex(match)}` : `${re2Flags(match)}${match.source}`;
    return `${selector} |~ ${logqlString(pattern)}`;
  }

  /**
   * Pages through the range in the request's direction until `limit` lines (that pass `keep`, when
   * given) are found or the range is exhausted. Each page starts at the last timestamp of the one
   * before, since lines can share it, and skips the lines already seen there. With `keep`, pages are
   * full-sized and at most LOKI_MAX_QUERY_PAGES are read, so a rare level cannot page through days.
   */
  private async collect(request: RangeRequest, limit: number, keep?: (line: LogLine) => boolean): Promise<LogLine[]> {
    const kept: LogLine[] = [];
    if (limit <= 0) return kept;
    const forward = request.direction === 'forward';
    const maxPages = keep ? LOKI_MAX_QUERY_PAGES : Number.POSITIVE_INFINITY;
    // Loki's range is [start, end); a line stamped within the asked end's millisecond still belongs to it.
    let from = BigInt(request.start.getTime()) * NS_PER_MS;
    let to = (BigInt(request.end.getTime()) + 1n) * NS_PER_MS;
    let boundary = { ns: -1n, keys: new Set<string>() };
    for (let page = 0; page < maxPages && from < to; page++) {
      const size = keep ? this.pageSize : Math.min(this.pageSize, limit - kept.length + boundary.keys.size);
      const entries = await this.page(request, from, to, size);
      let fresh = 0;
      for (const entry of entries) {
        if (entry.ns === boundary.ns && boundary.keys.has(entry.key)) continue;
        fresh++;
        const line = this.toLogLine(entry);
        if (keep && !keep(line)) continue;
        kept.push(line);
        if (kept.length >= limit) return kept;
      }
      const last = entries.at(-1);
      if (!last || entries.length < size) break;
      if (fresh === 0) {
        // More than a page of lines share one nanosecond: step past it rather than ask for the same page again.
        if (forward) from = last.ns + 1n;
        else to = last.ns;
        boundary = { ns: -1n, keys: new Set() };
        continue;
      }
      const keys = last.ns === boundary.ns ? boundary.keys : new Set<string>();
      for (const entry of entries) if (entry.ns === last.ns) keys.add(entry.key);
      boundary = { ns: last.ns, keys };
      if (forward) from = last.ns;
      else to = last.ns + 1n;
    }
    return kept;
  }

  /** One query_range request; its entries across streams in the request's direction. */
  private async page(request: RangeRequest, from: bigint, to: bigint, limit: number): Promise<Entry[]> {
    const params = { query: request.logql, start: from.toString(), end: to.toString(), limit, direction: request.direction };
    const body = await this.getJson(params, request);
    const parsed = streamsBody.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      throw this.badResponse(`an unexpected answer shape (${issues})`, request);
    }
    const entries: Entry[] = [];
    for (const { stream, values } of parsed.data.data.result) {
      const streamKey = Object.keys(stream)
        .sort()
        .map((name) => `${name}=${stream[name]}`)
        .join(',');
      for (const [ns, line] of values)
        entries.push({ ns: BigInt(ns), line, labels: stream, key: `${streamKey}\u0000${ns}\u0000${line}` });
    }
    const sign = request.direction === 'forward' ? 1 : -1;
    return entries.sort((a, b) => (a.ns === b.ns ? 0 : a.ns < b.ns ? -sign : sign));
  }

  private toLogLine(entry: Entry): LogLine {
    const parsed = parseLogLine(entry.line);
    const level = parsed.level ?? normaliseLevel(entry.labels.level ?? entry.labels.detected_level) ?? 'UNKNOWN';
    return {
      at: new Date(Number(entry.ns / NS_PER_MS)),
      level,
      deployment: entry.labels[this.label] ?? `(no ${this.label} label)`,
      message: parsed.message,
      raw: entry.line,
    };
  }

  /** GETs query_range and returns its JSON body, or throws an AppError that says what went wrong. */
  private async getJson(params: Record<string, string | number>, request: RangeRequest): Promise<unknown> {
    let status: number;
    let text: string;
    try {
      // axios' timeout covers an idle socket; the signal bounds the whole exchange.
      const response = await this.http.get<string>(QUERY_RANGE, { params, signal: AbortSignal.timeout(this.options.timeoutMs) });
      status = response.status;
      text = typeof response.data === 'string' ? response.data : String(response.data ?? '');
    } catch (error) {
      throw this.transportError(error, request);
    }
    if (status < 200 || status >= 300) throw this.statusError(status, text, request);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.badResponse(`a body that is not JSON: ${snippet(text)}`, request);
    }
  }

  private statusError(status: number, text: string, request: RangeRequest): AppError {
    if (status === 401 || status === 403) {
      const hint = /no org id/i.test(text)
        ? 'this Loki is multi-tenant: set LOKI_TENANT (sent as X-Scope-OrgID)'
        : this.options.bearerToken
          ? 'check LOKI_BEARER_TOKEN'
          : this.options.username
            ? 'check LOKI_USERNAME and LOKI_PASSWORD'
            : 'it needs credentials: set LOKI_BEARER_TOKEN, or LOKI_USERNAME and LOKI_PASSWORD';
      return this.error('loki_auth', `Loki at ${this.url} refused the request (HTTP ${status}: ${snippet(text)}); ${hint}`);
    }
    if (status === 400) {
      return this.error(
        'loki_query_invalid',
        `Loki at ${this.url} rejected the query (HTTP 400: ${snippet(text)})${describeRequest(request)}`,
      );
    }
    if (status === 404) {
      return this.badResponse(
        `HTTP 404: ${snippet(text)}; check that LOKI_URL is Loki's root, including any path prefix`,
        request,
      );
    }
    if (status >= 300 && status < 400) {
      return this.badResponse(`HTTP ${status}: ${snippet(text)}; check LOKI_URL (redirects are not followed)`, request);
    }
    return this.error(
      'loki_error',
      `Loki at ${this.url} failed the query (HTTP ${status}: ${snippet(text)})${describeRequest(request)}`,
    );
  }

  private transportError(error: unknown, request: RangeRequest): AppError {
    const { kind, code, cause } = transportFailure(error);
    switch (kind) {
      case 'timeout':
        return this.error(
          'loki_timeout',
          `Loki at ${this.url} did not answer within ${this.options.timeoutMs} ms${describeRequest(request)}; ` +
            'a shorter range makes a query lighter, or raise LOKI_TIMEOUT_MS',
          cause,
        );
      case 'too_large':
        return this.badResponse(`an answer larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MB`, request);
      case 'unreachable':
        return this.error('loki_unreachable', `Loki at ${this.url} is unreachable (${code}); check LOKI_URL`, cause);
      case 'unreadable':
        return this.badResponse(`an error while reading the answer (${code})`, request);
    }
  }

  private badResponse(problem: string, request: RangeRequest): AppError {
    return this.error(
      'loki_bad_response',
      `Loki at ${this.url} answered ${QUERY_RANGE} with ${problem}${describeRequest(request)}`,
    );
  }

  /** An AppError whose message never carries the token or password. */
  private error(code: string, message: string, cause?: Error): AppError {
    return new AppError(code, redact(message, this.secrets), cause ? { cause } : undefined);
  }
}

function describeRequest(request: RangeRequest): string {
  return `. LogQL: ${request.logql} over ${request.start.toISOString()} – ${request.end.toISOString()}`;
}

/** A LogQL string literal: Go's double-quoted syntax, which JSON's escapes are a subset of. */
function logqlString(text: string): string {
  return JSON.stringify(text);
}

/** Text as an RE2 pattern that matches it literally. */
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** JavaScript's i, m and s flags as RE2's inline flags. */
function re2Flags(regex: RegExp): string {
  const flags = [...regex.flags].filter((flag) => 'ims'.includes(flag)).join('');
  return flags ? `(?${flags})` : '';
}
