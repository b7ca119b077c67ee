// The whole pipeline as one function usable from code: discover, build the models, run the
// rules, and hand back a result every reporter renders. Nothing here prints or writes files.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Minimatch } from 'minimatch';
import { discover } from './discover.js';
import { buildLinks } from './link/build-links.js';
import { envContract, workloadsReport } from './link/contract.js';
import type { WorkloadPackages } from './link/workload-package.js';
import { readFileText } from './file-text.js';
import type { AuditResult, ManifestReport, ReportedFinding, Snippet } from './audit-result.js';
import { compareSpans, compareStrings, type AuditError, type Level } from './findings.js';
import { toPosixRelative } from './posix-paths.js';
import { manifestRules } from './manifest-rules/index.js';
import { buildClusterModel, RENDERED_MARKER } from './manifests/build-cluster-model.js';
import type { ManifestSet } from './manifests/cluster-model.js';
import { KUSTOMIZATION_FILE_NAMES } from './manifests/kustomization.js';
import type { KubeVersion } from './manifests/removed-apis.js';
import { resolveFindings } from './resolve/resolve-findings.js';
import { annotationDirectives, commentDirectives, type Directive } from './resolve/suppressions.js';
import { resolveRules } from './resolve-rules/index.js';
import type { Rule } from './rule.js';
import { crossRules, sourceRules } from './rules/index.js';
import { countByLevel, describeOverlays, runResolveRules, runRules, type RawFinding, type RuleSettings } from './run-rules.js';
import { buildAppModel } from './source/build-app-model.js';

export const allRules: readonly Rule[] = [...sourceRules, ...crossRules, ...manifestRules, ...resolveRules];

const packageJson = createRequire(import.meta.url)('../package.json') as { name: string; version: string };
export const TOOL = { name: packageJson.name, version: packageJson.version } as const;

export interface AuditOptions {
  /** Files or folders to scan; relative paths are taken from `cwd`. */
  paths: string[];
  cwd?: string;
  /** Overlay folders to render; default: every kustomization root no other kustomization includes. */
  overlays?: string[];
  /** `false` audits the YAML files as they are, without rendering overlays. */
  render?: boolean;
  /** The rules to run; default: all. */
  rules?: readonly Rule[];
  /** Folder the rendered manifests will be written to, for the `output` field (POSIX, relative to cwd). */
  manifestsDir?: string;
  /** Folders never scanned (relative to cwd or absolute): the report folder, so a second run does not audit the first one's output. */
  exclude?: string[];
  /** The Kubernetes release the manifests target (`--kube-version`); default `DEFAULT_KUBE_VERSION`. */
  kubeVersion?: KubeVersion;
  /** Per rule id, a level that replaces the level of each of its findings (configuration). */
  levels?: Readonly<Record<string, Level>>;
  /** Per rule id, its options as the rule's schema validated them; a rule without an entry runs with its defaults. */
  ruleOptions?: Readonly<Record<string, Record<string, unknown>>>;
  /** Globs (relative to cwd): only matching files are audited and reported. */
  include?: readonly string[];
  /** Globs (relative to cwd): matching files are neither audited nor reported. */
  ignore?: readonly string[];
  /** Globs of overlay paths that deploy to production; default: an overlay path segment `prod` or `production`. */
  production?: readonly string[];
  /** Workload (`Deployment/api` or `api`) → package folder, from configuration, for images not named after their package. */
  workloads?: WorkloadPackages;
  /** `false` ignores every `k8s-audit-ignore-*` comment and `k8s-audit.dev/ignore` annotation. */
  inlineSuppressions?: boolean;
  /** Fingerprints of known findings (a baseline): hidden, and every other finding is marked new. */
  baseline?: ReadonlySet<string>;
  /** Files changed in the change under review (POSIX, relative to cwd): only findings in them are reported. */
  changedFiles?: ReadonlySet<string>;
}

