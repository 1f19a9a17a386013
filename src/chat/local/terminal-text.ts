/**
 * Text written for Slack, made readable in a terminal: Slack's emoji shortcodes become the
 * emoji they stand for (a terminal prints ":rotating_light:" literally), and `<url|label>`
 * links become "label (url)". Unknown shortcodes stay as written.
 */
const EMOJI: Readonly<Record<string, string>> = {
  rotating_light: '🚨',
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  warning: '⚠️',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  large_green_circle: '🟢',
  red_circle: '🔴',
  large_yellow_circle: '🟡',
  information_source: 'ℹ️',
  fire: '🔥',
  mag: '🔍',
  chart_with_upwards_trend: '📈',
  chart_with_downwards_trend: '📉',
  rocket: '🚀',
  stopwatch: '⏱️',
  bell: '🔔',
  no_entry: '⛔',
  arrow_right: '➡️',
};

export function forTerminal(text: string): string {
  return text
    .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole)
    .replace(/<(https?:\/\/[^|>\s]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:\/\/[^|>\s]+)>/g, '$1');
}
