// Runs the enabled rules over the models and turns their reports into findings. Manifest
// rules run once per manifest set; a base line reported by several overlays becomes one
// finding that names them all.
import type { Finding, Level } from './findings.js';
import type { LinkModel } from './link/link-model.js';
import type { ClusterModel, ManifestSet } from './manifests/cluster-model.js';
import type { Directive } from './resolve/suppressions.js';
import type { ReportInput, Rule } from './rule.js';
import type { AppModel } from './source/app-model.js';

/** A finding before fingerprints and snippets: what a rule said, with the rule's metadata. */
export type RawFinding = Omit<Finding, 'fingerprint'> & { title: string };

export interface RuleError {
  ruleId: string;
  message: string;
}

/** What configuration sets per rule: a level that replaces every finding's, and the validated options. */
export interface RuleSettings {
  levels?: Readonly<Record<string, Level>>;
  options?: Readonly<Record<string, Record<string, unknown>>>;
}

function findingMaker(rule: Rule, settings: RuleSettings): (input: ReportInput) => RawFinding {
  const level = settings.levels?.[rule.id];
  return (input) => ({
    ruleId: rule.id,
    category: rule.category,
    // A configured level is the team's decision and wins over the rule's context-dependent one.
    severity: level ?? input.severity ?? rule.severity,
    message: input.message,
    // Only the span: a rule may pass a richer site (an env read, an fs call) as the location.
    file: input.location.file,
    line: input.location.line,
    column: input.location.column,
    endLine: input.location.endLine,
    endColumn: input.location.endColumn,
    ...(input.workload === undefined ? {} : { workload: input.workload }),
    ...(input.related === undefined || input.related.length === 0 ? {} : { related: input.related }),
    title: rule.docs.summary,
    why: rule.docs.why,
    fix: rule.docs.fix,
    effort: rule.effort,
  });
}

/** The options a rule runs with: the configured ones, else the schema's defaults. */
export function ruleOptions(rule: Rule, settings: RuleSettings): Record<string, unknown> {
  return settings.options?.[rule.id] ?? rule.options?.parse({}) ?? {};
}

export function runRules(
  rules: readonly Rule[],
  app: AppModel,
  cluster: ClusterModel,
  links: LinkModel,
  settings: RuleSettings = {},
): { findings: RawFinding[]; ruleErrors: RuleError[] } {
  const linkedSets = links.sets.filter((set) => set.containers.some((container) => container.package !== undefined));
  const findings: RawFinding[] = [];
  const ruleErrors: RuleError[] = [];
  for (const rule of rules) {
    if (rule.kind === 'resolve') continue;
    const toFinding = findingMaker(rule, settings);
    try {
      const options = ruleOptions(rule, settings);
      if (rule.kind === 'source') {
        rule.check({ app, links, report: (input) => findings.push(toFinding(input)), options });
      } else if (rule.kind === 'manifest') {
        findings.push(...runPerSet(cluster.sets, (set) => set, (set, report) => rule.check({ cluster: set, report, options }), toFinding));
      } else {
        findings.push(...runPerSet(linkedSets, (set) => set.set, (set, report) => rule.check({ app, links: set, report, options }), toFinding));
      }
    } catch (error) {
      // One broken rule must not take the audit down; the error names it.
      ruleErrors.push({ ruleId: rule.id, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { findings, ruleErrors };
}

/** Runs the resolve rules over the directives read from the scanned files. */
export function runResolveRules(
  rules: readonly Rule[],
  directives: readonly Directive[],
  knownRuleIds: ReadonlySet<string>,
  settings: RuleSettings = {},
): RawFinding[] {
  const findings: RawFinding[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'resolve') continue;
    const toFinding = findingMaker(rule, settings);
    rule.check({ directives, knownRuleIds, report: (input) => findings.push(toFinding(input)), options: ruleOptions(rule, settings) });
  }
  return findings;
}

/** Runs a manifest or cross rule once per manifest set. */
function runPerSet<T>(
  sets: readonly T[],
  manifestSetOf: (set: T) => ManifestSet,
  check: (set: T, report: (input: ReportInput) => void) => void,
  toFinding: (input: ReportInput) => RawFinding,
): RawFinding[] {
  // The same location and message from several overlays is one finding; the overlays are listed.
  const byKey = new Map<string, { finding: RawFinding; overlays: string[] }>();
  for (const set of sets) {
    const { kind, source } = manifestSetOf(set);
    check(set, (input) => {
      const finding = toFinding(input);
      const key = [finding.file, finding.line, finding.column, finding.severity, finding.message, finding.workload].join('\0');
      const entry = byKey.get(key) ?? { finding, overlays: [] };
      if (kind === 'overlay' && !entry.overlays.includes(source)) entry.overlays.push(source);
      byKey.set(key, entry);
    });
  }
  return [...byKey.values()].map(({ finding, overlays }) => (overlays.length === 0 ? finding : { ...finding, overlays: overlays.sort() }));
}

/** `(overlay \`prod\`)`, `(overlays \`local\`, \`prod\`)`: appended to a manifest finding's message. */
export function describeOverlays(overlays: readonly string[]): string {
  return overlays.length === 1 ? `(overlay \`${overlays[0]}\`)` : `(overlays ${overlays.map((o) => `\`${o}\``).join(', ')})`;
}

export function countByLevel(findings: readonly { severity: Level }[]): Record<Level, number> {
  const counts: Record<Level, number> = { P0: 0, P1: 0, P2: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}
