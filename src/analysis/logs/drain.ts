import { Masker, type MaskRule } from './masking.ts';
import { mergeVariablePositions } from './merge.ts';
import {
  copyText,
  KEY_TRIE_DEPTH,
  type KeyNode,
  KeyTrie,
  keyNode,
  messageKey,
  quickKeyNode,
  routeKeys,
  type TextSource,
  tokensFromKey,
  type VariableTexts,
} from './message-keys.ts';
import { DEFAULT_MINER_PARAMETERS, type MinerParameters } from './parameters.ts';
import { Recency } from './recency.ts';
import { type MessageTokens, PARAM, readsAsWord, type TokenizerOptions, tokenizeMessage, widenShape } from './tokens.ts';

/**
 * Drain-style online log template miner (He et al., "Drain: An Online Log Parsing Approach with
 * Fixed Depth Tree", ICWS 2017), with token classes instead of per-dataset masks.
 *
 * Each message is split into tokens by `tokenizeMessage`: a variable-looking token (digits, hex,
 * paths, URLs, `key=value` values, quoted strings, dates, …) keeps its literal text and gets a shape
 * such as `<*>` or `(uid=<*>)`. Messages are routed through a fixed-depth parse tree: the first
 * layer is keyed by the token count, the next `depth - 2` layers by the leading tokens (a variable
 * token by its shape, a full node to the `<*>` child). A message is compared with the clusters of
 * the leaves it can reach (its own tokens' path, or the `<*>` child at each layer) and joins the
 * most similar one (share of positions where the template token equals the message token, two
 * variable tokens of the same shape counting as equal) if the similarity is at least `similarity`;
 * the template becomes `<*>` wherever they differ. Otherwise it starts a new cluster.
 *
 * Clusters that differ only in one position whose values vary across at least `mergeDistinct`
 * clusters are then merged, that position becoming a `<*>` that accepts any token
 * (`mergeVariablePositions`): a word that takes many values is a parameter even without digits
 * (user names, component names), while a word with few values (`HTTPS` / `SOCKS5`) stays a
 * constant that separates events. Merging runs when templates or final ids are read, and while
 * streaming whenever as many clusters were created as are live (at least 1,024), so a word
 * parameter stops creating clusters. `resolve(id)` maps an id `add` returned to its final cluster.
 *
 * Lines of one shape mostly land where the previous line of that shape did. Such an outcome is
 * remembered, keyed by the message's tree keys (constants as written, variables by their shape),
 * when it changed nothing: the next line with those keys joins the same cluster at once, provided
 * no cluster of its token count has changed since and, wherever a candidate cluster still holds a
 * literal for one of its variables (the only places where the full comparison reads a variable's
 * text), its text equals the same one of those literals as the remembered line's did. The outcome
 * is the one the full comparison gives.
 *
 * Memory is bounded: at most `maxClusters` clusters are kept; past that the least recently used
 * cluster is evicted (removed from its leaf; `onEvict` is told). A line that would have joined an
 * evicted cluster starts a new one. Cluster ids are never reused. Memory besides clusters is the
 * tree, whose leaves are bounded by the clusters and whose inner nodes by `maxChildren` per node,
 * and one map entry per merged-away cluster (so that every id `add` returned still resolves).
 */
export interface TemplateMinerOptions extends TokenizerOptions {
  /** Tree depth counting the root and the length layer (Drain's default 4 → 2 token layers). */
  depth?: number;
  /** Similarity threshold in [0, 1]; default `DEFAULT_MINER_PARAMETERS.similarity`. */
  similarity?: number;
  /**
   * Clusters that differ in one position only are merged when that position has at least this
   * many distinct values among them; 0 turns merging off. Default `DEFAULT_MINER_PARAMETERS.mergeDistinct`.
   */
  mergeDistinct?: number;
  /** Children per inner node before tokens share the `<*>` child; default 100. */
  maxChildren?: number;
  /** Most clusters kept (LRU eviction past it); default 20,000. */
  maxClusters?: number;
  /** Regex masks applied to the message before tokenising (each match becomes `<*>`). */
  masks?: readonly MaskRule[];
  /** Extra mask regexes (e.g. `--mask`), applied first. */
  extraMasks?: readonly (RegExp | string)[];
  /**
   * Variable-looking tokens (digits, hex, paths, `key=value` values, …) match each other and are
   * shown as `<*>`. Default true; false compares every token literally (plain Drain).
   */
  digitTokensAreParams?: boolean;
  /**
   * Remember where lines of one shape went (see the class comment). Default true; false compares
   * every line with its candidate clusters in full: the same outcomes, slower (the reference the
   * tests hold the shortcut to).
   */
  rememberOutcomes?: boolean;
  /** Called with a cluster being evicted. */
  onEvict?: (cluster: { id: number; template: string; count: number }) => void;
}

