import type { Logger } from '../observability/logger.ts';
import { PortBook } from './port-book.ts';
import { TcpForwarder } from './tcp-forwarder.ts';

interface OpenSlot {
  name: string;
  environment: string;
  index: number;
  forwarder: TcpForwarder;
}

/** The book's name for replica `index` of a deployment in an environment. */
export function slotName(name: string, environment: string, index: number): string {
  return `${name}/${environment}/${index}`;
}

/**
 * Stable addresses for replicas. Each replica slot (deployment, environment, replica index)
 * has a loopback port assigned once and kept in a port book; the slot's port forwards to
 * whichever process serves that replica now. A rollout starts the new process on a spare
 * port, points the slot at it once healthy and only then stops the old one, so old and new
 * run side by side while the address people and Prometheus use never changes.
 */
export class ReplicaSlots {
  private readonly open = new Map<string, OpenSlot>();
  private readonly book: PortBook;

  constructor(private readonly options: { file: string; logger: Logger }) {
    this.book = new PortBook(options.file);
  }

  /**
   * Serves a deployment's replicas: replica i's slot forwards to `backendUrls[i]` (loopback
   * URLs) from now on, and slots beyond them stop. All or nothing: a slot that cannot open
   * leaves every slot as it was. Returns the slots' URLs, in replica order.
   */
  async serve(name: string, environment: string, backendUrls: readonly string[]): Promise<string[]> {
    const opened: OpenSlot[] = [];
    try {
      for (const [index, url] of backendUrls.entries()) {
        const slot = slotName(name, environment, index);
        if (this.open.has(slot)) continue;
        opened.push({ name, environment, index, forwarder: await this.openSlot(slot, portOf(url)) });
      }
    } catch (error) {
      await Promise.all(opened.map((entry) => entry.forwarder.close()));
      throw error;
    }
    for (const entry of opened) this.open.set(slotName(name, environment, entry.index), entry);
    const urls = backendUrls.map((url, index) => {
      const entry = this.open.get(slotName(name, environment, index)) as OpenSlot;
      entry.forwarder.upstream = portOf(url);
      return urlOf(entry.forwarder.port);
    });
    await this.release(name, environment, backendUrls.length);
    return urls;
  }

  private async openSlot(slot: string, upstream: number): Promise<TcpForwarder> {
    const booked = await this.book.portOf(slot);
    try {
      return await TcpForwarder.open(booked, upstream);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      // Another program took the port while the assistant was down: serving beats keeping the number.
      const port = await this.book.reassign(slot);
      this.options.logger.warn(
        { slot, taken: booked, port },
        `port ${booked} of ${slot} is taken by another program; the slot moves to ${port} (the Prometheus targets file follows)`,
      );
      return TcpForwarder.open(port, upstream);
    }
  }

  /** Stops serving a deployment's slots from replica `fromIndex` on (a scale-down); their ports stay booked for it. */
  async release(name: string, environment: string, fromIndex = 0): Promise<void> {
    for (const [slot, entry] of this.open) {
      if (entry.name !== name || entry.environment !== environment || entry.index < fromIndex) continue;
      this.open.delete(slot);
      await entry.forwarder.close();
    }
  }

  /** A port free now that no slot owns, for a process that will serve behind a slot. */
  backendPort(): Promise<number> {
    return this.book.spare();
  }

  /** Stops every slot (the assistant is stopping); the book keeps the ports for the next start. */
  async close(): Promise<void> {
    const entries = [...this.open.values()];
    this.open.clear();
    await Promise.all(entries.map((entry) => entry.forwarder.close()));
  }
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

function urlOf(port: number): string {
  return `http://127.0.0.1:${port}`;
}
