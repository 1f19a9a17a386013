import type { RcaLogLine } from './log-evidence.ts';
import type { RcaSeries } from './rank-hypotheses.ts';

/** Labels whose values name where a series ran: a node, a host, a pod. */
const PLACE_LABELS =
  /^(node|nodename|node_name|kubernetes_node|kubernetes_host|host|hostname|host_name|instance_name|pod|pod_name|exported_pod|kubernetes_pod_name)$/i;

/**
 * Where a deployment runs, as its series' labels and its log lines show: node and pod names. A node
 * or GPU health event is the deployment's when it names one of these places; a health event on a
 * node that appears nowhere in the deployment's labels or logs concerns someone else.
 */
export class Placement {
  private readonly labelled = new Set<string>();
  private readonly logWords = new Set<string>();

  constructor(deployment: string, series: readonly RcaSeries[], logs: readonly RcaLogLine[]) {
    for (const s of series) {
      if (s.deployment !== deployment || !s.labels) continue;
      for (const [label, value] of Object.entries(s.labels)) if (PLACE_LABELS.test(label)) this.labelled.add(value.toLowerCase());
    }
    // Log lines name their host in shipper metadata (`"host":"gpu-node-07"`), Loki labels, NCCL's `host:pid:tid` prefix.
    for (const line of logs)
      for (const word of (line.raw ?? line.message).toLowerCase().split(/[\s"'{}[\](),=:;|<>]+/)) {
        const w = word.replace(/\.+$/, '');
        if (w.length > 2 && /[-.]/.test(w)) this.logWords.add(w);
      }
  }

  /** Whether the deployment is known to run in any of these places (node or pod names, compared whole and case-blind). */
  runsOn(places: readonly string[]): boolean {
    return places.some((p) => {
      const place = p.toLowerCase();
      return this.labelled.has(place) || this.logWords.has(place);
    });
  }
}