export async function audit(options: AuditOptions): Promise<AuditResult> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const rules = options.rules ?? allRules;
  const excludeDirs = (options.exclude ?? []).map((dir) => path.resolve(cwd, dir));
  const inScope = fileFilter(options.include, options.ignore);
  const discovery = await discover({ cwd, paths: options.paths, excludeDirs });
  discovery.sources = discovery.sources.filter(inScope);
  discovery.yamlFiles = discovery.yamlFiles.filter(inScope);
  discovery.kustomizationDirs = discovery.kustomizationDirs.filter((dir) => KUSTOMIZATION_FILE_NAMES.some((name) => inScope(path.posix.join(dir, name))));
  const errors: AuditError[] = [
    ...discovery.errors,
  ];

  const needsSource = rules.some((rule) => rule.kind === 'source' || rule.kind === 'cross');
  const { app, errors: sourceErrors } = needsSource
    ? buildAppModel({ cwd, sources: discovery.sources, packages: discovery.packages, prismaSchemas: discovery.prismaSchemas.filter(inScope) })
    : { app: { packages: discovery.packages, files: [] }, errors: [] };
  errors.push(...sourceErrors);

  const { cluster, errors: clusterErrors } = await buildClusterModel({
    cwd,
    yamlFiles: discovery.yamlFiles,
    kustomizationDirs: discovery.kustomizationDirs,
    helmCharts: discovery.helmCharts,
    ...(options.overlays === undefined ? {} : { overlays: options.overlays }),
    render: options.render ?? true,
    roots: options.paths.map((given) => path.resolve(cwd, given)),
    ...(options.kubeVersion === undefined ? {} : { kubeVersion: options.kubeVersion }),
  });
  errors.push(...clusterErrors);
  if (options.production !== undefined) {
    const isProduction = globMatcher(options.production.map((pattern) => pattern.replace(/\/+$/, '')));
    for (const set of cluster.sets) set.production = set.kind === 'overlay' && isProduction(set.source);
  }

  const { links, errors: linkErrors } = buildLinks({
    cwd,
    app,
    cluster,
    dockerfiles: discovery.dockerfiles,
    templates: discovery.templates,
    scripts: discovery.scripts,
    roots: options.paths.map((given) => path.resolve(cwd, given)),
    ...(options.workloads === undefined ? {} : { workloads: options.workloads }),
  });
  errors.push(...linkErrors);

  const settings: RuleSettings = {
    ...(options.levels === undefined ? {} : { levels: options.levels }),
    ...(options.ruleOptions === undefined ? {} : { options: options.ruleOptions }),
  };
  const { findings: raw, ruleErrors } = runRules(rules, app, cluster, links, settings);
  for (const { ruleId, message } of ruleErrors) errors.push({ file: `rule:${ruleId}`, message: `rule failed: ${message}` });

  // Resolve: the directives in the scanned files, then suppressions, --changed-since and the baseline.
  const directives =
    options.inlineSuppressions === false
      ? []
      : readDirectives(cwd, [...discovery.sources, ...discovery.yamlFiles, ...discovery.kustomizationDirs.flatMap((dir) => KUSTOMIZATION_FILE_NAMES.map((name) => path.posix.join(dir, name))), ...raw.map((f) => f.file)], cluster.sets);
  const knownRuleIds = new Set([...allRules, ...rules].map((rule) => rule.id));
  raw.push(...runResolveRules(rules, directives, knownRuleIds, settings));
  const audited = attachSnippetsAndFingerprints(raw.filter((finding) => inScope(finding.file)), cwd, options.paths);
  const { findings, suppressed, baseline } = resolveFindings(audited, {
    directives,
    ...(options.changedFiles === undefined ? {} : { changedFiles: options.changedFiles }),
    ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
  });
  const slugs = overlaySlugs(cluster.sets.filter((set) => set.renderedYaml !== undefined).map((set) => set.source));
  const manifests = cluster.sets.map((set) => manifestReport(set, slugs, options.manifestsDir));
  const renderedManifests = cluster.sets.flatMap((set) =>
    set.renderedYaml === undefined
      ? []
      : [{ fileName: `${slugs.get(set.source)}.yaml`, yaml: `${RENDERED_MARKER} from ${set.source} by ${set.renderer ?? 'kustomize'}; not a source file.\n${set.renderedYaml}` }],
  );

  return {
    tool: TOOL,
    scope: {
      paths: options.paths,
      unrendered: cluster.unrendered,
      clientPackages: discovery.clientPackages,
      sourceFiles: discovery.sources.length,
      manifestFiles: discovery.yamlFiles.length,
    },
    summary: countByLevel(findings),
    findings,
    suppressed,
    ...(baseline === undefined ? {} : { baseline }),
    manifests,
    workloads: workloadsReport(links),
    env: envContract(links, app),
    renderedManifests,
    errors: uniqueErrors(errors),
  };
}

function manifestReport(set: ManifestSet, slugs: Map<string, string>, manifestsDir: string | undefined): ManifestReport {
  const slug = slugs.get(set.source);
  return {
    source: set.source,
    ...(set.renderer === undefined ? {} : { renderer: set.renderer }),
    ...(set.loadRestrictorLifted === true ? { loadRestrictorLifted: true } : {}),
    resources: set.resources.length,
    // What the API server accepts with a warning (a deprecated version, an env var set twice) is still valid.
    valid: set.resources.every((resource) => resource.schemaIssues.every((issue) => (issue.severity ?? 'P0') !== 'P0')),
    ...(slug === undefined || manifestsDir === undefined ? {} : { output: path.posix.join(manifestsDir, `${slug}.yaml`) }),
  };
}

/** The shortest trailing part of each overlay path that tells it apart: `prod`, or `web-overlays-prod` when two are called `prod`. */
export function overlaySlugs(sources: readonly string[]): Map<string, string> {
  const slugs = new Map<string, string>();
  const parts = sources.map((source) => source.split('/').filter((part) => part !== '' && part !== '.' && part !== '..'));
  for (let depth = 1; slugs.size < sources.length; depth += 1) {
    const candidates = parts.map((segments) => segments.slice(-depth).join('-') || 'root');
    candidates.forEach((candidate, index) => {
      const source = sources[index] as string;
      const unique = candidates.filter((other) => other === candidate).length === 1;
      const exhausted = depth >= (parts[index] as string[]).length;
      if (!slugs.has(source) && (unique || exhausted)) slugs.set(source, candidate);
    });
  }
  return slugs;
}

