import { Masker, type MaskRule, PARAM } from './masking.ts';

/**
 * Drain-style online log template miner (He et al., "Drain: An Online Log Parsing Approach with
 * Fixed Depth Tree", ICWS 2017).
 *
 * Each message is masked (numbers, hex, IPs, paths, UUIDs, durations, key=value values → `<*>`),
 * split on whitespace, and routed through a fixed-depth parse tree: the first layer is keyed by
 * the token count, the next `depth - 2` layers by the leading tokens (a token with a digit, or a
 * full node, routes to the `<*>` child). The leaf holds a short list of clusters; the message joins
 * the most similar one (share of positions where the template token equals the message token,
 * `<*>`/`<*>` counting as equal) if the similarity is at least `similarity`, and the template
 * becomes `<*>` wherever they differ. Otherwise it starts a new cluster.
 *
 * Memory is bounded: at most `maxClusters` clusters are kept; past that the least recently used
 * cluster is evicted (removed from its leaf; `onEvict` is told). A line that would have joined an
 * evicted cluster starts a new one. Cluster ids are never reused. Memory besides clusters is the
 * tree, whose leaves are bounded by the clusters and whose inner nodes by `maxChildren` per node.
 */
export interface TemplateMinerOptions {
  /** Tree depth counting the root and the length layer (Drain's default 4 → 2 token layers). */
  depth?: number;
  /** Similarity threshold in [0, 1]; default 0.7 (tuned on Loghub-2k: with masked tokens counting as equal, 0.4–0.6 over-merges OpenSSH). */
  similarity?: number;
  /** Children per inner node before tokens share the `<*>` child; default 100. */
  maxChildren?: number;
  /** Most clusters kept (LRU eviction past it); default 20,000. */
  maxClusters?: number;
  /** Replace the default mask rules. */
  masks?: readonly MaskRule[];
  /** Extra mask regexes, applied before the defaults. */
  extraMasks?: readonly (RegExp | string)[];
  /**
   * After masking, a token that still holds a digit (e.g. `blk_-123`, `job_1445_0020`, `host-41.corp`)
   * is treated as a parameter. Default true.
   */
  digitTokensAreParams?: boolean;
  /** Called with a cluster being evicted. */
  onEvict?: (cluster: { id: number; template: string; count: number }) => void;
}

export interface AddResult {
  clusterId: number;
  template: string;
  isNew: boolean;
  /** True when the cluster's template changed with this line (or is new). */
  changed: boolean;
}

export interface TemplateInfo {
  id: number;
  template: string;
  count: number;
}

interface Cluster {
  id: number;
  tokens: string[];
  count: number;
  leaf: TreeNode;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  clusters: Cluster[];
}

const newNode = (): TreeNode => ({ children: new Map(), clusters: [] });
const HAS_DIGIT = /\d/;

