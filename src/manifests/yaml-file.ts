// A YAML file parsed once, keeping node ranges so any field can be turned into a line, and
// the one-line reason when it does not parse.
import { LineCounter, isAlias, isCollection, isMap, isPair, isScalar, isSeq, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import type { FieldPath } from './cluster-model.js';
import type { Span } from '../findings.js';

export interface YamlDocument {
  /** The document's node tree, for positions. */
  doc: Document.Parsed;
  /** The document as plain data. */
  data: unknown;
}

export interface YamlFile {
  /** POSIX, relative to cwd. */
  file: string;
  text: string;
  lineCounter: LineCounter;
  /** The documents that parsed; a broken document is left out, its neighbours are kept. */
  documents: YamlDocument[];
  /** `line 12: <reason>` for the first parse error, if any. */
  error?: string;
  /**
   * An unquoted Go template placeholder (`name: {{ .Values.name }}`) parses as a map used as a
   * key: such a file is a Helm template, not a manifest. Quoted `{{ }}` (alert texts) is data.
   */
  templated: boolean;
}

export function parseYamlFile(file: string, text: string): YamlFile {
  const lineCounter = new LineCounter();
  // YAML 1.2 core schema (the `yaml` default): `yes`/`on` stay strings. kubectl's YAML 1.1 reading
  // would turn them into booleans, but flagging that here would be a guess about the client.
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  const all = Array.isArray(parsed) ? parsed : [];
  const result: YamlFile = { file, text, lineCounter, documents: [], templated: false };
  for (const doc of all) {
    const first = doc.errors[0];
    if (first !== undefined) {
      result.error ??= `line ${lineCounter.linePos(first.pos[0]).line}: ${oneLine(first.message)}`;
      continue;
    }
    if (doc.contents === null) continue;
    if (hasCollectionKey(doc)) result.templated = true;
    try {
      // The alias cap stops a "billion laughs" document; a document over it is reported, not fatal.
      result.documents.push({ doc, data: doc.toJS({ maxAliasCount: 1000 }) });
    } catch (error) {
      const line = lineCounter.linePos(doc.range[0]).line;
      result.error ??= `line ${line}: ${error instanceof Error ? oneLine(error.message) : String(error)}`;
    }
  }
  // `parseAllDocuments` returns an EmptyStream for a file of comments only; nothing to report.
  return result;
}

function hasCollectionKey(doc: Document.Parsed): boolean {
  let found = false;
  visit(doc, {
    Pair(_, pair) {
      if (!isCollection(pair.key)) return undefined;
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}

function oneLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '').trim();
}


/**
 * Maps an index into the rendered (or plain) array at `parentPath` to the item of a YAML
 * sequence that stands for it; `undefined` when no item does.
 */
export type IndexMapper = (seq: Node[], parentPath: FieldPath, index: number) => number | undefined;

export const sameIndex: IndexMapper = (seq, _parentPath, index) => (index < seq.length ? index : undefined);

export interface NodeMatch {
  /** How many segments of the path were found. */
  depth: number;
  /** Whether the deepest node found is a scalar or a wholesale-replaced list: it sets everything below it. */
  leaf: boolean;
  /** Offsets: from the key (for a map value) or the item (for a list item) to the end of the value. */
  start: number;
  end: number;
}

/**
 * Walks `path` down from `root`. Spans cover the key and its value (`replicas: 3`), or the
 * list item, so a finding starts on the line that names the field; a path that goes further
 * than the file resolves to the deepest node that exists.
 */
export function matchPath(root: Node | null, path: FieldPath, mapIndex: IndexMapper = sameIndex, doc?: Document): NodeMatch | undefined {
  let node = resolveAlias(root, doc);
  if (node === null || node.range == null) return undefined;
  const match: NodeMatch = { depth: 0, leaf: isScalar(node), start: node.range[0], end: node.range[1] };
  for (const [position, segment] of path.entries()) {
    let next: Node | null = null;
    let start = 0;
    if (typeof segment === 'string' && isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === segment);
      if (pair === undefined || !isScalar(pair.key) || pair.key.range == null) break;
      start = pair.key.range[0];
      next = resolveAlias(pair.value as Node | null, doc);
      if (next === null || next.range == null) {
        // `key:` with no value: the key itself is the field.
        return { depth: position + 1, leaf: true, start, end: pair.key.range[1] };
      }
    } else if (typeof segment === 'number' && isSeq(node)) {
      const items = node.items as Node[];
      const index = mapIndex(items, path.slice(0, position), segment);
      if (index === undefined) break;
      next = resolveAlias(items[index] ?? null, doc);
      if (next === null || next.range == null) break;
      start = next.range[0];
    } else {
      break;
    }
    node = next;
    match.depth = position + 1;
    match.start = start;
    match.end = next.range![1];
    match.leaf = isScalar(next);
  }
  return match;
}

function resolveAlias(node: Node | null, doc: Document | undefined): Node | null {
  if (node !== null && isAlias(node) && doc !== undefined) return (node.resolve(doc) as Node | undefined) ?? null;
  return node;
}

export function spanAt(yaml: YamlFile, start: number, end: number): Span {
  const from = yaml.lineCounter.linePos(start);
  const to = yaml.lineCounter.linePos(Math.max(start, trimEnd(yaml.text, end)));
  // Columns are 1-based; the end column is the one after the last character (as in SARIF).
  return { file: yaml.file, line: from.line, column: from.col, endLine: to.line, endColumn: to.col };
}

/** Value ranges of block collections end after the trailing newline; a span should not. */
function trimEnd(text: string, end: number): number {
  let at = end;
  while (at > 0 && (text[at - 1] === '\n' || text[at - 1] === '\r' || text[at - 1] === ' ')) at--;
  return at;
}

/** `spec.template.spec.containers[0].image`, the way people write paths in messages. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}
