import type { Deployment } from './fleet.ts';
import type { Random } from './random.ts';

/**
 * How teams' tools record changes and health events: the `kind` words (a CD system says
 * "rollout" or "sync", an audit log "config_change", node-problem-detector "node_condition"),
 * the description wording, and how a target names a deployment or a node.
 */
export const DEPLOY_KINDS: ReadonlyArray<readonly [string, number]> = [
  ['deploy', 4],
  ['deployment', 2],
  ['rollout', 2],
  ['release', 1],
  ['deployment_change', 2],
  ['image_update', 1],
  ['argocd_sync', 1],
];
export const CONFIG_KINDS: ReadonlyArray<readonly [string, number]> = [
  ['config_change', 4],
  ['config', 2],
  ['configmap_update', 1],
  ['flag_change', 1],
  ['helm_values', 1],
];
export const SCALE_KINDS: ReadonlyArray<readonly [string, number]> = [
  ['scale', 3],
  ['scaling', 1],
  ['hpa', 1],
  ['autoscale', 1],
  ['replicas_changed', 1],
];
export const ALERT_KINDS: ReadonlyArray<readonly [string, number]> = [
  ['alert', 4],
  ['alert_firing', 1],
  ['alertmanager', 1],
];

export function deployDescription(r: Random, d: Deployment, from: string, to: string): string {
  return r.pick([
    `deploy ${d.name} ${to} (was ${from})`,
    `Rolled out ${d.name}: image vllm/vllm-openai:${to} (previous ${from})`,
    `ArgoCD sync ${d.name} to ${r.hex(7)} (bump serving image to ${to})`,
    `helm upgrade ${d.name} --set image.tag=${to}`,
    `Release ${to} of ${d.name} by ${r.pick(['alice', 'bob', 'ci-bot', 'deploy-pipeline', 'jdoe'])}`,
    `${d.name}: new revision ${r.int(20, 400)} (${from} → ${to})`,
  ]);
}

export function rollbackDescription(r: Random, d: Deployment, to: string): string {
  return r.pick([
    `rollback ${d.name} to ${to}`,
    `Rolled back ${d.name} to ${to}`,
    `kubectl rollout undo deployment/${d.name} (back to ${to})`,
  ]);
}

/** A routine, harmless change of a deployment: what decoys say. */
export function routineChange(r: Random, d: Deployment): { kind: string; description: string } {
  const v = `v${r.int(1, 40)}.${r.int(0, 12)}.${r.int(0, 9)}`;
  return r.weighted<{ kind: string; description: string }>([
    [{ kind: r.weighted(DEPLOY_KINDS), description: deployDescription(r, d, d.version, v) }, 4],
    [
      {
        kind: r.weighted(CONFIG_KINDS),
        description: r.pick([
          `set max_num_seqs ${d.params.slots} → ${d.params.slots * 2} on ${d.name}`,
          `${d.name}: enable request logging`,
          `${d.name}: update chat template (add tool-use examples)`,
          `raise ${d.name} timeout_keep_alive 5 → 30`,
          `${d.name}: --max-log-len 200`,
          `update ${d.name} pod annotations (cost-center)`,
        ]),
      },
      3,
    ],
    [
      {
        kind: r.weighted(SCALE_KINDS),
        description: r.pick([
          `scale ${d.name} from ${d.replicas} to ${d.replicas + 1} replicas`,
          `HPA scaled ${d.name} from ${d.replicas} to ${d.replicas + 1}`,
          `kubectl scale deployment/${d.name} --replicas=${d.replicas + 1}`,
        ]),
      },
      2,
    ],
  ]);
}

/** A change somewhere in the platform that is not a serving deployment. */
export function platformChange(r: Random): { kind: string; target: string; description: string } {
  return r.pick([
    { kind: 'config_change', target: 'monitoring', description: 'update Prometheus recording rules (vllm latency quantiles)' },
    { kind: 'deploy', target: 'ingress-nginx', description: 'deploy ingress-nginx controller v1.11.3 (was v1.11.2)' },
    { kind: 'config_change', target: 'cert-manager', description: 'rotate TLS certificates for *.internal' },
    { kind: 'deploy', target: 'kube-system/node-exporter', description: 'bump node-exporter to 1.8.2' },
    { kind: 'deploy', target: 'grafana', description: 'deploy grafana 11.2.0' },
    { kind: 'config_change', target: 'logging/fluent-bit', description: 'fluent-bit: add kubernetes metadata filter' },
    { kind: 'scale', target: 'batch-embeddings', description: 'scale batch-embeddings from 2 to 6 workers' },
  ]);
}

