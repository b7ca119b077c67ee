// Inline suppressions with accountability: a directive names the rules it silences and says why.
// One without a reason silences nothing (the `suppression-reason` rule reports it), and every
// finding a directive does silence is kept, with the reason, for the report's Suppressed section.
import type { FieldPath, ManifestSet, Resource } from '../manifests/cluster-model.js';
import { podSpecs, workloadName } from '../manifests/pod-templates.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import type { Finding, Span } from '../findings.js';

/** The annotation a manifest object (or its pod template) carries: `"<rule-id>: <reason>"`, one entry per line. */
export const IGNORE_ANNOTATION = 'k8s-audit.dev/ignore';

export type DirectiveKind = 'next-line' | 'file' | 'annotation';

export interface Directive {
  kind: DirectiveKind;
  /** The rules it names, as written (unknown ones included: the resolve rule reports them). */
  ruleIds: string[];
  /** Why the finding is accepted; undefined when the directive gives none, so it suppresses nothing. */
  reason?: string;
  /** Where the directive is written, for the finding that reports a problem with it. */
  location: Span;
  /** The directive as written, for messages. */
  text: string;
  /** What it covers: the next line, the whole file, or one manifest object (its YAML range and its name). */
  scope: { file: string; line: number } | { file: string } | { workload: string; range: Span };
}

/** A finding a directive silenced, and the directive's reason. */
export type SuppressedFinding<F extends Finding = Finding> = F & {
  suppression: { kind: DirectiveKind; reason: string; file: string; line: number };
};

