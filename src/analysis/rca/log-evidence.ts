import { TemplateMiner } from '../logs/drain.ts';
import type { CauseKind } from './cause-kinds.ts';
import { signatureOf } from './signatures.ts';

export interface RcaLogLine {
  at: Date;
  message: string;
  /** The line as written, with what it says about where it ran (pod, node); the message when absent. */
  raw?: string | undefined;
}

/** A log template that is new or spiking after the split, with what it points at. */
export interface LogFinding {
  template: string;
  /** Lines after and before the split. */
  count: number;
  baseline: number;
  /** Smoothed rate ratio after/before (add-one); Infinity never appears. */
  ratio: number;
  novelty: 'new' | 'spiking';
  firstSeen: Date;
  /** The first incident line of the template, as logged (hosts and ids the template masks). */
  example: string;
  kind?: CauseKind | undefined;
  label?: string | undefined;
  /** Evidence only the hardware gives (an Xid, an ECC error), as opposed to what a bad build also causes. */
  direct?: boolean | undefined;
}

/**
 * Lines before `split` are the baseline, lines from it on the incident. One Drain miner sees both
 * in time order, so an incident line that fits a baseline template counts under it. A template is
 * `new` with no baseline lines, `spiking` when its share of lines grew `minRatio`-fold.
 */
export function findLogChanges(lines: readonly RcaLogLine[], split: Date, minRatio = 3): LogFinding[] {
  const sorted = [...lines].sort((a, b) => a.at.getTime() - b.at.getTime());
  const miner = new TemplateMiner({ maxClusters: sorted.length + 1 });
  const stats = new Map<number, { before: number; after: number; firstSeen?: Date; example?: string }>();
  let nBefore = 0;
  let nAfter = 0;
  for (const line of sorted) {
    const { clusterId } = miner.add(line.message);
    const entry = stats.get(clusterId) ?? { before: 0, after: 0 };
    if (line.at < split) {
      entry.before++;
      nBefore++;
    } else {
      entry.after++;
      nAfter++;
      entry.firstSeen ??= line.at;
      entry.example ??= line.message;
    }
    stats.set(clusterId, entry);
  }
  // Clusters whose variable words took several values merge once all lines are seen: count under the final ids.
  const merged = new Map<number, { before: number; after: number; firstSeen?: Date; example?: string }>();
  for (const [id, entry] of stats) {
    const to = miner.resolve(id);
    const into = merged.get(to);
    if (!into) {
      merged.set(to, { ...entry });
      continue;
    }
    into.before += entry.before;
    into.after += entry.after;
    if (entry.firstSeen && (!into.firstSeen || entry.firstSeen < into.firstSeen)) {
      into.firstSeen = entry.firstSeen;
      into.example = entry.example;
    }
  }
  const findings: LogFinding[] = [];
  for (const [id, entry] of merged) {
    if (entry.after === 0 || !entry.firstSeen) continue;
    const ratio = (entry.after + 1) / (nAfter + 1) / ((entry.before + 1) / (nBefore + 1));
    const novelty = entry.before === 0 ? 'new' : ratio >= minRatio && entry.after >= 3 ? 'spiking' : undefined;
    if (!novelty) continue;
    const template = miner.template(id) ?? '';
    const signature = signatureOf(template);
    findings.push({
      template,
      count: entry.after,
      baseline: entry.before,
      ratio: Math.round(ratio * 100) / 100,
      novelty,
      firstSeen: entry.firstSeen,
      example: entry.example ?? template,
      kind: signature?.kind,
      label: signature?.label,
      direct: signature?.direct,
    });
  }
  return findings.sort((a, b) => b.count - a.count || a.template.localeCompare(b.template));
}
