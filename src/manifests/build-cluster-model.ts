// Builds the cluster model: each kustomize overlay rendered by the real engine, the YAML files
// outside any rendered overlay as plain manifests, every object validated offline and able to
// say which file and line set any of its fields.
import { existsSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import type { AuditError, Span } from '../findings.js';
import { readFileText } from '../file-text.js';
import type { ClusterModel, FieldPath, GeneratorOutput, ManifestSet, MergeHistory, Resource } from './cluster-model.js';
import {
  KUSTOMIZATION_FILE_NAMES,
  overlayRoots,
  readKustomization,
  reachableKustomizations,
  reachableResourceFiles,
  type Kustomization,
} from './kustomization.js';
import { findHelm, renderChart, templateLocator } from './helm.js';
import { findKustomizeEngine, isLoadRestrictorError, LIFTED_LOAD_RESTRICTOR, renderOverlay, type KustomizeEngine } from './kustomize.js';
import { documentLocator, renderedLocator, renderedMergeHistory, type Origin, type RenderedObject, type YamlFiles } from './origin-map.js';
import { validateResources } from './schema.js';
import type { KubeVersion } from './removed-apis.js';
import { isRecord } from './plain-data.js';
import { matchPath, parseYamlFile, spanAt, type YamlFile } from './yaml-file.js';
import { toPosixRelative } from '../posix-paths.js';

export interface BuildClusterModelInput {
  cwd: string;
  /** Every `.yaml`/`.yml` file that is not a kustomization file, POSIX, relative to cwd. */
  yamlFiles: string[];
  /** Folders holding a kustomization file. */
  kustomizationDirs: string[];
  /** Overlay folders to render (`--overlay`); default: every kustomization no other one builds on. */
  overlays?: string[];
  render: boolean;
  /** The scanned folders, absolute: a file reached through a link that leaves them is never read. */
  roots?: string[];
  /** The release the manifests are applied to: API versions it no longer serves are schema issues. */
  kubeVersion?: KubeVersion;
  /** Folders holding a `Chart.yaml`: rendered with `helm template` when helm is on PATH. */
  helmCharts?: string[];
}

const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin';
const TRANSFORMATIONS_ANNOTATION = 'alpha.config.kubernetes.io/transformations';
const PLAIN_SOURCE = 'plain manifests';

/** First line of the rendered manifests k8s-audit writes; a later run must not audit its own output. */
export const RENDERED_MARKER = '# Rendered by k8s-audit';

export async function buildClusterModel(input: BuildClusterModelInput): Promise<{ cluster: ClusterModel; errors: AuditError[] }> {
  const { cwd } = input;
  const errors: AuditError[] = [];
  const files = fileCache(cwd, input.roots ?? [cwd], errors);

  const kustomizations = new Map<string, Kustomization>();
  const kustomizationAt = (dir: string): Kustomization | undefined => {
    if (!kustomizations.has(dir)) {
      const file = KUSTOMIZATION_FILE_NAMES.map((name) => path.posix.join(dir, name)).find((candidate) => existsSync(path.resolve(cwd, candidate)));
      const yaml = file === undefined ? undefined : files(file);
      if (yaml === undefined) return undefined;
      kustomizations.set(dir, readKustomization(dir, yaml, (relative) => isDirectory(path.resolve(cwd, relative))));
    }
    return kustomizations.get(dir);
  };
  for (const dir of input.kustomizationDirs) kustomizationAt(dir);
  const overlays =
    input.overlays?.map((overlay) => toPosixRelative(cwd, path.resolve(cwd, overlay))) ?? overlayRoots(kustomizations);
  // Load every kustomization the overlays build on, also those outside the scanned paths.
  const loadTree = (dir: string, seen = new Set<string>()) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    kustomizationAt(dir)?.includes.forEach((included) => loadTree(included, seen));
  };
  overlays.forEach((overlay) => loadTree(overlay));

  const sets: ManifestSet[] = [];
  const unrendered: ClusterModel['unrendered'] = [];
  const engine = input.render ? await findKustomizeEngine() : undefined;
  const renderable: string[] = [];
  for (const overlay of overlays) {
    if (kustomizationAt(overlay) === undefined) {
      errors.push({ file: overlay, message: 'no readable kustomization file in this folder; not rendered' });
      unrendered.push({ source: overlay, reason: 'no readable kustomization file' });
    } else if (kustomizationAt(overlay)!.yaml.error !== undefined) {
      // The parse error is already reported for the file; the engine would only repeat it.
      unrendered.push({ source: overlay, reason: 'its kustomization file does not parse' });
    } else if (!input.render) {
      unrendered.push({ source: overlay, reason: 'rendering turned off (--no-render)' });
    } else if (engine === undefined) {
      unrendered.push({ source: overlay, reason: 'no kustomize engine on PATH (install kustomize or kubectl)' });
    } else {
      renderable.push(overlay);
    }
  }
  if (engine !== undefined) {
    // One engine process per core: kustomize is CPU-bound, more at once only queue.
    const limit = pLimit(Math.max(1, os.availableParallelism()));
    const realRoots = (input.roots ?? [cwd]).map(realpathOrSelf);
    const renderOne = async (overlay: string): Promise<{ result: ManifestSet | { error: string }; refused?: string; alsoFails?: string }> => {
      const result = await renderSet(engine, cwd, overlay, kustomizationAt(overlay)!, files);
      // An overlay that reaches outside its folder (`../databases/x.yaml`) fails `kubectl apply -k`;
      // rendered with the restrictor lifted it can still be audited, when every file it reads is scanned.
      if (!('error' in result) || !isLoadRestrictorError(result.error) || !treeWithinRoots(overlay, kustomizationAt, cwd, realRoots)) return { result };
      const lifted = await renderSet(engine, cwd, overlay, kustomizationAt(overlay)!, files, { liftLoadRestrictor: true });
      return 'error' in lifted ? { result, alsoFails: lifted.error } : { result: lifted, refused: result.error };
    };
    const rendered = await Promise.all(renderable.map((overlay) => limit(() => renderOne(overlay))));
    rendered.forEach(({ result, refused, alsoFails }, index) => {
      const overlay = renderable[index]!;
      if ('error' in result) {
        // Both causes, so fixing the first does not reveal the second one CI run later.
        const next = alsoFails === undefined ? '' : `; with ${LIFTED_LOAD_RESTRICTOR} it still fails: ${alsoFails}`;
        errors.push({ file: overlay, message: `kustomize build failed: ${result.error}${next}` });
        unrendered.push({ source: overlay, reason: 'kustomize build failed (see Errors)' });
        return;
      }
      if (refused !== undefined) {
        errors.push({
          file: overlay,
          message: `kustomize build failed: ${refused}; so \`kubectl apply -k\` fails on this overlay as written. It was audited as rendered with ${LIFTED_LOAD_RESTRICTOR}: move the files it reads under its folder tree, or deploy with that flag`,
        });
        result.loadRestrictorLifted = true;
        result.renderer = `${result.renderer ?? engine.label} ${LIFTED_LOAD_RESTRICTOR}`;
      }
      sets.push(result);
    });
  }

  // Files a rendered overlay covers, and patches or generator inputs (partial objects, or data),
  // are not plain manifests; the resource files of overlays that were not rendered are.
  const notPlain = new Set<string>();
  for (const kustomization of kustomizations.values()) {
    kustomization.auxiliaryFiles.forEach((file) => notPlain.add(file));
  }
  for (const set of sets) reachableResourceFiles(set.source, kustomizations).forEach((file) => notPlain.add(file));
  // Overlays the user did not choose (`--overlay prod`) are out of scope, files and all.
  const outOfScope = new Set<string>();
  if (input.overlays !== undefined) {
    for (const dir of input.kustomizationDirs) reachableResourceFiles(dir, kustomizations).forEach((file) => outOfScope.add(file));
  }
  const plainFiles = new Set(input.yamlFiles.filter((file) => !notPlain.has(file) && !outOfScope.has(file)));
  // What the generators of unrendered overlays make, each generator entry once.
  const generatorOutputs = new Map<string, GeneratorOutput>();
  for (const overlay of overlays) {
    if (sets.some((set) => set.source === overlay)) continue;
    // A file the kustomization names but that does not exist is the engine's error to report, not a second one.
    for (const file of reachableResourceFiles(overlay, kustomizations)) {
      if (!notPlain.has(file) && existsSync(path.resolve(cwd, file))) plainFiles.add(file);
    }
    for (const kustomization of reachableKustomizations(overlay, kustomizations)) {
      for (const { kind, name, path: entryPath, literals, literalsOnly } of kustomization.generators) {
        generatorOutputs.set(`${kustomization.dir}\0${entryPath.join('/')}`, {
          kind,
          name,
          location: kustomizationSpan(kustomization, entryPath),
          literals: literals.map(({ key, value, path: literalPath }) => ({ key, value, location: kustomizationSpan(kustomization, literalPath) })),
          literalsOnly,
        });
      }
    }
  }
  const plain: Resource[] = [];
  for (const file of [...plainFiles].sort()) {
    const yaml = files(file);
    if (yaml !== undefined) plain.push(...plainResources(yaml));
  }
  if (plain.length > 0) {
    sets.push({ source: PLAIN_SOURCE, kind: 'plain', production: false, resources: plain, builtImages: new Set(), generatorOutputs: [...generatorOutputs.values()] });
  }
  sets.push(...(await renderCharts(input, cwd, errors, unrendered)));

  const builtImages = skaffoldArtifacts(input.yamlFiles, files);
  for (const set of sets) set.builtImages = builtImages;

  sets.sort((a, b) => (a.kind !== b.kind ? (a.kind === 'overlay' ? -1 : 1) : a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  await validateResources(sets.flatMap((set) => set.resources), input.kubeVersion === undefined ? {} : { kubeVersion: input.kubeVersion });
  errors.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  return { cluster: { sets, unrendered }, errors };
}

// ---------------------------------------------------------------------------------------------

/**
 * Each file is read and parsed once, whoever asks first (discovery's list, a kustomization, an
 * origin annotation); its parse error is reported once. A file with Helm's `{{ }}` is not YAML
 * until rendered, so it is reported as a template instead of as a parse error (discovery already
 * keeps whole charts out).
 */
function fileCache(cwd: string, roots: readonly string[], errors: AuditError[]): YamlFiles {
  const realRoots = roots.map((root) => realpathOrSelf(root));
  const cache = new Map<string, YamlFile | undefined>();
  return (file) => {
    if (cache.has(file)) return cache.get(file);
    let result: YamlFile | undefined;
    const absolutePath = path.resolve(cwd, file);
    const real = realpathOrSelf(absolutePath);
    if (real !== absolutePath && !realRoots.some((root) => real === root || real.startsWith(root + path.sep))) {
      errors.push({ file, message: 'symbolic link points outside the scanned tree; not followed' });
      cache.set(file, undefined);
      return undefined;
    }
    const read = readFileText(absolutePath);
    if ('error' in read) {
      errors.push({ file, message: read.error });
    } else if (read.text.startsWith(RENDERED_MARKER)) {
      // A previous run's report folder, wherever --out put it: the overlays themselves are audited.
    } else {
      result = parseYamlFile(file, read.text);
      if (result.templated) {
        errors.push({ file, message: 'Helm template: not rendered' });
        result = undefined;
      } else if (result.error !== undefined) {
        errors.push({ file, message: read.text.includes('{{') ? 'Helm template: not rendered' : `YAML parse error: ${result.error}` });
      }
    }
    cache.set(file, result);
    return result;
  };
}

/** Images skaffold builds (`build.artifacts[].image`, in the config and its profiles), from every `skaffold*.yaml`. */
function skaffoldArtifacts(yamlFiles: readonly string[], files: YamlFiles): Set<string> {
  const images = new Set<string>();
  for (const file of yamlFiles) {
    if (!/^skaffold[^/]*\.ya?ml$/.test(path.posix.basename(file))) continue;
    for (const { data } of files(file)?.documents ?? []) {
      if (!isRecord(data) || typeof data.apiVersion !== 'string' || !data.apiVersion.startsWith('skaffold/')) continue;
      const builds = [data.build, ...(Array.isArray(data.profiles) ? data.profiles.map((profile: unknown) => (isRecord(profile) ? profile.build : undefined)) : [])];
      for (const build of builds) {
        const artifacts = isRecord(build) && Array.isArray(build.artifacts) ? build.artifacts : [];
        for (const artifact of artifacts) if (isRecord(artifact) && typeof artifact.image === 'string') images.add(artifact.image);
      }
    }
  }
  return images;
}

function plainResources(yaml: YamlFile): Resource[] {
  const resources: Resource[] = [];
  for (const { doc, data } of yaml.documents) {
    if (!isKubernetesObject(data)) continue;
    if (data.kind === 'List' && Array.isArray(data.items)) {
      // `kind: List` (what `kubectl get -o yaml` writes) holds the objects in `items`.
      data.items.forEach((item, index) => {
        if (isKubernetesObject(item)) resources.push(resource(item, documentLocator(yaml, doc, ['items', index])));
      });
    } else {
      resources.push(resource(data, documentLocator(yaml, doc)));
    }
  }
  return resources;
}

/** A document with `apiVersion` and `kind`; kustomize's own config kinds are not cluster objects. */
function isKubernetesObject(data: unknown): data is Record<string, unknown> {
  return (
    isRecord(data) &&
    typeof data.apiVersion === 'string' &&
    typeof data.kind === 'string' &&
    !data.apiVersion.startsWith('kustomize.config.k8s.io/') &&
    !data.apiVersion.startsWith('skaffold/')
  );
}

function resource(object: Record<string, unknown>, locate: (path: FieldPath) => Span, mergeHistory?: () => MergeHistory): Resource {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  return {
    ...(mergeHistory === undefined ? {} : { mergeHistory }),
    apiVersion: String(object.apiVersion),
    kind: String(object.kind),
    name: typeof metadata.name === 'string' ? metadata.name : '',
    ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
    object,
    locate,
    schemaIssues: [],
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Each chart rendered by `helm template` with its own values, as one manifest set whose findings
 * point into the templates; without helm, one note per chart and no set.
 */
async function renderCharts(input: BuildClusterModelInput, cwd: string, errors: AuditError[], unrendered: ClusterModel['unrendered']): Promise<ManifestSet[]> {
  const charts = input.helmCharts ?? [];
  if (charts.length === 0) return [];
  const helm = input.render ? await findHelm() : undefined;
  if (helm === undefined) {
    const reason = input.render ? 'helm is not on PATH' : 'rendering turned off (--no-render)';
    for (const chart of charts) {
      errors.push({ file: chart, message: `Helm chart not rendered (${reason}): its templates and values were not audited` });
      unrendered.push({ source: chart, reason });
    }
    return [];
  }
  const sets: ManifestSet[] = [];
  for (const chart of charts) {
    const rendered = await renderChart(helm, cwd, chart);
    if ('error' in rendered) {
      errors.push({ file: chart, message: `helm template failed: ${rendered.error}` });
      unrendered.push({ source: chart, reason: 'helm template failed (see Errors)' });
      continue;
    }
    const texts = new Map<string, string | undefined>();
    const textOf = (file: string): string | undefined => {
      if (!texts.has(file)) {
        const read = readFileText(path.resolve(cwd, file));
        texts.set(file, 'text' in read ? read.text : undefined);
      }
      return texts.get(file);
    };
    const resources = rendered.objects
      .filter(({ object }) => isKubernetesObject(object))
      .map(({ object, template }) => {
        const file = template ?? path.posix.join(chart, 'Chart.yaml');
        return resource(object, templateLocator(file, textOf(file)));
      });
    sets.push({
      source: chart,
      kind: 'overlay',
      renderer: 'helm template',
      production: /(^|\/)(prod|production)(\/|$)/.test(chart),
      resources,
      builtImages: new Set(),
      generatorOutputs: [],
      renderedYaml: rendered.yaml,
    });
  }
  return sets;
}

async function renderSet(
  engine: KustomizeEngine,
  cwd: string,
  overlay: string,
  kustomization: Kustomization,
  files: YamlFiles,
  options: { liftLoadRestrictor?: boolean } = {},
): Promise<ManifestSet | { error: string }> {
  const rendered = await renderOverlay(engine, cwd, path.resolve(cwd, overlay), options);
  if ('error' in rendered) return rendered;
  const docs = parseAllDocuments(rendered.yaml);
  const resources: Resource[] = [];
  const objects: Record<string, unknown>[] = [];
  const fallback = kustomizationSpan(kustomization);
  for (const doc of Array.isArray(docs) ? docs : []) {
    const object = doc.toJS() as unknown;
    if (!isKubernetesObject(object)) continue;
    const { origin, transformedBy } = takeBuildAnnotations(object, rendered.toCwdPath);
    objects.push(object);
    const renderedObject: RenderedObject = { object, ...(origin === undefined ? {} : { origin }), transformedBy, fallback };
    resources.push(resource(object, renderedLocator(renderedObject, files), () => renderedMergeHistory(renderedObject, files)));
  }
  return {
    source: overlay,
    kind: 'overlay',
    renderer: engine.label,
    production: /(^|\/)(prod|production)(\/|$)/.test(overlay),
    resources,
    // Filled once every set is built: skaffold configs live outside the overlays.
    builtImages: new Set(),
    generatorOutputs: [],
    renderedYaml: objects.map((object) => stringify(object)).join('---\n'),
  };
}

/** Reads and removes the build annotations the wrapper asked for; drops an annotations map they leave empty. */
function takeBuildAnnotations(object: Record<string, unknown>, toCwdPath: (annotationPath: string) => string): { origin?: Origin; transformedBy: string[] } {
  const metadata = isRecord(object.metadata) ? object.metadata : undefined;
  const annotations = metadata !== undefined && isRecord(metadata.annotations) ? metadata.annotations : undefined;
  if (metadata === undefined || annotations === undefined) return { transformedBy: [] };
  const originText = annotations[ORIGIN_ANNOTATION];
  const transformationsText = annotations[TRANSFORMATIONS_ANNOTATION];
  delete annotations[ORIGIN_ANNOTATION];
  delete annotations[TRANSFORMATIONS_ANNOTATION];
  if (Object.keys(annotations).length === 0) delete metadata.annotations;

  let origin: Origin | undefined;
  const originData = typeof originText === 'string' ? safeParse(originText) : undefined;
  // Remote origins (`repo:`) have no file here to point at.
  if (isRecord(originData) && typeof originData.path === 'string' && originData.repo === undefined) {
    origin = { file: toCwdPath(originData.path) };
  } else if (isRecord(originData) && typeof originData.configuredIn === 'string' && isRecord(originData.configuredBy)) {
    origin = { kustomization: toCwdPath(originData.configuredIn), generator: String(originData.configuredBy.kind) };
  }
  const transformedBy: string[] = [];
  const transformations = typeof transformationsText === 'string' ? safeParse(transformationsText) : undefined;
  for (const entry of Array.isArray(transformations) ? transformations : []) {
    if (!isRecord(entry) || typeof entry.configuredIn !== 'string' || entry.repo !== undefined) continue;
    const file = toCwdPath(entry.configuredIn);
    if (!transformedBy.includes(file)) transformedBy.push(file);
  }
  return { ...(origin === undefined ? {} : { origin }), transformedBy };
}

function safeParse(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return undefined;
  }
}

/** A field of a kustomization; by default its `resources:` line, where an object of unknown origin entered the build. */
function kustomizationSpan(kustomization: Kustomization, field: FieldPath = ['resources']): Span {
  const document = kustomization.yaml.documents[0];
  const root = document?.doc.contents ?? null;
  const match = matchPath(root, field, undefined, document?.doc);
  return match === undefined ? spanAt(kustomization.yaml, 0, 0) : spanAt(kustomization.yaml, match.start, match.end);
}

function isDirectory(absolutePath: string): boolean {
  try {
    return statSync(absolutePath).isDirectory();
  } catch {
    return false;
  }
}


/**
 * Whether every kustomization an overlay builds on, and every file they name, is inside the scanned
 * folders (links resolved) and none is a remote URL: only then may the engine read outside the
 * overlay's own folder.
 */
function treeWithinRoots(
  overlay: string,
  kustomizationAt: (dir: string) => Kustomization | undefined,
  cwd: string,
  realRoots: readonly string[],
): boolean {
  const inside = (relative: string): boolean => {
    const real = realpathOrSelf(path.resolve(cwd, relative));
    return realRoots.some((root) => real === root || real.startsWith(root + path.sep));
  };
  const seen = new Set<string>();
  const visit = (dir: string): boolean => {
    if (seen.has(dir)) return true;
    seen.add(dir);
    const kustomization = kustomizationAt(dir);
    if (kustomization === undefined || !inside(dir)) return false;
    const named = [...(Array.isArray(kustomization.data.resources) ? kustomization.data.resources : []), ...(Array.isArray(kustomization.data.components) ? kustomization.data.components : [])];
    if (named.some((entry) => typeof entry !== 'string' || /^[a-z][a-z0-9+.-]*:\/\/|^github\.com\/|^git@/i.test(entry))) return false;
    return [...kustomization.resourceFiles, ...kustomization.auxiliaryFiles].every(inside) && kustomization.includes.every(visit);
  };
  return visit(overlay);
}

function realpathOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
