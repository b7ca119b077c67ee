// The vocabulary every stage shares: levels, categories, efforts, locations and findings.
// These are closed unions on purpose: a reporter or a rule that invents a new level or
// category is a compile error, not a surprise in somebody's dashboard.

export const LEVELS = ['P0', 'P1', 'P2'] as const;
export type Level = (typeof LEVELS)[number];

/** P0 ranks highest; a smaller rank is more severe. */
export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

export const EFFORTS = ['XS', 'S', 'M', 'L'] as const;
export type Effort = (typeof EFFORTS)[number];

/** Hours of work an effort stands for, used for the report's total estimate (XS < 2 h, S ≤ 1 day, M 2–5 days, L > 1 week). */
export const EFFORT_HOURS: Record<Effort, number> = { XS: 1, S: 6, M: 24, L: 60 };

export const CATEGORIES = [
  'in-memory-state',
  'module-cache',
  'local-fs-persistence',
  'startup-fs-load',
  'memory-session',
  'memory-rate-limit',
  'sticky-session',
  'in-process-scheduler',
  'worker-config',
  'required-env',
  'hardcoded-endpoint',
  'missing-backing-service',
  'no-graceful-shutdown',
  'file-logging',
  'module-crypto',
  'image-tag',
  'optional-secret',
  'stateful-single-replica',
  'stateful-no-pvc',
  'probes',
  'resources',
  'security-context',
  'availability',
  'missing-reference',
  'kustomize-merge',
  'template-placeholder',
  'schema',
  // The audit's own directives: a suppression without a reason, or naming a rule that does not exist.
  'suppression',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** A span in a file a person can open. Lines and columns are 1-based; `file` is POSIX and relative to the working directory. */
export interface Span {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface RelatedLocation {
  file: string;
  line: number;
  message: string;
}

/** A finding as the JSON contract of DESIGN.md defines it. */
export interface Finding extends Span {
  ruleId: string;
  category: Category;
  severity: Level;
  message: string;
  workload?: string;
  /** The rendered overlays a manifest finding holds in: one finding for a base line every overlay shares. */
  overlays?: string[];
  related?: RelatedLocation[];
  why: string;
  fix: string;
  effort: Effort;
  fingerprint: string;
  /** Set when a baseline is in use and this finding is not in it. */
  new?: boolean;
}

/** A file the audit could not read, parse or render, with a one-line reason. */
export interface AuditError {
  file: string;
  message: string;
}

/** Code-unit order, the same on every platform and locale: what deterministic output sorts by. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSpans(a: Span, b: Span): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.line - b.line ||
    a.column - b.column ||
    a.endLine - b.endLine ||
    a.endColumn - b.endColumn
  );
}