const CODE_DIRECTIVE = /(?:\/\/|\/\*)\s*k8s-audit-ignore-(next-line|file)(?=[\s*]|$)(.*)$/;
const YAML_DIRECTIVE = /#\s*k8s-audit-ignore-(next-line|file)(?=\s|$)(.*)$/;
const YAML_FILE = /\.ya?ml$/;
const RULE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Comment-only lines: a next-line directive skips them, so several directives can stack above one line. */
const COMMENT_LINE = /^\s*(?:\/\/|\/\*|\*|#)/;

/** The `k8s-audit-ignore-*` comments of one file (`//` or `/* … *\/` in code, `#` in YAML). */
export function commentDirectives(file: string, text: string): Directive[] {
  if (!text.includes('k8s-audit-ignore-')) return [];
  const pattern = YAML_FILE.test(file) ? YAML_DIRECTIVE : CODE_DIRECTIVE;
  const lines = text.split(/\r?\n/);
  const directives: Directive[] = [];
  lines.forEach((line, index) => {
    const match = pattern.exec(line);
    if (match === null) return;
    const kind = match[1] as 'next-line' | 'file';
    const body = (match[2] as string).replace(/\*\/.*$/, '');
    const { ruleIds, reason } = parseBody(body);
    const column = match.index + 1;
    const location: Span = { file, line: index + 1, column, endLine: index + 1, endColumn: line.length + 1 };
    const scope = kind === 'file' ? { file } : { file, line: nextCodeLine(lines, index) };
    directives.push({ kind, ruleIds, ...(reason === undefined ? {} : { reason }), location, text: `k8s-audit-ignore-${kind}${body.trimEnd()}`, scope });
  });
  return directives;
}

/** `rule-a, rule-b -- the reason`: the leading rule ids, then a reason after `--`. */
function parseBody(body: string): { ruleIds: string[]; reason?: string } {
  const separator = body.search(/(^|\s)--(\s|$)/);
  const idsPart = separator === -1 ? body : body.slice(0, separator);
  const ruleIds: string[] = [];
  let trailing = false;
  for (const token of idsPart.split(/[\s,]+/).filter((t) => t !== '')) {
    // Anything after the ids that is not `-- reason` is not a reason.
    if (trailing || !RULE_ID.test(token)) {
      trailing = true;
      continue;
    }
    ruleIds.push(token);
  }
  const reason = separator === -1 ? '' : body.slice(separator).replace(/^\s*--\s*/, '').trim();
  return reason === '' ? { ruleIds } : { ruleIds, reason };
}

/** 1-based number of the first line after `index` that is not a comment, or the line right after when none is. */
function nextCodeLine(lines: readonly string[], index: number): number {
  for (let at = index + 1; at < lines.length; at++) {
    if (!COMMENT_LINE.test(lines[at] as string)) return at + 1;
  }
  return index + 2;
}

/** Where an object's pod template keeps its metadata, for the kinds that have one. */
function podTemplateMetadataPath(specPath: FieldPath): FieldPath | undefined {
  // The pod spec of a workload sits at `…template.spec`; its metadata beside it at `…template.metadata`.
  return specPath.length >= 2 && specPath[specPath.length - 1] === 'spec' ? [...specPath.slice(0, -1), 'metadata'] : undefined;
}

/**
 * `k8s-audit.dev/ignore` annotations on the objects of every manifest set (on the object's metadata
 * or its pod template's), once each although several overlays render the same object.
 */
export function annotationDirectives(sets: readonly ManifestSet[]): Directive[] {
  const byKey = new Map<string, Directive>();
  for (const set of sets) {
    const templates = new Map(podSpecs(set.resources).map(({ resource, path }) => [resource, path]));
    for (const resource of set.resources) {
      const metadataPaths: FieldPath[] = [['metadata']];
      const specPath = templates.get(resource);
      const templateMetadata = specPath === undefined ? undefined : podTemplateMetadataPath(specPath);
      if (templateMetadata !== undefined) metadataPaths.push(templateMetadata);
      for (const metadataPath of metadataPaths) {
        for (const directive of objectDirectives(resource, metadataPath)) {
          byKey.set(`${directive.location.file}:${directive.location.line}:${directive.text}:${directive.ruleIds.join(',')}`, directive);
        }
      }
    }
  }
  return [...byKey.values()];
}

function objectDirectives(resource: Resource, metadataPath: FieldPath): Directive[] {
  const annotations = valueAt(resource.object, [...metadataPath, 'annotations']);
  if (!isRecord(annotations)) return [];
  const value = annotations[IGNORE_ANNOTATION];
  if (typeof value !== 'string') return [];
  const location = resource.locate([...metadataPath, 'annotations', IGNORE_ANNOTATION]);
  const range = resource.locate([]);
  const workload = workloadName(resource);
  return value
    .split(/\r?\n/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const colon = entry.indexOf(':');
      const idsPart = colon === -1 ? entry : entry.slice(0, colon);
      const reason = colon === -1 ? '' : entry.slice(colon + 1).trim();
      const ruleIds = idsPart.split(/[\s,]+/).filter((id) => id !== '');
      return { kind: 'annotation' as const, ruleIds, ...(reason === '' ? {} : { reason }), location, text: `${IGNORE_ANNOTATION}: "${entry}"`, scope: { workload, range } };
    });
}

function covers(directive: Directive, finding: Finding): boolean {
  if (!directive.ruleIds.includes(finding.ruleId)) return false;
  const { scope } = directive;
  if ('workload' in scope) {
    if (finding.workload === scope.workload) return true;
    return finding.file === scope.range.file && finding.line >= scope.range.line && finding.line <= scope.range.endLine;
  }
  if (finding.file !== scope.file) return false;
  return !('line' in scope) || finding.line === scope.line;
}

/** Splits the findings into those that stay and those a directive with a reason silences. */
export function applySuppressions<F extends Finding>(findings: readonly F[], directives: readonly Directive[]): { kept: F[]; suppressed: SuppressedFinding<F>[] } {
  const accountable = directives.filter((directive) => directive.reason !== undefined);
  const kept: F[] = [];
  const suppressed: SuppressedFinding<F>[] = [];
  for (const finding of findings) {
    const directive = accountable.find((candidate) => covers(candidate, finding));
    if (directive === undefined) {
      kept.push(finding);
      continue;
    }
    suppressed.push({
      ...finding,
      suppression: { kind: directive.kind, reason: directive.reason as string, file: directive.location.file, line: directive.location.line },
    });
  }
  return { kept, suppressed };
}