export function tokenize(masked: string): string[] {
  const trimmed = masked.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

export class TemplateMiner {
  private readonly tokenLayers: number;
  private readonly similarity: number;
  private readonly maxChildren: number;
  private readonly maxClusters: number;
  private readonly masker: Masker;
  private readonly onEvict: TemplateMinerOptions['onEvict'];
  private readonly digitTokensAreParams: boolean;
  private readonly root = new Map<number, TreeNode>();
  /** Insertion order = recency order (oldest first): a touched cluster is deleted and re-set. */
  private readonly clusters = new Map<number, Cluster>();
  private nextId = 1;

  constructor(options: TemplateMinerOptions = {}) {
    const depth = options.depth ?? 4;
    if (!Number.isInteger(depth) || depth < 3) throw new RangeError('depth must be an integer ≥ 3');
    this.tokenLayers = depth - 2;
    this.similarity = options.similarity ?? 0.7;
    this.maxChildren = Math.max(2, options.maxChildren ?? 100);
    this.maxClusters = Math.max(1, options.maxClusters ?? 20_000);
    this.masker = new Masker({ ...(options.masks ? { rules: options.masks } : {}), extra: options.extraMasks ?? [] });
    this.onEvict = options.onEvict;
    this.digitTokensAreParams = options.digitTokensAreParams ?? true;
  }

  private tokens(content: string): string[] {
    const tokens = tokenize(this.masker.mask(content));
    if (this.digitTokensAreParams)
      for (let i = 0; i < tokens.length; i++) if (HAS_DIGIT.test(tokens[i] as string)) tokens[i] = PARAM;
    return tokens;
  }

  /** Masks the message as this miner would (for display or debugging). */
  mask(content: string): string {
    return this.masker.mask(content);
  }

  add(content: string): AddResult {
    const tokens = this.tokens(content);
    const leaf = this.leafFor(tokens);
    const match = this.bestMatch(leaf, tokens);
    if (match) {
      let changed = false;
      const t = match.tokens;
      for (let i = 0; i < t.length; i++) {
        if (t[i] !== tokens[i] && t[i] !== PARAM) {
          t[i] = PARAM;
          changed = true;
        }
      }
      match.count++;
      this.clusters.delete(match.id);
      this.clusters.set(match.id, match);
      return { clusterId: match.id, template: t.join(' '), isNew: false, changed };
    }
    const cluster: Cluster = { id: this.nextId++, tokens, count: 1, leaf };
    leaf.clusters.push(cluster);
    this.clusters.set(cluster.id, cluster);
    if (this.clusters.size > this.maxClusters) this.evictOldest();
    return { clusterId: cluster.id, template: tokens.join(' '), isNew: true, changed: true };
  }

  /** The cluster a message would join, without changing anything; undefined if none. */
  match(content: string): TemplateInfo | undefined {
    const tokens = this.tokens(content);
    const leaf = this.findLeaf(tokens);
    const cluster = leaf ? this.bestMatch(leaf, tokens) : undefined;
    return cluster ? info(cluster) : undefined;
  }

  template(clusterId: number): string | undefined {
    return this.clusters.get(clusterId)?.tokens.join(' ');
  }

  /** Live clusters in creation order. */
  templates(): TemplateInfo[] {
    return [...this.clusters.values()].sort((a, b) => a.id - b.id).map(info);
  }

  get size(): number {
    return this.clusters.size;
  }

  private evictOldest(): void {
    const oldest = this.clusters.values().next().value;
    if (!oldest) return;
    this.clusters.delete(oldest.id);
    const list = oldest.leaf.clusters;
    const index = list.indexOf(oldest);
    if (index >= 0) list.splice(index, 1);
    this.onEvict?.(info(oldest));
  }

  private bestMatch(leaf: TreeNode, tokens: string[]): Cluster | undefined {
    let best: Cluster | undefined;
    let bestSim = -1;
    let bestParams = -1;
    const n = tokens.length;
    for (const cluster of leaf.clusters) {
      const t = cluster.tokens;
      let same = 0;
      let params = 0;
      for (let i = 0; i < n; i++) {
        const a = t[i];
        if (a === PARAM) params++;
        if (a === tokens[i]) same++;
      }
      const sim = n === 0 ? 1 : same / n;
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = cluster;
        bestSim = sim;
        bestParams = params;
      }
    }
    return best && bestSim >= this.similarity ? best : undefined;
  }

  private findLeaf(tokens: string[]): TreeNode | undefined {
    let node = this.root.get(tokens.length);
    const layers = Math.min(this.tokenLayers, tokens.length);
    for (let i = 0; i < layers && node; i++) {
      const token = routeToken(tokens[i] ?? '');
      node = node.children.get(token) ?? node.children.get(PARAM);
    }
    return node;
  }

  private leafFor(tokens: string[]): TreeNode {
    let node: TreeNode = this.root.get(tokens.length) ?? newNode();
    this.root.set(tokens.length, node);
    const layers = Math.min(this.tokenLayers, tokens.length);
    for (let i = 0; i < layers; i++) {
      let key = routeToken(tokens[i] ?? '');
      let child: TreeNode | undefined = node.children.get(key);
      if (!child) {
        const wildcard = node.children.get(PARAM);
        // Keep one slot for the wildcard child; a full node sends new tokens there.
        if (node.children.size >= this.maxChildren - (wildcard ? 0 : 1)) key = PARAM;
        child = node.children.get(key);
        if (!child) {
          child = newNode();
          node.children.set(key, child);
        }
      }
      node = child;
    }
    return node;
  }
}

function routeToken(token: string): string {
  return HAS_DIGIT.test(token) ? PARAM : token;
}

function info(cluster: Cluster): TemplateInfo {
  return { id: cluster.id, template: cluster.tokens.join(' '), count: cluster.count };
}
