import { DEFAULT_MINER_PARAMETERS } from './parameters.ts';
import {
  hasOtherSpace,
  isNumberWithAffixes,
  type MessageTokens,
  PARAM,
  readsAsWord,
  shapeMemo,
  type TokenizerOptions,
  unitOf,
} from './tokens.ts';

/**
 * A message's key: the tree keys of its tokens (a constant as written, a variable by its shape)
 * joined by `\n`, which no token holds. Lines with one key are routed, compared and remembered
 * alike by the miner, so the key is what the fast paths look up: found word by word in a KeyTrie
 * (`quickKeyNode`), or sent from a tokenizing worker with the variable texts beside it.
 */

/** Tree keys: a constant routes by its text, a variable-looking token by its shape. */
export function routeKeys(texts: readonly (string | undefined)[], shapes: readonly (string | undefined)[]): string[] {
  const keys = new Array<string>(texts.length);
  for (let i = 0; i < texts.length; i++) keys[i] = shapes[i] ?? (texts[i] as string);
  return keys;
}

/**
 * The key a miner files a message under: its tree keys (a constant as written, a variable by its
 * shape) joined by `\n`, which no token holds. A key holds `<*>` where and only where the token is
 * a variable (a token written with `<*>` is always given a shape), so with `variableTexts` it gives
 * the tokens back (`tokensFromKey`).
 */
export function messageKey(tokens: MessageTokens): string {
  return routeKeys(tokens.texts, tokens.shapes).join('\n');
}

/** The texts of the message's variable tokens, joined by `\n`. */
export function variableTexts(tokens: MessageTokens): string {
  let out = '';
  let first = true;
  for (let i = 0; i < tokens.texts.length; i++) {
    if (tokens.shapes[i] === undefined) continue;
    out += first ? tokens.texts[i] : `\n${tokens.texts[i]}`;
    first = false;
  }
  return out;
}

/** The tokens of `messageKey` and `variableTexts`. */
export function tokensFromKey(key: string, variables: string): MessageTokens {
  if (key === '') return { texts: [], shapes: [] };
  const keys = key.split('\n');
  const values = variables.split('\n');
  const texts = new Array<string>(keys.length);
  const shapes = new Array<string | undefined>(keys.length);
  let v = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (k.includes(PARAM)) {
      shapes[i] = k;
      texts[i] = values[v++] as string;
    } else {
      shapes[i] = undefined;
      texts[i] = k;
    }
  }
  return { texts, shapes };
}

/** Where the variable texts of messages are read from: a string, or a view of one kept elsewhere. */
export interface TextSource {
  readonly length: number;
  slice(from: number, to: number): string;
}

/** The texts of a message's variable tokens, in order: `texts[0]` … `texts[count - 1]` (reused from message to message). */
export interface VariableTexts {
  texts: string[];
  count: number;
}

/** A node of a KeyTrie: the key of the messages whose tree keys lead here (`prefix`). */
export interface KeyNode {
  /** The tree keys so far, joined by `\n`: a message's key when it ends here. */
  readonly prefix: string;
  /** The last of those keys (this node's key in its parent's children). */
  readonly part: string;
  children: Map<string, KeyNode> | undefined;
  /** The constant word that last led on from here, its node, and whether it is a unit (`unitOf`). */
  lastWord: string | undefined;
  lastChild: KeyNode | undefined;
  lastWordIsUnit: boolean;
  /** A number its owner may give the key (the tokenizing workers' dictionaries). */
  id: number;
  epoch: number;
}

/**
 * Tokens a message may have to be found in a KeyTrie: each node holds its key so far, so a path is
 * quadratic in its length; longer messages (a 2 MB line of words) are keyed whole, once.
 */
export const KEY_TRIE_DEPTH = 256;

export function keyNode(prefix: string, part: string): KeyNode {
  return {
    prefix,
    part,
    children: undefined,
    lastWord: undefined,
    lastChild: undefined,
    lastWordIsUnit: false,
    id: -1,
    epoch: 0,
  };
}

/**
 * Keys of messages by their tree keys, one level per token: `quickKeyNode` finds a message's key
 * with a lookup per token, keyed by the word itself for a constant (whose hash the shape lookup
 * already computed) or by its shape, instead of building the key and hashing it whole; and a
 * constant word that follows where it followed last is recognised in place, without a copy or a
 * lookup. For one tokenizer setting (which words are constants depends on it). Holds at most
 * `limit` nodes: past that it starts empty at the next message.
 */
