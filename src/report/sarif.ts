// SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps, IDE viewers):
// one run, rule descriptors from rule metadata, one result per finding; a suppressed finding is a
// result with an in-source suppression and its justification, so dashboards show it as dismissed.
import type * as Sarif from 'sarif';
import { compareStrings, type AuditError, type Finding, type RelatedLocation } from '../findings.js';
import type { AuditResult, ReportedFinding } from '../audit-result.js';
import type { RuleMeta } from '../rule.js';
import type { ReportOptions } from './index.js';
import { SARIF_LEVELS } from './levels.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
/** The key of a result's partial fingerprint; bump the version if the fingerprint's recipe changes. */
export const FINGERPRINT_KEY = 'k8sAudit/v1';
/** Paths in the report are relative to the working directory the audit ran in: the source root. */
export const SRCROOT = '%SRCROOT%';

export function renderSarif(result: AuditResult, options: ReportOptions = {}): string {
  const rules = ruleDescriptors([...result.findings, ...result.suppressed], options.rules ?? []);
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  const run: Sarif.Run = {
    tool: { driver: { name: result.tool.name, version: result.tool.version, semanticVersion: result.tool.version, rules } },
    // TypeScript and the yaml package both count columns in UTF-16 code units.
    columnKind: 'utf16CodeUnits',
    ...(result.errors.length === 0 ? {} : { invocations: [invocation(result.errors)] }),
    results: [
      ...result.findings.map((finding) => sarifResult(finding, ruleIndex.get(finding.ruleId) as number)),
      ...result.suppressed.map((finding) => ({
        ...sarifResult(finding, ruleIndex.get(finding.ruleId) as number),
        suppressions: [
          {
            kind: 'inSource' as const,
            justification: finding.suppression.reason,
            location: { physicalLocation: { artifactLocation: artifact(finding.suppression.file), region: { startLine: finding.suppression.line } } },
          },
        ],
      })),
    ],
  };
  const log: Sarif.Log = { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/**
 * One descriptor per rule given (the CLI passes every rule, so a dashboard knows the rules that found
 * nothing too), plus one for any rule a finding names that is not among them; sorted by id.
 */
function ruleDescriptors(findings: readonly ReportedFinding[], rules: readonly RuleMeta[]): Sarif.ReportingDescriptor[] {
  const byId = new Map<string, Sarif.ReportingDescriptor>();
  for (const rule of rules) byId.set(rule.id, descriptor(rule.id, rule.docs.summary, rule.docs.why, rule.docs.fix, rule.category, rule.effort, rule.severity));
  for (const finding of findings) {
    // No metadata given: the finding carries the docs; its level may be raised or lowered, so it says nothing of the default.
    if (!byId.has(finding.ruleId)) byId.set(finding.ruleId, descriptor(finding.ruleId, finding.title, finding.why, finding.fix, finding.category, finding.effort, undefined));
  }
  return [...byId.values()].sort((a, b) => compareStrings(a.id, b.id));
}

function descriptor(
  id: string,
  summary: string,
  why: string,
  fix: string,
  category: RuleMeta['category'],
  effort: RuleMeta['effort'],
  severity: RuleMeta['severity'] | undefined,
): Sarif.ReportingDescriptor {
  return {
    id,
    name: id,
    shortDescription: { text: summary },
    fullDescription: { text: why },
    help: { text: fix, markdown: fix },
    ...(severity === undefined ? {} : { defaultConfiguration: { level: SARIF_LEVELS[severity] } }),
    properties: { category, effort },
  };
}

function sarifResult(finding: Finding, ruleIndex: number): Sarif.Result {
  const properties: Sarif.PropertyBag = {};
  if (finding.workload !== undefined) properties.workload = finding.workload;
  if (finding.overlays !== undefined) properties.overlays = finding.overlays;
  properties.effort = finding.effort;
  return {
    ruleId: finding.ruleId,
    ruleIndex,
    level: SARIF_LEVELS[finding.severity],
    message: { text: finding.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: artifact(finding.file),
          region: { startLine: finding.line, startColumn: finding.column, endLine: finding.endLine, endColumn: finding.endColumn },
        },
      },
    ],
    ...(finding.related === undefined ? {} : { relatedLocations: finding.related.map(relatedLocation) }),
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    properties,
  };
}

function relatedLocation(related: RelatedLocation, index: number): Sarif.Location {
  return {
    id: index,
    physicalLocation: { artifactLocation: artifact(related.file), region: { startLine: related.line } },
    message: { text: related.message },
  };
}

/** Files the audit could not read or render: tool notifications, so a dashboard shows the audit was partial. */
function invocation(errors: readonly AuditError[]): Sarif.Invocation {
  return {
    executionSuccessful: true,
    toolExecutionNotifications: errors.map((error) =>
      // `rule:<id>` names a rule that threw, not a file.
      error.file.startsWith('rule:')
        ? { level: 'error', message: { text: `${error.file}: ${error.message}` } }
        : { level: 'warning', message: { text: error.message }, locations: [{ physicalLocation: { artifactLocation: artifact(error.file) } }] },
    ),
  };
}

/** A POSIX path relative to the source root, as a relative URI reference (`uriBaseId` says relative to what). */
export function artifact(file: string): Sarif.ArtifactLocation {
  return { uri: encodePath(file), uriBaseId: SRCROOT };
}

/** Each segment percent-encoded (spaces, `#`, `?`, `%`, and `:`, which would read as a scheme), `@` kept for scoped package folders. */
export function encodePath(file: string): string {
  return file
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%40/g, '@'))
    .join('/');
}