const LANGUAGES: Record<string, string> = { '.ts': 'ts', '.tsx': 'tsx', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.jsx': 'jsx', '.mjs': 'js', '.cjs': 'js', '.yaml': 'yaml', '.yml': 'yaml' };
const SNIPPET_CONTEXT = 2;
const SNIPPET_MAX_LINES = 12;

function attachSnippetsAndFingerprints(raw: RawFinding[], cwd: string, scanned: readonly string[]): ReportedFinding[] {
  // Paths in the fingerprint are taken from the scanned folder, not the working directory, so
  // `k8s-audit app` from the parent and `k8s-audit .` from inside give a baseline the same keys.
  const rootPrefixes = scanned
    .map((given) => toPosixRelative(cwd, path.resolve(cwd, given)))
    .filter((prefix) => prefix !== '.')
    .map((prefix) => `${prefix}/`)
    .sort((a, b) => b.length - a.length);
  const fromRoot = (text: string): string => rootPrefixes.reduce((result, prefix) => result.split(prefix).join(''), text);
  const fileLines = new Map<string, string[] | undefined>();
  const linesOf = (file: string): string[] | undefined => {
    if (!fileLines.has(file)) {
      const read = readFileText(path.resolve(cwd, file));
      fileLines.set(file, 'text' in read ? read.text.split(/\r?\n/) : undefined);
    }
    return fileLines.get(file);
  };
  const seen = new Map<string, number>();
  return [...raw]
    .sort((a, b) => compareSpans(a, b) || compareStrings(a.ruleId, b.ruleId) || compareStrings(a.message, b.message))
    .map((finding) => {
      const lines = linesOf(finding.file);
      // The fingerprint hangs on what the line says, not on its number (digits in the message are
      // line numbers of related sites), nor on the overlays, so it survives edits above the line
      // and a new overlay over the same base.
      const base = createHash('sha256')
        .update([finding.ruleId, fromRoot(finding.file), lines?.[finding.line - 1]?.trim() ?? '', fromRoot(finding.message).replace(/\d+/g, '#')].join('\0'))
        .digest('hex')
        .slice(0, 16);
      const occurrence = seen.get(base) ?? 0;
      seen.set(base, occurrence + 1);
      const fingerprint = occurrence === 0 ? base : `${base}-${occurrence}`;
      const snippet = lines === undefined ? undefined : snippetOf(lines, finding);
      // The overlays are named in the message for people and listed in `overlays` for tools.
      const message = finding.overlays === undefined ? finding.message : `${finding.message} ${describeOverlays(finding.overlays)}`;
      return { ...finding, message, fingerprint, ...(snippet === undefined ? {} : { snippet }) };
    });
}

function snippetOf(lines: string[], finding: RawFinding): Snippet | undefined {
  if (finding.line < 1 || finding.line > lines.length) return undefined;
  const startLine = Math.max(1, finding.line - SNIPPET_CONTEXT);
  const endLine = Math.min(lines.length, Math.max(finding.endLine, finding.line) + SNIPPET_CONTEXT, startLine + SNIPPET_MAX_LINES - 1);
  return {
    startLine,
    lines: lines.slice(startLine - 1, endLine),
    language: LANGUAGES[path.posix.extname(finding.file)] ?? '',
  };
}

/** Whether a file (POSIX, relative to cwd) is in scope for the configured include and ignore globs. */
function fileFilter(include: readonly string[] | undefined, ignore: readonly string[] | undefined): (file: string) => boolean {
  const included = include === undefined || include.length === 0 ? () => true : globMatcher(include);
  const ignored = globMatcher(ignore ?? []);
  return (file) => included(file) && !ignored(file);
}

/** Whether a POSIX path matches any of the globs, compiled once (a scan asks for every file). */
function globMatcher(patterns: readonly string[]): (file: string) => boolean {
  const compiled = patterns.map((pattern) => new Minimatch(pattern, { dot: true }));
  return (file) => compiled.some((glob) => glob.match(file));
}

/** Suppression comments of the files that hold any (read once each), and ignore annotations of the manifest objects. */
function readDirectives(cwd: string, files: readonly string[], sets: Parameters<typeof annotationDirectives>[0]): Directive[] {
  const directives: Directive[] = [];
  for (const file of new Set(files)) {
    const read = readFileText(path.resolve(cwd, file));
    if ('text' in read) directives.push(...commentDirectives(file, read.text));
  }
  return [...directives, ...annotationDirectives(sets)];
}

/** Sorted, and once each: discovery and the cluster model may both refuse the same link. */
function uniqueErrors(errors: readonly AuditError[]): AuditError[] {
  const byKey = new Map(errors.map((error) => [`${error.file}\0${error.message}`, error]));
  return [...byKey.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, error]) => error);
}
