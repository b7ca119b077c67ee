// Where a person edits a field of a rendered object. kustomize's origin annotation names the
// file an object came from, and its transformer annotation only names the kustomizations whose
// transformers ran on it (every PatchTransformer of a kustomization is listed, not the patch
// that matched). So the kustomizations' own edits are read here — patches with their targets
// and the field paths they set, `images`, `replicas`, `namePrefix`/`nameSuffix`, `namespace`,
// `commonLabels`/`labels`/`commonAnnotations` —
// in kustomize's order; the last edit that sets the field wins, else the origin file's line.
import path from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, LineCounter, Scalar, type Document, type Node, type YAMLMap } from 'yaml';
import type { AppliedMergePatch, FieldPath, MergeHistory } from './cluster-model.js';
import type { Span } from '../findings.js';
import { records, strings } from './kustomization.js';
import { isRecord, valueAt } from './plain-data.js';
import { parseImageReference } from './image-reference.js';
import { matchPath, sameIndex, spanAt, type IndexMapper, type YamlFile } from './yaml-file.js';

/** Reads and parses a file once, by path relative to cwd; `undefined` when it cannot be read or parsed. */
export type YamlFiles = (file: string) => YamlFile | undefined;

export type Origin =
  /** The file the object was read from. */
  | { file: string }
  /** A generator entry (`configMapGenerator`, `secretGenerator`) in a kustomization. */
  | { kustomization: string; generator: string };

export interface RenderedObject {
  /** As rendered, build annotations removed. */
  object: Record<string, unknown>;
  origin?: Origin;
  /** Kustomization files whose transformers ran on it, in the order they ran, each once. */
  transformedBy: string[];
  /** Where to point when nothing better is known: the overlay's kustomization. */
  fallback: Span;
}

interface Candidate {
  /** Path segments this source has a node for. */
  depth: number;
  /** Whether this source sets the field (the field itself, or a value that replaces it wholesale). */
  sets: boolean;
  span: Span;
}

type Edit = (path: FieldPath, target: TargetFacts) => Candidate | undefined;

interface TargetFacts {
  object: Record<string, unknown>;
  kind: string;
  apiVersion: string;
  /** Every name the object had: before and after each kustomization's prefix and suffix. */
  names: Set<string>;
}

/** Edits of one kustomization, parsed once and shared by every object it transformed. */
const editsCache = new WeakMap<YamlFile, Edit[]>();

/** What every question about a rendered object's history starts from: its origin, its names, the kustomizations that ran on it. */
function historyOf(rendered: RenderedObject, files: YamlFiles): { originSource: OriginSource | undefined; facts: TargetFacts; kustomizations: YamlFile[] } {
  const { object } = rendered;
  const kind = String(object.kind ?? '');
  const apiVersion = String(object.apiVersion ?? '');
  const renderedName = String((isRecord(object.metadata) ? object.metadata.name : undefined) ?? '');
  const originSource = originOf(rendered.origin, kind, renderedName, files);
  const names = new Set([renderedName]);
  if (originSource?.name !== undefined) names.add(originSource.name);
  const kustomizations = rendered.transformedBy.map(files).filter((file): file is YamlFile => file !== undefined);
  // Names as each kustomization's prefix/suffix made them, so patches written against any of them match.
  let current = originSource?.name ?? renderedName;
  for (const file of kustomizations) {
    const data = firstRecord(file);
    current = `${typeof data.namePrefix === 'string' ? data.namePrefix : ''}${current}${typeof data.nameSuffix === 'string' ? data.nameSuffix : ''}`;
    names.add(current);
  }
  return { originSource, facts: { object, kind, apiVersion, names }, kustomizations };
}

/** The origin document and the strategic-merge patches behind a rendered object, read from the files kustomize read. */
export function renderedMergeHistory(rendered: RenderedObject, files: YamlFiles): MergeHistory {
  const { originSource, facts, kustomizations } = historyOf(rendered, files);
  const patches: AppliedMergePatch[] = [];
  for (const file of kustomizations) {
    for (const { patch, target } of patchDocumentsOf(file, files)) {
      if (Array.isArray(patch.data) || !isRecord(patch.data) || !patchSelects(patch.data, target, facts)) continue;
      patches.push({
        data: patch.data,
        locate(path) {
          const match = matchPath(patch.doc.contents as Node | null, path, sameIndex, patch.doc);
          return match === undefined || match.depth < path.length ? undefined : patch.span(match.start, match.end);
        },
      });
    }
  }
  return { ...(originSource?.data === undefined ? {} : { base: originSource.data }), patches };
}

