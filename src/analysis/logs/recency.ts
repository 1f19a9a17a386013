/**
 * Least-recently-used order of items used often and dropped rarely (the miner's clusters): a use is
 * one push onto a queue with the use's number; an entry whose item was used again since, or is no
 * longer live, is skipped when the oldest is asked for and dropped when the queue is compacted
 * (once it holds four entries per live item, and 1,024 more). The same order as moving an item to
 * the end of a list on every use, without doing so.
 */
export class Recency<T extends { lastUse: number }> {
  private items: T[] = [];
  private uses: number[] = [];
  private head = 0;
  private count = 0;

  constructor(private readonly live: (item: T) => boolean) {}

  /** Marks `item` as the most recently used; `liveCount` is how many items are live. */
  use(item: T, liveCount: number): void {
    item.lastUse = ++this.count;
    this.items.push(item);
    this.uses.push(item.lastUse);
    if (this.items.length - this.head > 4 * liveCount + 1024) this.compact();
  }

  /** The least recently used live item, taken off the order (undefined when none). */
  takeOldest(): T | undefined {
    while (this.head < this.items.length) {
      const item = this.items[this.head] as T;
      const current = item.lastUse === this.uses[this.head] && this.live(item);
      this.head++;
      if (current) return item;
    }
    return undefined;
  }

  private compact(): void {
    const items: T[] = [];
    const uses: number[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T;
      if (item.lastUse === this.uses[i] && this.live(item)) {
        items.push(item);
        uses.push(item.lastUse);
      }
    }
    this.items = items;
    this.uses = uses;
    this.head = 0;
  }
}
