// What a rule is: metadata as data plus a check that queries a model and reports.
// `defineSourceRule`, `defineManifestRule`, `defineCrossRule` and `defineResolveRule` are typed
// identity helpers, so a rule file is checked by the compiler and the engine stays the only thing
// that runs rules.
import type { z } from 'zod';
import type { Category, Effort, Level, RelatedLocation, Span } from './findings.js';
import type { AppModel } from './source/app-model.js';
import type { LinkModel, SetLinks } from './link/link-model.js';
import type { ManifestSet } from './manifests/cluster-model.js';
import type { Directive } from './resolve/suppressions.js';

export interface RuleDocs {
  /** One line: what the rule finds. */
  summary: string;
  /** Why it breaks on Kubernetes, in general; the finding message says it for this instance. */
  why: string;
  /** What to do instead. */
  fix: string;
}

/** A rule's options: a zod schema whose defaults make `{}` valid, so a rule runs unconfigured. */
export type OptionsSchema = z.ZodType<Record<string, unknown>>;

export interface RuleMeta<Id extends string = string, Options extends OptionsSchema = OptionsSchema> {
  /** kebab-case; the file name, the fixture folder and the SARIF ruleId. */
  id: Id;
  category: Category;
  /** Default level; a report may raise or lower it, and its message then says why. */
  severity: Level;
  effort: Effort;
  docs: RuleDocs;
  /** What `rules.config.ts` may set for this rule (`['P1', { … }]`); validated at load, defaults applied. */
  options?: Options;
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

/** The options a check receives: the schema's output, or nothing for a rule without options. */
export type OptionsOf<Options extends OptionsSchema> = z.output<Options>;

export interface SourceRule<Id extends string = string, Options extends OptionsSchema = OptionsSchema> extends RuleMeta<Id, Options> {
  kind: 'source';
  /** `links` says which workloads run each file, for messages that name them; empty without manifests. */
  check(context: { app: AppModel; links: LinkModel; report: Report; options: OptionsOf<Options> }): void;
}

export interface ManifestRule<Id extends string = string, Options extends OptionsSchema = OptionsSchema> extends RuleMeta<Id, Options> {
  kind: 'manifest';
  /** Called once per manifest set (each rendered overlay, and the plain files). */
  check(context: { cluster: ManifestSet; report: Report; options: OptionsOf<Options> }): void;
}

/** A rule that compares what the code needs with what a manifest set gives its workloads. */
export interface CrossRule<Id extends string = string, Options extends OptionsSchema = OptionsSchema> extends RuleMeta<Id, Options> {
  kind: 'cross';
  /** Called once per manifest set in which at least one container runs a scanned package. */
  check(context: { app: AppModel; links: SetLinks; report: Report; options: OptionsOf<Options> }): void;
}

/**
 * A rule about the audit's own directives (inline suppressions and ignore annotations): it runs in
 * the resolve stage, after the other rules, on the directives read from the scanned files.
 */
export interface ResolveRule<Id extends string = string, Options extends OptionsSchema = OptionsSchema> extends RuleMeta<Id, Options> {
  kind: 'resolve';
  check(context: { directives: readonly Directive[]; knownRuleIds: ReadonlySet<string>; report: Report; options: OptionsOf<Options> }): void;
}

export type Rule = SourceRule | ManifestRule | CrossRule | ResolveRule;

export function defineSourceRule<const Id extends string, Options extends OptionsSchema = OptionsSchema>(
  rule: Omit<SourceRule<Id, Options>, 'kind'>,
): SourceRule<Id, Options> {
  return { kind: 'source', ...rule };
}

export function defineManifestRule<const Id extends string, Options extends OptionsSchema = OptionsSchema>(
  rule: Omit<ManifestRule<Id, Options>, 'kind'>,
): ManifestRule<Id, Options> {
  return { kind: 'manifest', ...rule };
}

export function defineCrossRule<const Id extends string, Options extends OptionsSchema = OptionsSchema>(
  rule: Omit<CrossRule<Id, Options>, 'kind'>,
): CrossRule<Id, Options> {
  return { kind: 'cross', ...rule };
}

export function defineResolveRule<const Id extends string, Options extends OptionsSchema = OptionsSchema>(
  rule: Omit<ResolveRule<Id, Options>, 'kind'>,
): ResolveRule<Id, Options> {
  return { kind: 'resolve', ...rule };
}
