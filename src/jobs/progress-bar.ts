/** `[██████░░░░░░░░░░] 40%`: a progress bar that reads the same in Slack, a terminal and a log. */
export function progressBar(fraction: number, width = 16): string {
  const clamped = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(clamped * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${Math.round(clamped * 100)}%`;
}
