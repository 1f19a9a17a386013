/** Requests the receiver is handling: the pacer's view of Slack's traffic. */
export interface ReceiverTraffic {
  /** A request to /slack/events arrived (its headers were read). */
  requestStarted(): void;
  /** That request was answered (acknowledged or refused) or its connection closed. */
  requestSettled(): void;
}

export interface AckFirstPacerOptions {
  /** How long no new request must have arrived before work goes on (ms). */
  quietMs?: number;
  /**
   * When requests have kept coming for this long, work that waited through all of it goes on
   * anyway, one step per `maxWaitMs / 4`, so a steady stream cannot starve the answers (ms).
   */
  maxWaitMs?: number;
  now?: () => number;
}

/**
 * Keeps Slack's acknowledgements ahead of the work they start. Node accepts one new connection
 * per turn of its event loop (libuv since 1.45), so a burst of 200 requests waits 200 turns: any
 * work run in those turns (a chart, the planner) delays every request behind it. Work therefore
 * awaits {@link quiet} before each step: it resolves, one waiter at a time, once no request is
 * being handled, none arrived for `quietMs`, and two further turns of the loop (the one that
 * accepts a waiting connection and the one that reads it) brought none. Under a steady stream
 * of requests longer than `maxWaitMs`, work goes on at a bounded rate.
 */
export class AckFirstPacer implements ReceiverTraffic {
  private readonly quietMs: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  private inFlight = 0;
  private arrivals = 0;
  private lastArrival = Number.NEGATIVE_INFINITY;
  /** When the current stretch of requests without a quiet moment began. */
  private busySince = Number.NEGATIVE_INFINITY;
  private readonly waiters: Array<{ release: () => void; since: number }> = [];
  private timer: NodeJS.Timeout | undefined;
  private confirming = false;
  private lastForced = Number.NEGATIVE_INFINITY;

  constructor(options: AckFirstPacerOptions = {}) {
    this.quietMs = options.quietMs ?? 100;
    this.maxWaitMs = options.maxWaitMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
  }

  requestStarted(): void {
    const now = this.now();
    if (this.inFlight === 0 && now - this.lastArrival >= this.quietMs) this.busySince = now;
    this.inFlight++;
    this.arrivals++;
    this.lastArrival = now;
  }

  requestSettled(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /** Resolves when no Slack request waits for its acknowledgement (under a steady stream, at a bounded rate). */
  quiet(): Promise<void> {
    return new Promise((release) => {
      this.waiters.push({ release, since: this.now() });
      this.schedule();
    });
  }

  /** Work waiting for a quiet moment, and requests being handled (for tests and logs). */
  get state(): { waiting: number; inFlight: number } {
    return { waiting: this.waiters.length, inFlight: this.inFlight };
  }

  /** While work waits, one timer (never one per request) looks again when quiet or the deadline may have come. */
  private schedule(): void {
    if (this.waiters.length === 0 || this.confirming || this.timer) return;
    const now = this.now();
    const first = this.waiters[0] as { since: number };
    const overdueIn = Math.max(this.starvedFrom(first.since) + this.maxWaitMs, this.lastForced + this.maxWaitMs / 4) - now;
    // A request being handled is usually answered within a millisecond: look again a quiet period later.
    const quietIn = this.inFlight > 0 ? this.quietMs : this.lastArrival + this.quietMs - now;
    const wait = Math.min(quietIn, overdueIn);
    if (wait <= 0) this.confirm();
    else
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, Math.ceil(wait));
  }

  /** Since when a waiter has been kept waiting by requests alone (not by other work's steps). */
  private starvedFrom(since: number): number {
    return Math.max(since, this.busySince);
  }

  /** Two hops through the loop's check phase: the poll phases between them accept and read any waiting request. */
  private confirm(): void {
    this.confirming = true;
    const seen = this.arrivals;
    setImmediate(() =>
      setImmediate(() => {
        this.confirming = false;
        const first = this.waiters[0];
        if (!first) return;
        const now = this.now();
        const quiet = this.arrivals === seen && this.inFlight === 0 && now - this.lastArrival >= this.quietMs;
        const overdue = now - this.starvedFrom(first.since) >= this.maxWaitMs && now - this.lastForced >= this.maxWaitMs / 4;
        if (quiet || overdue) {
          if (!quiet) this.lastForced = now;
          this.waiters.shift();
          first.release();
        }
        // The next waiter goes after its own confirmation, so one step runs between two looks at the receiver.
        this.schedule();
      }),
    );
  }
}
