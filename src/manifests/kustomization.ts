// What a kustomization file refers to, read without running kustomize: which folders it builds
// on, which files are resources and which are patches or generator inputs. This decides the
// overlay roots and which YAML files are not plain manifests.
import path from 'node:path';
import type { FieldPath } from './cluster-model.js';
import { isRecord } from './plain-data.js';
import { type YamlFile } from './yaml-file.js';

export const KUSTOMIZATION_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface Kustomization {
  /** Folder, POSIX, relative to cwd. */
  dir: string;
  yaml: YamlFile;
  data: Record<string, unknown>;
  /** `kind: Component`: only ever built as part of another kustomization. */
  component: boolean;
  /** Folders (other kustomizations) named in `resources`, `bases`, `components`. */
  includes: string[];
  /** Files named in `resources`: Kubernetes objects. */
  resourceFiles: string[];
  /** Patch and generator input files: partial objects or data, never plain manifests. */
  auxiliaryFiles: string[];
  /** The ConfigMaps and Secrets its generators make, with the path of each generator entry in the file. */
  generators: KustomizeGenerator[];
}

export interface KustomizeGenerator {
  kind: 'ConfigMap' | 'Secret';
  /** The entry's `name`; kustomize appends a content hash and rewrites the references to match. */
  name: string;
  /** `['configMapGenerator', 0]`. */
  path: FieldPath;
  /** `literals: [KEY=value]`, with the path of each. */
  literals: { key: string; value: string; path: FieldPath }[];
  /** Whether the literals are all its keys (no `files`/`envs` whose keys are in other files). */
  literalsOnly: boolean;
}

const GENERATOR_KINDS = { configMapGenerator: 'ConfigMap', secretGenerator: 'Secret' } as const;

export function readKustomization(dir: string, yaml: YamlFile, isDirectory: (relative: string) => boolean): Kustomization {
  const data = yaml.documents.map((document) => document.data).find(isRecord) ?? {};
  // `../external-secrets/` and `../external-secrets` name the same folder.
  const at = (entry: string) => path.posix.normalize(path.posix.join(dir, entry)).replace(/(.)\/$/, '$1');
  const includes: string[] = [];
  const resourceFiles: string[] = [];
  for (const key of ['resources', 'bases', 'components']) {
    for (const entry of strings(data[key])) {
      if (isRemote(entry)) continue;
      const target = at(entry);
      if (isDirectory(target)) includes.push(target);
      else resourceFiles.push(target);
    }
  }
  const auxiliaryFiles: string[] = [];
  const generators: KustomizeGenerator[] = [];
  for (const patch of records(data.patches)) if (typeof patch.path === 'string') auxiliaryFiles.push(at(patch.path));
  for (const patch of records(data.patchesJson6902)) if (typeof patch.path === 'string') auxiliaryFiles.push(at(patch.path));
  for (const entry of data.patchesStrategicMerge instanceof Array ? data.patchesStrategicMerge : []) {
    // An entry is a file path, or an inline patch (a string holding YAML with a newline).
    if (typeof entry === 'string' && !entry.includes('\n')) auxiliaryFiles.push(at(entry));
  }
  for (const key of ['configMapGenerator', 'secretGenerator'] as const) {
    (Array.isArray(data[key]) ? data[key] : []).forEach((generator: unknown, index) => {
      if (!isRecord(generator) || typeof generator.name !== 'string' || generator.name === '') return;
      const literals = (Array.isArray(generator.literals) ? generator.literals : []).flatMap((literal: unknown, literalIndex) =>
        typeof literal === 'string' && literal.includes('=')
          ? [{ key: literal.slice(0, literal.indexOf('=')), value: literal.slice(literal.indexOf('=') + 1), path: [key, index, 'literals', literalIndex] }]
          : [],
      );
      const literalsOnly = generator.files === undefined && generator.envs === undefined && generator.env === undefined;
      generators.push({ kind: GENERATOR_KINDS[key], name: generator.name, path: [key, index], literals, literalsOnly });
    });
    for (const generator of records(data[key])) {
      for (const source of [...strings(generator.files), ...strings(generator.envs), ...strings(generator.env === undefined ? [] : [generator.env])]) {
        // `files: [key=path]` names the data key before the `=`.
        auxiliaryFiles.push(at(source.includes('=') ? source.slice(source.indexOf('=') + 1) : source));
      }
    }
  }
  return {
    dir,
    yaml,
    data,
    component: data.kind === 'Component',
    includes,
    resourceFiles,
    auxiliaryFiles,
    generators,
  };
}

/** Kustomizations no other kustomization builds on: what `kubectl apply -k` is pointed at. */
export function overlayRoots(kustomizations: ReadonlyMap<string, Kustomization>): string[] {
  const included = new Set<string>();
  for (const kustomization of kustomizations.values()) for (const dir of kustomization.includes) included.add(dir);
  const roots = [...kustomizations.values()]
    .filter((kustomization) => !included.has(kustomization.dir) && !kustomization.component)
    .map((kustomization) => kustomization.dir);
  // Kustomizations that include each other have no root above them; rendering one lets the
  // engine say "cycle detected" instead of the audit dropping them without a word.
  const reached = new Set<string>();
  const reach = (dir: string): void => {
    if (reached.has(dir)) return;
    reached.add(dir);
    kustomizations.get(dir)?.includes.forEach(reach);
  };
  roots.forEach(reach);
  for (const kustomization of [...kustomizations.values()].sort((a, b) => (a.dir < b.dir ? -1 : 1))) {
    if (reached.has(kustomization.dir) || kustomization.component) continue;
    roots.push(kustomization.dir);
    reach(kustomization.dir);
  }
  return roots.sort();
}

/** The kustomization at `root` and every one it builds on, each once. */
export function reachableKustomizations(root: string, kustomizations: ReadonlyMap<string, Kustomization>): Kustomization[] {
  const found: Kustomization[] = [];
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const kustomization = kustomizations.get(dir);
    if (kustomization === undefined) return;
    found.push(kustomization);
    kustomization.includes.forEach(visit);
  };
  visit(root);
  return found;
}

/** Resource files an overlay renders, through every kustomization it builds on. */
export function reachableResourceFiles(root: string, kustomizations: ReadonlyMap<string, Kustomization>): string[] {
  return reachableKustomizations(root, kustomizations).flatMap((kustomization) => kustomization.resourceFiles);
}

function isRemote(entry: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || entry.startsWith('github.com/') || entry.startsWith('git@');
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}