export { DEFAULT_MINER_PARAMETERS, type MinerParameters };

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

/**
 * One template position: `text` is the literal every line had there (undefined once lines
 * differed); `shape` is set for a variable-looking position (`<*>`, `(uid=<*>)`); `wild[i]` marks a
 * position merged as a parameter because it took many values, which then accepts any token.
 */
export interface Cluster {
  id: number;
  texts: (string | undefined)[];
  shapes: (string | undefined)[];
  wild?: boolean[];
  count: number;
  leaf: TreeNode;
  /** When the cluster was last created or joined (a counter of such events). */
  lastUse: number;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  clusters: Cluster[];
}

/** A line that joined `cluster` without changing it, while clusters of its length were at `version`. */
interface Remembered {
  cluster: Cluster;
  version: number;
  /** Where a variable's text takes part in the outcome (see `textChecks`); undefined if nowhere. */
  checks: TextCheck[] | undefined;
}

/**
 * A variable position where candidate clusters hold `literals`: a line of the same keys has the
 * remembered outcome only if its text there equals the same one of them (`equals`; -1: none).
 */
interface TextCheck {
  position: number;
  /** The position counted among the message's variable tokens only. */
  variable: number;
  literals: string[];
  equals: number;
}

/** Remembered outcomes kept at most (the map is emptied when full), and the longest key remembered. */
const REMEMBER_MAX = 1 << 14;
const REMEMBER_KEY_CHARS = 1 << 14;

const newNode = (): TreeNode => ({ children: new Map(), clusters: [] });

/** Clusters created between two merge passes: at least this many, and at least the live count. */
const MERGE_EVERY = 1024;

