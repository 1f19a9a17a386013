import { createInterface } from 'node:readline';
import { TemplateMiner, type TemplateMinerOptions } from './drain.ts';
import type { LogFormat } from './format.ts';

/**
 * Parses a stream of log lines into final groups. One streaming pass: each line's content (the
 * format's `Content`, or the whole line when it does not match) is added to a TemplateMiner and its
 * cluster id stored in a growable Int32Array (4 bytes a line). Drain clusters never merge, so the
 * id a line got is the id of its final cluster; only the template text generalizes, and the final
 * template is read at the end. Templates of clusters evicted by the LRU cap are kept (as text) so
 * their lines still get their template.
 *
 * EventIds `E1`, `E2`, … are numbered by first appearance in the file.
 */
export interface ParsedLog {
  lines: number;
  unmatched: number;
  /** Per line (0-based), the EventId number (1-based). */
  eventIds: Int32Array;
  /** Template of EventId n at index n - 1. */
  templates: string[];
}

export async function parseLogStream(
  input: NodeJS.ReadableStream,
  format: LogFormat | undefined,
  options: TemplateMinerOptions = {},
): Promise<ParsedLog> {
  const evicted = new Map<number, string>();
  const miner = new TemplateMiner({
    ...options,
    onEvict: (cluster) => {
      evicted.set(cluster.id, cluster.template);
      options.onEvict?.(cluster);
    },
  });
  let ids = new Int32Array(1 << 16);
  let lines = 0;
  let unmatched = 0;
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of rl) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    let content: string | undefined;
    if (format) {
      content = format.regex.exec(line.trim())?.groups?.Content;
      if (content === undefined) unmatched++;
    }
    const { clusterId } = miner.add(content ?? line);
    if (lines === ids.length) {
      const grown = new Int32Array(ids.length * 2);
      grown.set(ids);
      ids = grown;
    }
    ids[lines++] = clusterId;
  }
  // Renumber clusters by first appearance.
  const eventOf = new Map<number, number>();
  const templates: string[] = [];
  const eventIds = new Int32Array(lines);
  for (let i = 0; i < lines; i++) {
    const clusterId = ids[i] as number;
    let event = eventOf.get(clusterId);
    if (event === undefined) {
      templates.push(miner.template(clusterId) ?? evicted.get(clusterId) ?? '');
      event = templates.length;
      eventOf.set(clusterId, event);
    }
    eventIds[i] = event;
  }
  return { lines, unmatched, eventIds, templates };
}