export function renderedLocator(rendered: RenderedObject, files: YamlFiles): (path: FieldPath) => Span {
  const { originSource, facts, kustomizations } = historyOf(rendered, files);
  const { object } = rendered;
  const edits = kustomizations.flatMap((file) => editsOf(file, files));
  const byMergeKey = mergeKeyMapper(object);

  return (path) => {
    let best: Candidate | undefined = originSource?.locate(path, byMergeKey);
    let lastSetter: Candidate | undefined = best?.sets ? best : undefined;
    for (const edit of edits) {
      const candidate = edit(path, facts);
      if (candidate === undefined) continue;
      if (candidate.sets) lastSetter = candidate;
      if (best === undefined || candidate.depth > best.depth) best = candidate;
    }
    return (lastSetter ?? best)?.span ?? rendered.fallback;
  };
}

/** Plain manifests: the field's own line in its own document. */
export function documentLocator(yaml: YamlFile, doc: Document, basePath: FieldPath = []): (path: FieldPath) => Span {
  return (path) => {
    const match = matchPath(doc.contents as Node | null, [...basePath, ...path], sameIndex, doc);
    const range = match ?? { start: doc.contents?.range?.[0] ?? 0, end: doc.contents?.range?.[1] ?? 0 };
    return spanAt(yaml, range.start, range.end);
  };
}

interface OriginSource {
  name?: string;
  /** The object as its origin file writes it, before any kustomization ran; none for generated objects. */
  data?: Record<string, unknown>;
  locate(path: FieldPath, mapIndex: IndexMapper): Candidate | undefined;
}

