// The package's public API: run the audit from code, write rules, render reports.
export { audit, allRules, type AuditOptions } from './audit.js';
export type { AuditResult, ReportedFinding } from './audit-result.js';
export { defineManifestRule, defineSourceRule, type ManifestRule, type Rule, type SourceRule } from './rule.js';
export { reporters, FORMATS, type Format, type Reporter, type ReportOptions } from './report/index.js';
export type { AuditError, Category, Effort, Finding, Level, Span } from './findings.js';
export { defineConfig, type Config, type RuleId, type RulesConfig, type RuleSetting } from './config.js';
export { defineResolveRule, type ResolveRule } from './rule.js';