/** Whitespace tokens of an already masked message. */
export function tokenize(masked: string): string[] {
  const trimmed = masked.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

/**
 * The display template of a cluster: constants as written, `<*>` shapes for variable positions.
 * A variable-looking token that every line of the cluster shared is shown as written when it reads
 * as a name: a word with one trailing digit (`SOCKS5`, `ssh2`), or, once two lines or more agree
 * on it, a whole token without digits (a logger or class name, a quoted name; not a `key=value`).
 */
export function templateText(cluster: Pick<Cluster, 'texts' | 'shapes' | 'count'>): string {
  let out = '';
  for (let i = 0; i < cluster.texts.length; i++) {
    const text = cluster.texts[i];
    const shape = cluster.shapes[i];
    const asWritten =
      shape === undefined ||
      (text !== undefined &&
        (readsAsWord(text) || (cluster.count > 1 && !HAS_DIGIT.test(text) && WHOLE_TOKEN_SHAPE.test(shape))));
    const shown = asWritten ? text : shape;
    out += i === 0 ? shown : ` ${shown}`;
  }
  return out;
}

const HAS_DIGIT = /\d/;
/** A shape where the whole token is the value (`<*>`, `'<*>'`, `(<*>)`), not a `key=<*>`. */
const WHOLE_TOKEN_SHAPE = /^[^A-Za-z0-9]*<\*>[^A-Za-z0-9]*$/;

export class TemplateMiner {
  private readonly tokenLayers: number;
  private readonly similarity: number;
  private readonly mergeDistinct: number;
  private readonly maxChildren: number;
  private readonly maxClusters: number;
  private readonly masker: Masker | undefined;
  private readonly tokenizer: TokenizerOptions;
  private readonly onEvict: TemplateMinerOptions['onEvict'];
  private readonly classify: boolean;
  private readonly remember: boolean;
  private readonly root = new Map<number, TreeNode>();
  /** Live clusters by id. */
  private readonly clusters = new Map<number, Cluster>();
  /** Recency for LRU eviction. */
  private readonly recency = new Recency<Cluster>((cluster) => this.clusters.get(cluster.id) === cluster);
  /** Merged-away cluster id → the id it was merged into. */
  private readonly mergedInto = new Map<number, number>();
  private dirty = false;
  private createdSinceMerge = 0;
  private nextId = 1;
  /** Tree keys joined by `\n` → the outcome of the last line with them that changed nothing. */
  private readonly remembered = new Map<string, Remembered>();
  /** Per token count, bumped whenever a cluster of that count is created, widened, evicted or merged. */
  private readonly versions: number[] = [];
  /** Whether the last `place` widened the cluster it joined. */
  private lastChanged = false;
  /** The variable texts `quickKeyNode` found in the last message (reused). */
  private readonly variables: VariableTexts = { texts: [], count: 0 };
  /** Keys of the messages seen, by their parts (see KeyTrie). */
  private readonly keys = new KeyTrie();

  constructor(options: TemplateMinerOptions = {}) {
    const depth = options.depth ?? DEFAULT_MINER_PARAMETERS.depth;
    if (!Number.isInteger(depth) || depth < 3) throw new RangeError('depth must be an integer ≥ 3');
    this.tokenLayers = depth - 2;
    this.similarity = options.similarity ?? DEFAULT_MINER_PARAMETERS.similarity;
    this.mergeDistinct = options.mergeDistinct ?? DEFAULT_MINER_PARAMETERS.mergeDistinct;
    this.maxChildren = Math.max(2, options.maxChildren ?? 100);
    this.maxClusters = Math.max(1, options.maxClusters ?? 20_000);
    const extra = options.extraMasks ?? [];
    this.masker = options.masks?.length || extra.length ? new Masker({ rules: options.masks ?? [], extra }) : undefined;
    this.tokenizer = {
      attachedColonValues: options.attachedColonValues ?? DEFAULT_MINER_PARAMETERS.attachedColonValues,
      dottedNames: options.dottedNames ?? DEFAULT_MINER_PARAMETERS.dottedNames,
      quotedValues: options.quotedValues ?? DEFAULT_MINER_PARAMETERS.quotedValues,
      collapseRuns: options.collapseRuns ?? DEFAULT_MINER_PARAMETERS.collapseRuns,
    };
    this.onEvict = options.onEvict;
    this.classify = options.digitTokensAreParams ?? true;
    this.remember = options.rememberOutcomes ?? true;
  }

  private tokens(content: string): MessageTokens {
    const text = this.masker ? this.masker.mask(content) : content;
    if (this.classify) return tokenizeMessage(text, this.tokenizer);
    const texts = tokenize(text);
    return { texts, shapes: texts.map((t) => (t.includes(PARAM) ? t : undefined)) };
  }

  /** Masks the message as this miner sees it (variable-looking tokens shown by their shape). */
  mask(content: string): string {
    const { texts, shapes } = this.tokens(content);
    return texts.map((text, i) => shapes[i] ?? text).join(' ');
  }

  add(content: string): AddResult {
    return this.addTokens(this.tokens(content));
  }

  /** Adds a message like `add` and returns only its cluster id (no template text is built). */
  assign(content: string): number {
    // A line of a remembered shape needs only its key (and the texts the checks read).
    if (this.remember && this.classify && this.masker === undefined) {
      const node = quickKeyNode(content, this.tokenizer, this.variables, this.keys);
      const known = node === undefined ? undefined : this.remembered.get(node.prefix);
      if (known !== undefined && this.recalls(known) && agreesVariables(known, this.variables)) {
        this.touch(known.cluster);
        this.lastChanged = false;
        return known.cluster.id;
      }
    }
    const id = this.place(this.tokens(content)).id;
    this.mergeIfDue();
    return id;
  }

  /**
   * Splits a message into its key, a node of `keys`, and its variable texts (`quickKeyNode`, else
   * the tokens), for the tokenizing workers.
   */
  keyOf(content: string, variables: VariableTexts, keys: KeyTrie): KeyNode {
    if (this.classify && this.masker === undefined) {
      const node = quickKeyNode(content, this.tokenizer, variables, keys);
      if (node !== undefined) return node;
    }
    const tokens = this.tokens(content);
    variables.count = 0;
    for (let i = 0; i < tokens.texts.length; i++)
      if (tokens.shapes[i] !== undefined) variables.texts[variables.count++] = tokens.texts[i] as string;
    // A very long message is keyed whole, outside the trie.
    if (tokens.texts.length > KEY_TRIE_DEPTH) return keyNode(messageKey(tokens), '');
    let node = keys.start();
    for (let i = 0; i < tokens.texts.length; i++) node = keys.child(node, tokens.shapes[i] ?? (tokens.texts[i] as string));
    return node;
  }

  /** Splits a message as `add` would (for callers that add the same messages to many miners). */
  tokenize(content: string): MessageTokens {
    return this.tokens(content);
  }

  /** Adds a message already split by `tokenize` (with the same tokenizer options); not modified. */
  addTokens(tokens: MessageTokens): AddResult {
    const before = this.nextId;
    const cluster = this.place(tokens);
    const isNew = cluster.id >= before;
    const result = { clusterId: cluster.id, template: templateText(cluster), isNew, changed: isNew || this.lastChanged };
    this.mergeIfDue();
    return result;
  }

  /** Merge now and then while streaming, so that a word parameter stops creating clusters. */
  private mergeIfDue(): void {
    if (this.createdSinceMerge >= Math.max(MERGE_EVERY, this.clusters.size)) this.mergeNow();
  }

  /**
   * Adds a message given as `messageKey(tokens)` and `variableTexts(tokens)` (tokens split by a
   * miner with the same options, e.g. on another thread), the latter as `source.slice(from, to)`
   * (read only when needed); returns its cluster id as `assign` does.
   */
  assignKeyed(key: string, source: TextSource, from = 0, to = source.length): number {
    const known = this.remember ? this.remembered.get(key) : undefined;
    if (
      known !== undefined &&
      this.recalls(known) &&
      (known.checks === undefined || agreesKeyed(known, source.slice(from, to)))
    ) {
      this.touch(known.cluster);
      this.lastChanged = false;
      return known.cluster.id;
    }
    const tokens = tokensFromKey(key, source.slice(from, to));
    const id = this.placeInFull(tokens, routeKeys(tokens.texts, tokens.shapes), key).id;
    this.mergeIfDue();
    return id;
  }

  /** The cluster a message joins (widened to cover it) or starts. */
  private place(tokens: MessageTokens): Cluster {
    const keys = routeKeys(tokens.texts, tokens.shapes);
    const key = this.remember ? keys.join('\n') : '';
    const known = this.remember ? this.remembered.get(key) : undefined;
    if (known !== undefined && this.recalls(known) && agrees(known, tokens.texts)) {
      this.touch(known.cluster);
      this.lastChanged = false;
      return known.cluster;
    }
    return this.placeInFull(tokens, keys, key);
  }

  /** True while no cluster of the remembered line's token count has changed. */
  private recalls(known: Remembered): boolean {
    return known.version === (this.versions[known.cluster.texts.length] ?? 0);
  }

  /** `place` by comparing the message with its candidate clusters; remembers an outcome that changed nothing. */
  private placeInFull(tokens: MessageTokens, keys: string[], key: string): Cluster {
    const { texts, shapes } = tokens;
    const n = texts.length;
    const version = this.versions[n] ?? 0;
    const match = this.bestMatch(tokens, keys);
    if (match) {
      const changed = generalize(match, tokens);
      this.touch(match);
      this.lastChanged = changed;
      if (changed) {
        this.dirty = true;
        this.versions[n] = version + 1;
      } else if (this.remember && key.length <= REMEMBER_KEY_CHARS) {
        if (this.remembered.size >= REMEMBER_MAX) this.remembered.clear();
        this.remembered.set(key, { cluster: match, version, checks: this.textChecks(keys, tokens, match) });
      }
      return match;
    }
    const leaf = this.leafFor(keys);
    const cluster: Cluster = { id: this.nextId++, texts: texts.map(copyText), shapes: [...shapes], count: 0, leaf, lastUse: 0 };
    leaf.clusters.push(cluster);
    this.clusters.set(cluster.id, cluster);
    this.touch(cluster);
    this.versions[n] = version + 1;
    this.dirty = true;
    this.lastChanged = true;
    if (this.clusters.size > this.maxClusters) this.evictOldest();
    this.createdSinceMerge++;
    return cluster;
  }

  /** Counts a line for `cluster` and makes it the most recently used. */
  private touch(cluster: Cluster): void {
    cluster.count++;
    this.recency.use(cluster, this.clusters.size);
  }

  /** The cluster a message would join, without changing anything; undefined if none. */
  match(content: string): TemplateInfo | undefined {
    this.mergeNow();
    const tokens = this.tokens(content);
    const cluster = this.bestMatch(tokens, routeKeys(tokens.texts, tokens.shapes));
    return cluster ? info(cluster) : undefined;
  }

  /** The final cluster id of an id `add` returned (after merging clusters of variable words). */
  resolve(clusterId: number): number {
    this.mergeNow();
    let id = clusterId;
    for (let next = this.mergedInto.get(id); next !== undefined; next = this.mergedInto.get(id)) id = next;
    return id;
  }

  template(clusterId: number): string | undefined {
    const cluster = this.clusters.get(this.resolve(clusterId));
    return cluster ? templateText(cluster) : undefined;
  }

  /** Live clusters in creation order (after merging). */
  templates(): TemplateInfo[] {
    this.mergeNow();
    return [...this.clusters.values()].sort((a, b) => a.id - b.id).map(info);
  }

  get size(): number {
    return this.clusters.size;
  }

  /** Merges clusters that differ only in a position of many values (see the class comment). */
  private mergeNow(): void {
    this.createdSinceMerge = 0;
    if (!this.dirty || this.mergeDistinct < 2) return;
    this.dirty = false;
    const merges = mergeVariablePositions([...this.clusters.values()], this.mergeDistinct);
    if (merges.length === 0) return;
    this.remembered.clear();
    for (const [from] of merges) {
      const n = this.clusters.get(from)?.texts.length;
      if (n !== undefined) this.versions[n] = (this.versions[n] ?? 0) + 1;
    }
    const survivors = new Set<number>();
    for (const [from, into] of merges) {
      const gone = this.clusters.get(from);
      if (!gone) continue;
      this.clusters.delete(from);
      removeFromLeaf(gone);
      this.mergedInto.set(from, into);
      survivors.add(into);
    }
    // A survivor's merged position routes through the tree's `<*>` child from now on.
    for (const id of survivors) {
      const cluster = this.clusters.get(id);
      if (!cluster) continue;
      removeFromLeaf(cluster);
      cluster.leaf = this.leafFor(routeKeys(cluster.texts, cluster.shapes).map((key, i) => (cluster.wild?.[i] ? PARAM : key)));
      cluster.leaf.clusters.push(cluster);
    }
  }

  private evictOldest(): void {
    const oldest = this.recency.takeOldest();
    if (!oldest) return;
    this.clusters.delete(oldest.id);
    removeFromLeaf(oldest);
    const n = oldest.texts.length;
    this.versions[n] = (this.versions[n] ?? 0) + 1;
    this.onEvict?.(info(oldest));
  }

  /**
   * The most similar cluster among the leaves the message can reach (its own tokens, or the `<*>`
   * child at each token layer), if similar enough; ties go to the cluster with more parameters,
   * then to the one found first.
   */
  private bestMatch(tokens: MessageTokens, keys: string[]): Cluster | undefined {
    let best: Cluster | undefined;
    let bestSim = -1;
    let bestParams = -1;
    const { texts, shapes } = tokens;
    const n = texts.length;
    for (const leaf of this.candidateLeaves(keys)) {
      for (const cluster of leaf.clusters) {
        let same = 0;
        let params = 0;
        const wild = cluster.wild;
        for (let i = 0; i < n; i++) {
          const text = cluster.texts[i];
          const shape = cluster.shapes[i];
          if (text !== undefined) {
            if (text === texts[i] || (shape !== undefined && shape === shapes[i])) same++;
            continue;
          }
          params++;
          // A widened position takes variables of its shape (any shape for `<*>`); a merged one takes anything.
          if (shape === shapes[i] || (shape === PARAM && shapes[i] !== undefined) || wild?.[i]) same++;
        }
        const sim = n === 0 ? 1 : same / n;
        if (sim > bestSim || (sim === bestSim && params > bestParams)) {
          best = cluster;
          bestSim = sim;
          bestParams = params;
        }
      }
    }
    return best && bestSim >= this.similarity ? best : undefined;
  }

  /**
   * Where the outcome for a line of these keys depends on a variable's text, and how: where the
   * cluster it joined holds a literal (another text there would widen it), and where another
   * candidate holds a literal under a shape other than the variable's (its similarity counts the
   * text there; under the same shape it counts the position whatever the text). What matters is
   * which of those literals the text equals.
   */
  private textChecks(keys: string[], tokens: MessageTokens, joined: Cluster): TextCheck[] | undefined {
    const { texts, shapes } = tokens;
    const checks: TextCheck[] = [];
    for (const leaf of this.candidateLeaves(keys))
      for (const cluster of leaf.clusters)
        for (let i = 0; i < shapes.length; i++) {
          const shape = shapes[i];
          const literal = cluster.texts[i];
          if (shape === undefined || literal === undefined || (cluster !== joined && cluster.shapes[i] === shape)) continue;
          let check = checks.find((c) => c.position === i);
          if (check === undefined) {
            check = { position: i, variable: variableIndex(shapes, i), literals: [], equals: -1 };
            checks.push(check);
          }
          if (!check.literals.includes(literal)) check.literals.push(literal);
        }
    if (checks.length === 0) return undefined;
    for (const check of checks) check.equals = check.literals.indexOf(texts[check.position] as string);
    return checks;
  }

  /** Leaves reachable by following, at each token layer, the token's child and the `<*>` child. */
  private candidateLeaves(keys: string[]): TreeNode[] {
    const top = this.root.get(keys.length);
    if (!top) return [];
    let nodes = [top];
    const layers = Math.min(this.tokenLayers, keys.length);
    for (let i = 0; i < layers; i++) {
      const next: TreeNode[] = [];
      const key = keys[i] as string;
      for (const node of nodes) {
        const exact = node.children.get(key);
        if (exact) next.push(exact);
        const wildcard = key === PARAM ? undefined : node.children.get(PARAM);
        if (wildcard) next.push(wildcard);
      }
      if (next.length === 0) return [];
      nodes = next;
    }
    return nodes;
  }

  private leafFor(keys: string[]): TreeNode {
    const n = keys.length;
    let node: TreeNode = this.root.get(n) ?? newNode();
    this.root.set(n, node);
    const layers = Math.min(this.tokenLayers, n);
    for (let i = 0; i < layers; i++) {
      let key = keys[i] as string;
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

/** True when `texts` equals the same literal as the remembered line's at every check (see TextCheck). */
function agrees(known: Remembered, texts: readonly string[]): boolean {
  const { checks } = known;
  if (checks === undefined) return true;
  for (const check of checks) if (check.literals.indexOf(texts[check.position] as string) !== check.equals) return false;
  return true;
}

/** As `agrees`, for the message's variable texts in order. */
function agreesVariables(known: Remembered, variables: VariableTexts): boolean {
  const { checks } = known;
  if (checks === undefined) return true;
  for (const check of checks)
    if (check.literals.indexOf(variables.texts[check.variable] as string) !== check.equals) return false;
  return true;
}

/** As `agrees`, for the variable texts of `variableTexts`. */
function agreesKeyed(known: Remembered, variables: string): boolean {
  const { checks } = known;
  if (checks === undefined) return true;
  const texts = variables.split('\n');
  for (const check of checks) if (check.literals.indexOf(texts[check.variable] as string) !== check.equals) return false;
  return true;
}

/** How many variable tokens come before position `i`. */
function variableIndex(shapes: readonly (string | undefined)[], i: number): number {
  let index = 0;
  for (let k = 0; k < i; k++) if (shapes[k] !== undefined) index++;
  return index;
}

function removeFromLeaf(cluster: Cluster): void {
  const list = cluster.leaf.clusters;
  const index = list.indexOf(cluster);
  if (index >= 0) list.splice(index, 1);
}

/** Widens the cluster's template to cover the message; true when it changed. */
function generalize(cluster: Cluster, tokens: MessageTokens): boolean {
  let changed = false;
  const { texts, shapes, wild } = cluster;
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i];
    const shape = shapes[i];
    const tokenShape = tokens.shapes[i];
    if (text !== undefined && text === tokens.texts[i]) continue;
    if (text === undefined && (wild?.[i] || shape === tokenShape || (shape === PARAM && tokenShape !== undefined))) continue;
    // Two variable tokens of one shape keep the shape (so does a constant that fits it).
    const widened = widenShape(text, shape, tokens.texts[i], tokenShape);
    if (text !== undefined || shape !== widened) {
      texts[i] = undefined;
      shapes[i] = widened;
      changed = true;
    }
  }
  return changed;
}

function info(cluster: Cluster): TemplateInfo {
  return { id: cluster.id, template: templateText(cluster), count: cluster.count };
}
