import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReplicaSlots } from '../src/deployments/replica-slots.ts';
import { createLogger } from '../src/observability/logger.ts';
import { silentLogger, tempDataDir } from './support/test-assistant.ts';

// Real sockets: HTTP servers behind the slots' forwarders, a port book file on disk.
const dir = tempDataDir();
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** An HTTP server that says who it is, on a free loopback port. */
async function backend(name: string): Promise<string> {
  const server: Server = createServer((_request, response) => response.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

function slotsOn(file: string, logger = silentLogger): ReplicaSlots {
  const slots = new ReplicaSlots({ file, logger });
  closers.push(() => slots.close());
  return slots;
}

const ask = async (url: string) => (await fetch(url, { headers: { Connection: 'close' } })).text();

describe('replica slots', () => {
  it('serve a replica on the same port across cut-overs and restarts, and free scaled-down slots', async () => {
    const file = join(dir, 'ports.json');
    const [blue, green, extra] = await Promise.all([backend('blue'), backend('green'), backend('extra')]);
    const slots = slotsOn(file);
    const [front] = await slots.serve('llama-3-8b', 'prod', [blue]);
    expect(await ask(front as string)).toBe('blue');
    // Cut-over: same address, the new process answers.
    expect(await slots.serve('llama-3-8b', 'prod', [green, extra])).toEqual([front, expect.any(String)]);
    expect(await ask(front as string)).toBe('green');
    const [, second] = await slots.serve('llama-3-8b', 'prod', [green, extra]);
    expect(await ask(second as string)).toBe('extra');
    await slots.serve('llama-3-8b', 'prod', [green]);
    await expect(ask(second as string)).rejects.toThrow();

    // Another environment of the same name is another slot.
    const [staging] = await slots.serve('llama-3-8b', 'staging', [blue]);
    expect(staging).not.toBe(front);

    // A restart: the book on disk gives every slot its port back, the scaled-down one included.
    await slots.close();
    await expect(ask(front as string)).rejects.toThrow();
    const again = slotsOn(file);
    expect(await again.serve('llama-3-8b', 'prod', [blue, extra])).toEqual([front, second]);
    expect(await again.serve('llama-3-8b', 'staging', [green])).toEqual([staging]);
    expect(await ask(staging as string)).toBe('green');
  });

  it('moves a slot whose port another program holds, and says so', async () => {
    const file = join(dir, 'taken.json');
    const blue = await backend('blue');
    const first = slotsOn(file);
    const [front] = await first.serve('mistral-7b', 'prod', [blue]);
    await first.close();
    const squatter = createTcpServer();
    await new Promise<void>((resolve) => squatter.listen(Number(new URL(front as string).port), '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => squatter.close(() => resolve())));

    const lines: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => void lines.push(line) });
    const [moved] = await slotsOn(file, logger).serve('mistral-7b', 'prod', [blue]);
    expect(moved).not.toBe(front);
    expect(await ask(moved as string)).toBe('blue');
    expect(lines.join('')).toContain(
      `port ${new URL(front as string).port} of mistral-7b/prod/0 is taken by another program; the slot moves to ${new URL(moved as string).port}`,
    );
  });

  it('refuses a damaged port book, naming the file and what to do', async () => {
    const file = join(dir, 'damaged.json');
    writeFileSync(file, '{"slots": {"a/prod/0": 40001, "b/prod/0": 40001}}');
    await expect(slotsOn(file).serve('a', 'prod', [await backend('a')])).rejects.toThrow(
      `${file} is not a port book (slots: two slots share a port); expected {"slots": {"name/environment/replica": port}} with distinct ports from 1 to 65535. Fix it, or delete it and the fleet takes new ports.`,
    );
    writeFileSync(file, 'not json');
    await expect(slotsOn(file).serve('a', 'prod', [await backend('a')])).rejects.toThrow(/is not a port book \(Unexpected token/);
  });
});
