// Runs the enabled rules over the models and turns their reports into findings. Manifest
// rules run once per manifest set; a base line reported by several overlays becomes one
// finding that names them all.
import type { Finding, Level } from './findings.js';
import type { LinkModel } from './link/link-model.js';
import type { ClusterModel, ManifestSet } from './manifests/cluster-model.js';
import type { ReportInput, Rule } from './rule.js';
import type { AppModel } from './source/app-model.js';

/** A finding before fingerprints and snippets: what a rule said, with the rule's metadata. */
export type RawFinding = Omit<Finding, 'fingerprint'> & { title: string };

export interface RuleError {
  ruleId: string;
  message: string;
}

export function runRules(
  rules: readonly Rule[],
  app: AppModel,
  cluster: ClusterModel,
  links: LinkModel,
): { findings: RawFinding[]; ruleErrors: RuleError[] } {
  const linkedSets = links.sets.filter((set) => set.containers.some((container) => container.package !== undefined));
  const findings: RawFinding[] = [];
  const ruleErrors: RuleError[] = [];
  for (const rule of rules) {
    const toFinding = (input: ReportInput): RawFinding => ({
      ruleId: rule.id,
      category: rule.category,
      severity: input.severity ?? rule.severity,
      message: input.message,
      ...input.location,
      ...(input.workload === undefined ? {} : { workload: input.workload }),
      ...(input.related === undefined || input.related.length === 0 ? {} : { related: input.related }),
      title: rule.docs.summary,
      why: rule.docs.why,
      fix: rule.docs.fix,
      effort: rule.effort,
    });
    try {
      if (rule.kind === 'source') {
        rule.check({ app, links, report: (input) => findings.push(toFinding(input)) });
      } else if (rule.kind === 'manifest') {
        findings.push(...runPerSet(cluster.sets, (set) => set, (set, report) => rule.check({ cluster: set, report }), toFinding));
      } else {
        findings.push(...runPerSet(linkedSets, (set) => set.set, (set, report) => rule.check({ app, links: set, report }), toFinding));
      }
    } catch (error) {
      // One broken rule must not take the audit down; the error names it.
      ruleErrors.push({ ruleId: rule.id, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { findings, ruleErrors };
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