export class KeyTrie {
  root: KeyNode = keyNode('', '');
  private size = 0;

  constructor(private readonly limit = 1 << 17) {}

  /** The root, emptied first when the trie has grown past its limit. */
  start(): KeyNode {
    if (this.size > this.limit) {
      this.root = keyNode('', '');
      this.size = 0;
    }
    return this.root;
  }

  child(node: KeyNode, part: string): KeyNode {
    let children = node.children;
    if (children === undefined) {
      children = new Map();
      node.children = children;
    }
    let next = children.get(part);
    if (next === undefined) {
      // Copies, so that a node does not keep alive the chunk of text its first word was cut from.
      const own = copyText(part);
      next = keyNode(node === this.root ? own : copyText(`${node.prefix}\n${own}`), own);
      children.set(own, next);
      this.size++;
    }
    return next;
  }
}

/** A copy of `text` that does not keep alive the larger string it was cut from. */
export function copyText(text: string): string {
  // V8 keeps a slice of 13 characters or more as a view of its parent.
  return text.length < 13 ? text : ` ${text}`.slice(1);
}

/**
 * The node of `trie` for the key `messageKey(tokenizeMessage(message, options))` gives, with the
 * variable texts put in `variables` (`texts[0]` … `texts[count - 1]`), without building the tokens:
 * for a message of words between spaces, without quotes and without a number followed by a unit,
 * which is nearly every line. Undefined for the others, which need `tokenizeMessage`. The same
 * word shapes, and runs of bare variables joined as `tokenizeMessage` joins them. `trie` must serve
 * this tokenizer setting only.
 */
export function quickKeyNode(
  message: string,
  options: TokenizerOptions,
  variables: VariableTexts,
  trie: KeyTrie,
): KeyNode | undefined {
  if (message.includes('"') || message.includes("'") || hasOtherSpace(message)) return undefined;
  const collapse = options.collapseRuns ?? DEFAULT_MINER_PARAMETERS.collapseRuns;
  const memo = shapeMemo(options);
  const texts = variables.texts;
  const n = message.length;
  let node = trie.start();
  let depth = 0;
  let count = 0;
  let constants = 0;
  let joined = false;
  let previousJoins = false;
  // The previous word when it is a variable: a unit after it would join it (`tokenizeMessage`).
  let beforeUnit: string | undefined;
  for (let at = 0; ; ) {
    while (at < n && message.charCodeAt(at) === 32) at++;
    if (at === n) break;
    if (depth === KEY_TRIE_DEPTH) return undefined;
    let end = message.indexOf(' ', at);
    if (end < 0) end = n;
    const seen = node.lastWord;
    if (seen !== undefined && seen.length === end - at && message.startsWith(seen, at)) {
      // The constant that followed here last time: its shape, its node and whether it is a unit are known.
      if (beforeUnit !== undefined && node.lastWordIsUnit && isNumberWithAffixes(beforeUnit)) return undefined;
      beforeUnit = undefined;
      previousJoins = false;
      constants++;
      node = node.lastChild as KeyNode;
      depth++;
      at = end;
      continue;
    }
    const word = message.slice(at, end);
    at = end;
    if (beforeUnit !== undefined && unitOf(word) !== undefined && isNumberWithAffixes(beforeUnit)) return undefined;
    const shape = memo.shape(word);
    beforeUnit = shape === undefined ? undefined : word;
    const joins = collapse && shape === PARAM && !readsAsWord(word);
    if (previousJoins && joins) {
      texts[count - 1] += ` ${word}`;
      joined = true;
      continue;
    }
    previousJoins = joins;
    const child = trie.child(node, shape ?? word);
    if (shape === undefined) {
      constants++;
      node.lastWord = child.part;
      node.lastChild = child;
      node.lastWordIsUnit = unitOf(word) !== undefined;
    } else texts[count++] = word;
    node = child;
    depth++;
  }
  // collapseRuns leaves a message of variables only as it is.
  if (joined && constants === 0) return undefined;
  variables.count = count;
  return node;
}
