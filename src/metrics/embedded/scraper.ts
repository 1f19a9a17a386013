import { describeError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { parseExposition } from './exposition-parser.ts';
import type { MetricStore, Target } from './metric-store.ts';

export interface ScrapeStatus {
  target: string;
  url: string;
  lastScrape?: string;
  lastError?: string;
  lastDurationMs?: number;
  samples?: number;
}

/**
 * Scrapes each target's `/metrics` on an interval into the metric store, like a one-job
 * Prometheus, and prunes samples past retention once an hour. A failing target is
 * recorded and logged, never fatal.
 */
export class Scraper {
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly statuses = new Map<number, ScrapeStatus>();
  private readonly targets = new Map<number, Target>();
  private stopped = false;

  constructor(
    private readonly options: {
      store: MetricStore;
      intervalSeconds: number;
      retentionDays: number;
      logger: Logger;
      timeoutMs?: number;
      clock?: () => Date;
    },
  ) {}

  /** Adds a target: `url` is the server's base URL; `/metrics` is appended. */
  addTarget(name: string, deployment: string, url: string): Target {
    const target = this.options.store.upsertTarget(name, deployment, url);
    this.targets.set(target.id, target);
    this.statuses.set(target.id, { target: name, url });
    return target;
  }

  /** Scrapes on the interval from now on; `immediate` also scrapes at once. */
  /** Stops scraping a target and the replicas named after it (`name`, `name#1`, …). */
  removeTargets(name: string): void {
    for (const [id, target] of this.targets) {
      if (target.name === name || target.name.startsWith(`${name}#`)) {
        this.targets.delete(id);
        this.statuses.delete(id);
      }
    }
  }

  start(immediate = true): void {
    this.stopped = false;
    if (immediate) void this.scrapeOnce();
    this.timer = setInterval(() => void this.scrapeOnce(), this.options.intervalSeconds * 1000);
    this.timer.unref();
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), 3_600_000);
    this.pruneTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.pruneTimer);
  }

  status(): ScrapeStatus[] {
    return [...this.statuses.values()];
  }

  /** Scrapes every target once, concurrently; resolves when all are stored. */
  async scrapeOnce(): Promise<void> {
    await Promise.all([...this.targets.values()].map((target) => this.scrape(target)));
  }

  private async scrape(target: Target): Promise<void> {
    const started = performance.now();
    const at = this.options.clock?.() ?? new Date();
    const status = this.statuses.get(target.id) as ScrapeStatus;
    try {
      const response = await fetch(`${target.url}/metrics`, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const samples = parseExposition(await response.text());
      this.options.store.append(target.id, at.getTime() / 1000, [...samples.keys()], Float64Array.from(samples.values()));
      Object.assign(status, {
        lastScrape: at.toISOString(),
        lastError: undefined,
        lastDurationMs: performance.now() - started,
        samples: samples.size,
      });
    } catch (error) {
      if (this.stopped) return;
      const message = `scraping ${target.url}/metrics failed: ${describeError(error)}`;
      if (status.lastError !== message) this.options.logger.warn({ target: target.name }, message);
      Object.assign(status, { lastError: message, lastDurationMs: performance.now() - started });
    }
  }

  private prune(): void {
    const now = (this.options.clock?.() ?? new Date()).getTime() / 1000;
    this.options.store.prune(now - this.options.retentionDays * 86_400);
  }
}