function originOf(origin: Origin | undefined, kind: string, renderedName: string, files: YamlFiles): OriginSource | undefined {
  if (origin === undefined) return undefined;
  if ('generator' in origin) {
    const yaml = files(origin.kustomization);
    const document = yaml?.documents[0];
    if (yaml === undefined || document === undefined) return undefined;
    const key = origin.generator === 'SecretGenerator' ? 'secretGenerator' : 'configMapGenerator';
    const entries = records(isRecord(document.data) ? document.data[key] : undefined);
    // The rendered name is prefix + name + hash suffix; the longest contained entry name is the one.
    let index = -1;
    entries.forEach((entry, i) => {
      const name = typeof entry.name === 'string' ? entry.name : '';
      if (name !== '' && renderedName.includes(name) && (index < 0 || name.length > String(entries[index]?.name).length)) index = i;
    });
    if (index < 0) return undefined;
    const match = matchPath(document.doc.contents as Node | null, [key, index], sameIndex, document.doc);
    if (match === undefined) return undefined;
    const span = spanAt(yaml, match.start, match.end);
    return { name: String(entries[index]?.name), locate: () => ({ depth: 0, sets: false, span }) };
  }
  const yaml = files(origin.file);
  if (yaml === undefined) return undefined;
  const sameKind = yaml.documents.filter((document) => isRecord(document.data) && document.data.kind === kind);
  const nameOf = (data: unknown) => String((isRecord(data) && isRecord(data.metadata) ? data.metadata.name : '') ?? '');
  // Match by kind and original name; prefixes and suffixes only ever add to the name.
  const chosen =
    sameKind.find((document) => nameOf(document.data) === renderedName) ??
    sameKind
      .filter((document) => nameOf(document.data) !== '' && renderedName.includes(nameOf(document.data)))
      .sort((a, b) => nameOf(b.data).length - nameOf(a.data).length)[0] ??
    (sameKind.length === 1 ? sameKind[0] : undefined);
  if (chosen === undefined) return undefined;
  return {
    name: nameOf(chosen.data),
    ...(isRecord(chosen.data) ? { data: chosen.data } : {}),
    locate(path, mapIndex) {
      const match = matchPath(chosen.doc.contents as Node | null, path, mapIndex, chosen.doc);
      if (match === undefined) return undefined;
      return { depth: match.depth, sets: match.depth === path.length || match.leaf, span: spanAt(yaml, match.start, match.end) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The edits of one kustomization, in the order kustomize runs its builtin transformers
// (api/internal/target: PatchStrategicMerge, Patch, Namespace, Prefix, Suffix, Labels,
// Annotations, PatchJson6902, ReplicaCount, ImageTag).

function editsOf(kustomization: YamlFile, files: YamlFiles): Edit[] {
  const cached = editsCache.get(kustomization);
  if (cached !== undefined) return cached;
  const edits: Edit[] = [];
  const document = kustomization.documents[0];
  const data = firstRecord(kustomization);
  const fileAt = filesBeside(kustomization, files);
  const pairSpan = (path: FieldPath) => {
    const match = document === undefined ? undefined : matchPath(document.doc.contents as Node | null, path, sameIndex, document.doc);
    return match === undefined || match.depth < path.length ? undefined : spanAt(kustomization, match.start, match.end);
  };

  for (const { patch, target } of patchDocumentsOf(kustomization, files)) edits.push(patchEdit(patch, target));
  if (typeof data.namespace === 'string') exactEdit(edits, ['metadata', 'namespace'], pairSpan(['namespace']));
  const nameSpan = typeof data.namePrefix === 'string' ? pairSpan(['namePrefix']) : typeof data.nameSuffix === 'string' ? pairSpan(['nameSuffix']) : undefined;
  exactEdit(edits, ['metadata', 'name'], nameSpan);
  // Labels and annotations: the key's line in the kustomization, wherever the transformer copies it.
  const labelEdits = (map: unknown, where: FieldPath, fields: readonly FieldPath[]) => {
    if (!isRecord(map)) return;
    for (const label of Object.keys(map)) {
      const span = pairSpan([...where, label]);
      if (span === undefined) continue;
      edits.push((path) => (fields.some((field) => samePath(path, [...field, label])) ? { depth: path.length, sets: true, span } : undefined));
    }
  };
  const SELECTORS: FieldPath[] = [['spec', 'selector', 'matchLabels'], ['spec', 'selector']];
  const TEMPLATES: FieldPath[] = [['spec', 'template', 'metadata', 'labels'], ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels']];
  labelEdits(data.commonLabels, ['commonLabels'], [['metadata', 'labels'], ...SELECTORS, ...TEMPLATES]);
  records(data.labels).forEach((entry, index) => {
    const fields: FieldPath[] = [['metadata', 'labels']];
    if (entry.includeSelectors === true) fields.push(...SELECTORS, ...TEMPLATES);
    else if (entry.includeTemplates === true) fields.push(...TEMPLATES);
    labelEdits(entry.pairs, ['labels', index, 'pairs'], fields);
  });
  labelEdits(data.commonAnnotations, ['commonAnnotations'], [
    ['metadata', 'annotations'],
    ['spec', 'template', 'metadata', 'annotations'],
  ]);
  records(data.patchesJson6902).forEach((entry) => {
    if (typeof entry.path !== 'string' || !isRecord(entry.target)) return;
    for (const patch of fileDocuments(fileAt(entry.path))) edits.push(patchEdit(patch, entry.target));
  });
  records(data.replicas).forEach((entry, index) => {
    const span = pairSpan(['replicas', index, 'count']) ?? pairSpan(['replicas', index]);
    if (typeof entry.name !== 'string' || span === undefined) return;
    const name = entry.name;
    edits.push((path, target) =>
      target.names.has(name) && REPLICATED_KINDS.has(target.kind) && samePath(path.slice(0, 2), ['spec', 'replicas'])
        ? { depth: 2, sets: true, span }
        : undefined,
    );
  });
  records(data.images).forEach((entry, index) => {
    // Point at what a person changes: the tag first, as image findings are mostly about tags.
    const span = ['newTag', 'digest', 'newName'].map((key) => (key in entry ? pairSpan(['images', index, key]) : undefined)).find(Boolean) ?? pairSpan(['images', index]);
    const names = strings([entry.name, entry.newName]);
    if (names.length === 0 || span === undefined) return;
    edits.push((path, target) => {
      const field = path[path.length - 3];
      if (path[path.length - 1] !== 'image' || (field !== 'containers' && field !== 'initContainers')) return undefined;
      const image = valueAt(target.object, path);
      return typeof image === 'string' && names.includes(parseImageReference(image).name) ? { depth: path.length, sets: true, span } : undefined;
    });
  });
  editsCache.set(kustomization, edits);
  return edits;
}

/** Reads a file named relative to the kustomization's folder. */
function filesBeside(kustomization: YamlFile, files: YamlFiles): (relative: string) => YamlFile | undefined {
  const dir = kustomization.file.includes('/') ? kustomization.file.slice(0, kustomization.file.lastIndexOf('/')) : '.';
  return (relative) => files(path.posix.join(dir, relative));
}

/** A `patchesStrategicMerge` or `patches` document with the target its entry names; a JSON6902 patch under `patches` parses to a list. */
interface PatchEntry {
  patch: PatchDocument;
  target: Record<string, unknown> | undefined;
}

const patchesCache = new WeakMap<YamlFile, PatchEntry[]>();

/** The kustomization's `patchesStrategicMerge` then `patches` documents, in kustomize's order, read once. */
function patchDocumentsOf(kustomization: YamlFile, files: YamlFiles): PatchEntry[] {
  const cached = patchesCache.get(kustomization);
  if (cached !== undefined) return cached;
  const entries: PatchEntry[] = [];
  const document = kustomization.documents[0];
  const data = firstRecord(kustomization);
  const fileAt = filesBeside(kustomization, files);
  const node = (path: FieldPath) => (document === undefined ? undefined : (document.doc.getIn(path, true) as Node | undefined));
  (Array.isArray(data.patchesStrategicMerge) ? data.patchesStrategicMerge : []).forEach((entry, index) => {
    if (typeof entry !== 'string') return;
    const docs = entry.includes('\n') ? inlineDocuments(kustomization, node(['patchesStrategicMerge', index])) : fileDocuments(fileAt(entry));
    for (const patch of docs) entries.push({ patch, target: undefined });
  });
  records(data.patches).forEach((entry, index) => {
    const docs =
      typeof entry.path === 'string'
        ? fileDocuments(fileAt(entry.path))
        : typeof entry.patch === 'string'
          ? inlineDocuments(kustomization, node(['patches', index, 'patch']))
          : [];
    const target = isRecord(entry.target) ? entry.target : undefined;
    for (const patch of docs) entries.push({ patch, target });
  });
  patchesCache.set(kustomization, entries);
  return entries;
}

/** The kinds kustomize's ReplicaCountTransformer sets `spec.replicas` on. */
const REPLICATED_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController']);

function exactEdit(edits: Edit[], field: FieldPath, span: Span | undefined): void {
  if (span === undefined) return;
  edits.push((path) => (samePath(path, field) ? { depth: field.length, sets: true, span } : undefined));
}

/** One patch document with a way to turn its offsets into spans of the file a person edits. */
interface PatchDocument {
  doc: Document.Parsed;
  data: unknown;
  span: (start: number, end: number) => Span;
}

function fileDocuments(yaml: YamlFile | undefined): PatchDocument[] {
  if (yaml === undefined) return [];
  return yaml.documents.map(({ doc, data }) => ({ doc, data, span: (start, end) => spanAt(yaml, start, end) }));
}

/**
 * A patch written inline (`patch: |-`): its text is parsed on its own and its lines are mapped
 * back to the kustomization's lines. Only a literal block keeps lines one to one; any other
 * scalar style points at the scalar as a whole.
 */
function inlineDocuments(kustomization: YamlFile, node: Node | undefined): PatchDocument[] {
  if (!isScalar(node) || typeof node.value !== 'string' || node.range == null) return [];
  const whole = spanAt(kustomization, node.range[0], node.range[1]);
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(node.value, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) return [];
  let span = (_start: number, _end: number): Span => whole;
  if (node.type === Scalar.BLOCK_LITERAL) {
    const headerLine = whole.line;
    const indent = blockIndent(kustomization.text, node.range[0]);
    span = (start, end) => {
      const from = lineCounter.linePos(start);
      const to = lineCounter.linePos(Math.max(start, end - (node.value as string).slice(0, end).match(/\s*$/)![0].length));
      return { file: kustomization.file, line: headerLine + from.line, column: indent + from.col, endLine: headerLine + to.line, endColumn: indent + to.col };
    };
  }
  return docs.filter((doc) => doc.errors.length === 0 && doc.contents !== null).map((doc) => ({ doc, data: doc.toJS(), span }));
}

/** The indentation of a block scalar's first content line (the line after its `|` header). */
function blockIndent(text: string, headerOffset: number): number {
  let at = text.indexOf('\n', headerOffset) + 1;
  while (at > 0 && at < text.length) {
    const lineEnd = text.indexOf('\n', at) < 0 ? text.length : text.indexOf('\n', at);
    const line = text.slice(at, lineEnd);
    if (line.trim() !== '') return line.length - line.trimStart().length;
    at = lineEnd + 1;
  }
  return 0;
}

/** Kubernetes identity fields in a strategic-merge patch select the object; they do not set anything. */
const IDENTITY_PATHS: FieldPath[] = [['apiVersion'], ['kind'], ['metadata', 'name'], ['metadata', 'namespace']];

function patchEdit(patch: PatchDocument, target: Record<string, unknown> | undefined): Edit {
  if (Array.isArray(patch.data)) return json6902Edit(patch, target);
  const data = isRecord(patch.data) ? patch.data : {};
  return (path, facts) => {
    if (!patchSelects(data, target, facts) || IDENTITY_PATHS.some((identity) => samePath(path, identity))) return undefined;
    const match = matchPath(patch.doc.contents as Node | null, path, mergeKeyMapper(facts.object), patch.doc);
    if (match === undefined || match.depth === 0) return undefined;
    // A list item's merge key (`- name: api`) only says which item is patched.
    const parentList = path[path.length - 3];
    if (match.depth === path.length && typeof parentList === 'string' && mergeKeyFor(parentList, valueAt(facts.object, path.slice(0, -1))) === path[path.length - 1]) {
      return undefined;
    }
    return { depth: match.depth, sets: match.depth === path.length || match.leaf, span: patch.span(match.start, match.end) };
  };
}

/** A strategic-merge patch applies to its entry's target, or else to the object of its own kind and name. */
function patchSelects(data: Record<string, unknown>, target: Record<string, unknown> | undefined, facts: TargetFacts): boolean {
  if (target !== undefined) return selects(target, facts);
  const metadata = isRecord(data.metadata) ? data.metadata : {};
  return data.kind === facts.kind && typeof metadata.name === 'string' && facts.names.has(metadata.name);
}

function json6902Edit(patch: PatchDocument, target: Record<string, unknown> | undefined): Edit {
  const root = patch.doc.contents;
  const ops = isSeq(root) ? (root.items as Node[]).filter((item): item is YAMLMap => isMap(item)) : [];
  return (path, facts) => {
    if (target === undefined || !selects(target, facts)) return undefined;
    let found: Candidate | undefined;
    for (const op of ops) {
      const kind = op.get('op');
      const pointer = op.get('path');
      if (typeof pointer !== 'string' || kind === 'remove' || kind === 'test') continue;
      const opPath = pointerPath(pointer, facts.object);
      if (opPath.length > path.length || !samePath(path.slice(0, opPath.length), opPath)) continue;
      const value = op.get('value', true) as Node | undefined;
      const inner = value === undefined ? undefined : matchPath(value, path.slice(opPath.length), sameIndex, patch.doc);
      const valuePair = op.items.find((pair) => isScalar(pair.key) && pair.key.value === 'value');
      const start = inner !== undefined && inner.depth > 0 ? inner.start : ((valuePair?.key as Node | undefined)?.range?.[0] ?? op.range![0]);
      const end = inner !== undefined ? inner.end : op.range![1];
      found = { depth: path.length, sets: true, span: patch.span(start, end) };
    }
    return found;
  };
}

/** A JSON pointer as a field path; `-` (append) is the last item of the rendered list. */
function pointerPath(pointer: string, object: unknown): FieldPath {
  const path: (string | number)[] = [];
  let value: unknown = object;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      const index = segment === '-' ? value.length - 1 : Number(segment);
      path.push(index);
      value = value[index];
    } else {
      path.push(segment);
      value = isRecord(value) ? value[segment] : undefined;
    }
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// Targets, the way kustomize matches them.

function selects(target: Record<string, unknown>, facts: TargetFacts): boolean {
  const [group, version] = facts.apiVersion.includes('/') ? facts.apiVersion.split('/') : ['', facts.apiVersion];
  if (typeof target.kind === 'string' && target.kind !== facts.kind) return false;
  if (typeof target.group === 'string' && target.group !== group) return false;
  if (typeof target.version === 'string' && target.version !== version) return false;
  if (typeof target.name === 'string') {
    // kustomize anchors target names as regular expressions.
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${target.name})$`);
    } catch {
      return false;
    }
    if (![...facts.names].some((name) => pattern.test(name))) return false;
  }
  const metadata = isRecord(facts.object.metadata) ? facts.object.metadata : {};
  if (typeof target.labelSelector === 'string' && !matchesSelector(target.labelSelector, stringMap(metadata.labels))) return false;
  if (typeof target.annotationSelector === 'string' && !matchesSelector(target.annotationSelector, stringMap(metadata.annotations))) return false;
  return true;
}

/** Kubernetes label selector syntax: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`. */
export function matchesSelector(selector: string, labels: Record<string, string>): boolean {
  const requirements = selector.match(/[^,(]+(?:\([^)]*\))?/g) ?? [];
  return requirements.every((raw) => {
    const requirement = raw.trim();
    if (requirement === '') return true;
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(requirement);
    if (set !== null) {
      const values = (set[3] ?? '').split(',').map((value) => value.trim());
      const has = set[1]! in labels && values.includes(labels[set[1]!]!);
      return set[2] === 'in' ? has : !has;
    }
    const equality = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(requirement);
    if (equality !== null) {
      const equal = labels[equality[1]!] === equality[3];
      return equality[2] === '!=' ? !equal : equal;
    }
    if (requirement.startsWith('!')) return !(requirement.slice(1).trim() in labels);
    return requirement in labels;
  });
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(value)) for (const [key, item] of Object.entries(value)) out[key] = String(item);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Strategic-merge lists merge by key, so a rendered index is matched to a file's list item by
// that key; lists without a key are replaced wholesale, so indexes match one to one.

const MERGE_KEYS: Record<string, readonly string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  imagePullSecrets: ['name'],
  hostAliases: ['ip'],
  // Container ports merge by containerPort, Service ports by port.
  ports: ['containerPort', 'port'],
};

function mergeKeyFor(listField: string, item: unknown): string | undefined {
  const keys = MERGE_KEYS[listField];
  if (keys === undefined || !isRecord(item)) return undefined;
  return keys.find((key) => item[key] !== undefined);
}

/** The value an item of a strategic-merge list is merged by (`api` for a container, `/cache` for a mount); `undefined` for lists without a key. */
export function mergeKeyValue(listField: string, item: unknown): string | undefined {
  const key = mergeKeyFor(listField, item);
  return key === undefined || !isRecord(item) ? undefined : String(item[key]);
}

function mergeKeyMapper(object: Record<string, unknown>): IndexMapper {
  return (items, parentPath, index) => {
    const field = parentPath[parentPath.length - 1];
    const item = (valueAt(object, parentPath) as unknown[] | undefined)?.[index];
    const key = typeof field === 'string' ? mergeKeyFor(field, item) : undefined;
    if (key === undefined || !isRecord(item)) return index < items.length ? index : undefined;
    const wanted = String(item[key]);
    const found = items.findIndex((node) => isMap(node) && String(node.get(key)) === wanted);
    return found < 0 ? undefined : found;
  };
}

// ---------------------------------------------------------------------------------------------

function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && a.every((segment, index) => segment === b[index]);
}


function firstRecord(yaml: YamlFile): Record<string, unknown> {
  const data = yaml.documents[0]?.data;
  return isRecord(data) ? data : {};
}

