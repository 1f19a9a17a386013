import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError, describeError } from '../errors.ts';
import { freePort } from '../net/free-port.ts';
import { writeFileAtomic } from './atomic-file.ts';

const port = z.number().int().min(1).max(65_535);
const bookSchema = z.object({
  slots: z
    .record(z.string().min(1), port)
    .refine((slots) => new Set(Object.values(slots)).size === Object.keys(slots).length, 'two slots share a port'),
});

/**
 * Loopback ports assigned once per replica slot and kept in a JSON file, so that a slot keeps
 * its port across restarts and rollouts. A slot is a name such as `qwen2-7b/staging/0`.
 */
export class PortBook {
  private slots: Record<string, number> | undefined;
  /** Assignments run one at a time, so two slots never draw the same port. */
  private assigning: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  /** The slot's port, assigning a free one the first time (and recording it at once). */
  async portOf(slot: string): Promise<number> {
    const booked = this.load()[slot];
    return booked ?? this.assign(slot);
  }

  /** Gives the slot a new port, for when its own is taken by a program outside the assistant. */
  async reassign(slot: string): Promise<number> {
    return this.assign(slot);
  }

  /** A port free now that no slot is assigned, for a process that serves behind a slot. */
  async spare(): Promise<number> {
    const booked = new Set(Object.values(this.load()));
    // The OS hands out ephemeral ports; a booked one must stay free for its slot.
    for (let attempt = 0; attempt < 50; attempt++) {
      const candidate = await freePort();
      if (!booked.has(candidate)) return candidate;
    }
    throw new AppError('port_unavailable', 'no free loopback port outside the booked ones after 50 tries');
  }

  private assign(slot: string): Promise<number> {
    const next = this.assigning.then(async () => {
      const slots = this.load();
      const chosen = await this.spare();
      slots[slot] = chosen;
      writeFileAtomic(this.file, `${JSON.stringify({ slots }, null, 2)}\n`);
      return chosen;
    });
    this.assigning = next.catch(() => undefined);
    return next;
  }

  private load(): Record<string, number> {
    if (this.slots) return this.slots;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.slots = {};
      return this.slots;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw this.invalid(describeError(error));
    }
    const parsed = bookSchema.safeParse(raw);
    if (!parsed.success)
      throw this.invalid(parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; '));
    this.slots = { ...parsed.data.slots };
    return this.slots;
  }

  private invalid(what: string): AppError {
    return new AppError(
      'port_book_invalid',
      `${this.file} is not a port book (${what}); expected {"slots": {"name/environment/replica": port}} with distinct ports from 1 to 65535. Fix it, or delete it and the fleet takes new ports.`,
    );
  }
}
