// What a rule is: metadata as data plus a check that queries a model and reports.
// `defineSourceRule` and `defineManifestRule` are typed identity helpers, so a rule file is
// checked by the compiler and the engine stays the only thing that runs rules.
import type { Category, Effort, Level, RelatedLocation, Span } from './findings.js';
import type { AppModel } from './source/app-model.js';
import type { LinkModel, SetLinks } from './link/link-model.js';
import type { ManifestSet } from './manifests/cluster-model.js';

export interface RuleDocs {
  /** One line: what the rule finds. */
  summary: string;
  /** Why it breaks on Kubernetes, in general; the finding message says it for this instance. */
  why: string;
  /** What to do instead. */
  fix: string;
}

export interface RuleMeta {
  /** kebab-case; the file name, the fixture folder and the SARIF ruleId. */
  id: string;
  category: Category;
  /** Default level; a report may raise or lower it, and its message then says why. */
  severity: Level;
  effort: Effort;
  docs: RuleDocs;
}

export interface ReportInput {
  location: Span;
  /** Describes this instance: names the identifier, handler, variable or object. */
  message: string;
  /** Overrides the rule's default level for this instance. */
  severity?: Level;
  related?: RelatedLocation[];
  /** `Deployment/api`, when the finding concerns a workload. */
  workload?: string;
}

export type Report = (input: ReportInput) => void;

export interface SourceRule extends RuleMeta {
  kind: 'source';
  /** `links` says which workloads run each file, for messages that name them; empty without manifests. */
  check(context: { app: AppModel; links: LinkModel; report: Report }): void;
}

export interface ManifestRule extends RuleMeta {
  kind: 'manifest';
  /** Called once per manifest set (each rendered overlay, and the plain files). */
  check(context: { cluster: ManifestSet; report: Report }): void;
}

/** A rule that compares what the code needs with what a manifest set gives its workloads. */
export interface CrossRule extends RuleMeta {
  kind: 'cross';
  /** Called once per manifest set in which at least one container runs a scanned package. */
  check(context: { app: AppModel; links: SetLinks; report: Report }): void;
}

export type Rule = SourceRule | ManifestRule | CrossRule;

export function defineSourceRule(rule: Omit<SourceRule, 'kind'>): SourceRule {
  return { kind: 'source', ...rule };
}

export function defineManifestRule(rule: Omit<ManifestRule, 'kind'>): ManifestRule {
  return { kind: 'manifest', ...rule };
}

export function defineCrossRule(rule: Omit<CrossRule, 'kind'>): CrossRule {
  return { kind: 'cross', ...rule };
}
