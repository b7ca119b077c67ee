// The facts manifest rules query: Kubernetes objects as they will be applied (rendered per
// overlay, or as plain files), each able to say which file and line set any of its fields.
import type { Level, Span } from '../findings.js';

/** A field path inside an object: `['spec', 'template', 'spec', 'containers', 0, 'image']`. */
export type FieldPath = readonly (string | number)[];

/** A strategic-merge patch as written, that kustomize applied to an object. */
export interface AppliedMergePatch {
  /** The patch document as plain data. */
  data: Record<string, unknown>;
  /** Where the patch writes a path of its own (indexes are the patch's list items); `undefined` when it does not. */
  locate(path: FieldPath): Span | undefined;
}

export interface MergeHistory {
  /** The object as its origin file writes it, before any kustomization ran. */
  base?: Record<string, unknown>;
  /** The strategic-merge patches that selected the object, in the order kustomize applied them. */
  patches: AppliedMergePatch[];
}

export interface SchemaIssue {
  path: FieldPath;
  message: string;
  /**
   * Overrides the schema rule's P0 for what the API server accepts with a warning: a deprecated
   * API version still served, an env var defined twice.
   */
  severity?: Level;
}

export interface Resource {
  apiVersion: string;
  kind: string;
  /** `metadata.name` as rendered (after `namePrefix` and friends). */
  name: string;
  namespace?: string;
  /** The object as plain data. */
  object: Record<string, unknown>;
  /**
   * Where a person edits the value at `path`: the kustomize patch or transformer entry that set
   * it last, else the line in the origin file. A path that does not exist in any file resolves
   * to its nearest ancestor that does, so the answer is always a real line.
   */
  locate(path: FieldPath): Span;
  /**
   * Rendered objects only: the object as its origin file writes it and the strategic-merge
   * patches kustomize applied to it, read on demand (only a rule that compares them asks).
   */
  mergeHistory?(): MergeHistory;
  /** Schema violations and unknown fields found by offline validation. */
  schemaIssues: SchemaIssue[];
}

/** A ConfigMap or Secret a kustomize generator makes, known by name only. */
export interface GeneratorOutput {
  kind: 'ConfigMap' | 'Secret';
  /** The generator's `name`, before the hash suffix kustomize appends (and rewrites references to). */
  name: string;
  /** The generator entry in its kustomization. */
  location: Span;
  /** `literals: [KEY=value]`, each with its line. */
  literals: { key: string; value: string; location: Span }[];
  /** Whether the literals are all its keys (no `files`/`envs`). */
  literalsOnly: boolean;
}

/** One unit manifest rules run over: a rendered kustomize overlay, or the plain YAML files outside any kustomization. */
export interface ManifestSet {
  /** The overlay folder (`deploy/k8s/overlays/prod`), or `plain manifests`. */
  source: string;
  kind: 'overlay' | 'plain';
  /** The engine that rendered the overlay (`kubectl kustomize`, `kustomize build`), for overlays. */
  renderer?: string;
  /** Rendered only with `--load-restrictor=LoadRestrictionsNone`: `kubectl apply -k` refuses it as written. */
  loadRestrictorLifted?: boolean;
  /** Whether this set is a production target (an overlay path segment `prod`/`production`). */
  production: boolean;
  resources: Resource[];
  /**
   * Image names a build tool builds and tags at deploy time (skaffold `build.artifacts`): a bare
   * `image: api` naming one is a placeholder the tool replaces, not an untagged image.
   */
  builtImages: ReadonlySet<string>;
  /**
   * Plain manifests only: the ConfigMaps and Secrets that `configMapGenerator`/`secretGenerator`
   * entries of kustomizations that were not rendered will make. They are not objects of the set
   * (their data, hash suffix and namespace are the engine's), but a reference to one is not dangling.
   * A rendered overlay holds the generated objects themselves.
   */
  generatorOutputs: readonly GeneratorOutput[];
  /** The rendered manifests as YAML text, without k8s-audit's build annotations, for the report folder. */
  renderedYaml?: string;
}

export interface ClusterModel {
  sets: ManifestSet[];
  /** Overlays found but not rendered, with the reason (no engine on PATH, `--no-render`). */
  unrendered: { source: string; reason: string }[];
}
