import {
  type ConfigurationOptions,
  type CoreV1Api,
  Observable,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { apiStatus, statusMessage } from './kubernetes-api-failure.ts';

/** `2026-11-29T14:03:07.123456789Z <line>`: the API server's prefix with `timestamps=true` (trailing zeros cut); `s`, as a progress bar's `\r` stays inside its line. */
const TIMESTAMPED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}) ?(.*)$/s;

/** A 400 for a container that has not started: nothing to read yet. */
const NOT_STARTED = /waiting to start|ContainerCreating|PodInitializing/;

/**
 * Reads one container's log a piece at a time: each call returns the lines written since the
 * previous call. Asks only for the log since the last line seen (`sinceTime`, whole seconds) and
 * drops lines already returned by their timestamp, so a line is passed on once even when several
 * share a second or the server ignores `sinceTime`.
 */
export class PodLogFollower {
  /** The last timestamp passed on (ns since the epoch) and how many lines carried it. */
  private last: { ns: bigint; count: number } | undefined;

  constructor(
    private readonly core: CoreV1Api,
    private readonly target: { namespace: string; pod: string; container: string },
  ) {}

  /** The new lines, `\r`-separated progress steps as lines of their own. Throws the client's error when the API refuses. */
  async next(): Promise<string[]> {
    let text: string;
    try {
      text = await this.core.readNamespacedPodLog(
        { name: this.target.pod, namespace: this.target.namespace, container: this.target.container, timestamps: true },
        this.last ? withQueryParam('sinceTime', wholeSecond(this.last.ns)) : undefined,
      );
    } catch (error) {
      // Not started yet, or the pod is gone: no lines this time.
      if (apiStatus(error) === 404) return [];
      if (apiStatus(error) === 400 && NOT_STARTED.test(statusMessage((error as { body?: unknown }).body))) return [];
      throw error;
    }
    return this.unseen(text);
  }

  private unseen(text: string): string[] {
    const lines: string[] = [];
    let previous: bigint | undefined;
    let sameStamp = 0;
    for (const row of text.split('\n')) {
      const stamped = TIMESTAMPED.exec(row);
      if (!stamped) continue;
      const [, seconds, fraction = '', zone, content = ''] = stamped;
      const ns = BigInt(Date.parse(`${seconds}${zone}`)) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
      sameStamp = ns === previous ? sameStamp + 1 : 1;
      previous = ns;
      if (this.last && (ns < this.last.ns || (ns === this.last.ns && sameStamp <= this.last.count))) continue;
      this.last = { ns, count: sameStamp };
      lines.push(...content.split('\r').filter((line) => line.trim() !== ''));
    }
    return lines;
  }
}

/** The API server's sinceTime is RFC 3339 in whole seconds; rounding down re-reads lines that `unseen` then drops. */
function wholeSecond(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The generated client (1.4.0) has no sinceTime parameter for pod logs, so a middleware adds it to the query. */
function withQueryParam(name: string, value: string): ConfigurationOptions<ObservableMiddleware> {
  return {
    middleware: [
      {
        pre: (request: RequestContext) => {
          request.setQueryParam(name, value);
          return new Observable(Promise.resolve(request));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
