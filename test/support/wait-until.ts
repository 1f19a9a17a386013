/**
 * Polls `check` until it returns something other than undefined or false (a value or true), and
 * resolves with it; rejects naming `what` when `timeoutMs` passes first. Tests wait on the
 * condition they need instead of sleeping a fixed time that is too long here and too short on a
 * loaded machine.
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 15_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