export function deploymentTarget(style: number, name: string, namespace: string): string {
  switch (style % 5) {
    case 0:
      return name;
    case 1:
      return `${name}/prod`;
    case 2:
      return `deployment/${name}`;
    case 3:
      return `${namespace}/${name}`;
    default:
      return `${name}@${namespace}`;
  }
}

/** A node or GPU health event as node-problem-detector, DCGM or the kernel log report it. */
export function healthEvent(
  r: Random,
  node: string,
  gpu: number,
  what: 'xid_lost' | 'xid_ecc' | 'ecc' | 'nvlink' | 'thermal' | 'not_ready' | 'memory_pressure' | 'disk_pressure',
): { kind: string; target: string; description: string } {
  const target = r.pick([node, `node/${node}`, `${node}/gpu${gpu}`, `${node}:GPU-${r.hex(8)}-${r.hex(4)}`]);
  const pci = `0000:${r.pick(['3b', '5e', '86', 'af', '18'])}:00`;
  switch (what) {
    case 'xid_lost':
      return r.pick([
        {
          kind: r.pick(['xid', 'gpu_xid', 'kernel']),
          target,
          description: `NVRM: Xid (PCI:${pci}): 79, pid=${r.int(1000, 40000)}, GPU has fallen off the bus.`,
        },
        {
          kind: 'node_condition',
          target: `node/${node}`,
          description: `GPUXidError on ${node}: Xid 79 reported by node-problem-detector`,
        },
        {
          kind: r.pick(['dcgm_health', 'gpu_health']),
          target,
          description: `DCGM_FI_DEV_XID_ERRORS=79 on GPU ${gpu} of ${node}`,
        },
      ]);
    case 'xid_ecc':
      return {
        kind: r.pick(['xid', 'gpu_xid', 'nvidia_xid']),
        target,
        description: `NVRM: Xid (PCI:${pci}): ${r.pick([48, 94, 95, 63])}, pid=${r.int(1000, 40000)}, ${r.pick(['An uncorrectable double bit error (DBE) has been detected on GPU.', 'Uncontained ECC error.', 'Row remapping event.'])}`,
      };
    case 'ecc':
      return {
        kind: r.pick(['dcgm_health', 'gpu_health', 'dcgm']),
        target,
        description: r.pick([
          `DCGM health check failed on ${node} GPU ${gpu}: DCGM_HEALTH_WATCH_MEM: Volatile double-bit ECC error`,
          `GPU ${gpu} on ${node}: dcgmi health -c: Fail (Memory: pending page retirements)`,
        ]),
      };
    case 'nvlink':
      return r.pick([
        {
          kind: r.pick(['dcgm_health', 'gpu_health']),
          target,
          description: `DCGM_HEALTH_WATCH_NVLINK failed on ${node}: NVLink error counter increased (link 3)`,
        },
        {
          kind: 'xid',
          target,
          description: `NVRM: Xid (PCI:${pci}): 74, pid=${r.int(1000, 40000)}, NVLink: fatal error detected on link 3`,
        },
      ]);
    case 'thermal':
      return {
        kind: r.pick(['dcgm_health', 'gpu_health', 'dcgm']),
        target,
        description: r.pick([
          `DCGM_HEALTH_WATCH_THERMAL warning on ${node} GPU ${gpu}: thermal violation, clocks throttled for ${r.int(30, 300)} s`,
          `GPU ${gpu} on ${node} throttled: HW slowdown (temperature ${r.int(88, 97)} C)`,
        ]),
      };
    case 'not_ready':
      return {
        kind: r.pick(['node_condition', 'k8s_event', 'node_event']),
        target: r.pick([node, `node/${node}`]),
        description: r.pick([
          `Node ${node} status is now: NodeNotReady`,
          `Ready=False on ${node}: Kubelet stopped posting node status`,
          `NodeNotReady: ${node} (container runtime is down)`,
        ]),
      };
    case 'memory_pressure':
      return {
        kind: r.pick(['node_condition', 'k8s_event', 'node_event']),
        target: r.pick([node, `node/${node}`]),
        description: r.pick([`MemoryPressure=True on ${node}`, `Node ${node} status is now: NodeHasInsufficientMemory`]),
      };
    case 'disk_pressure':
      return {
        kind: r.pick(['node_condition', 'k8s_event']),
        target: r.pick([node, `node/${node}`]),
        description: `DiskPressure=True on ${node}`,
      };
  }
}
