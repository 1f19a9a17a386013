import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Why a small tmpfs cannot be mounted here (it needs root and a kernel that allows it), or
 * undefined when it can: full-disk and read-only tests need a real file system that fills up.
 */
export const tmpfsUnavailable: string | undefined = (() => {
  if (process.platform !== 'linux') return 'mounting a tmpfs needs Linux';
  const dir = mkdtempSync(join(tmpdir(), 'llmops-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs (needs root): ${(error as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

/** A fresh tmpfs of `size` (e.g. "4m"), read-only when asked; unmount with the returned function. */
export function mountTmpfs(size: string, options: { readOnly?: boolean } = {}): { dir: string; unmount(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'llmops-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${options.readOnly ? ',ro' : ''}`, 'tmpfs', dir], { stdio: 'pipe' });
  return {
    dir,
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
