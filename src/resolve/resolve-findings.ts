// The resolve stage in one pure function: inline suppressions first (they are decisions about a
// finding wherever it is reported), then `--changed-since`, then the baseline, whose counts are
// what the PR comment shows as new and known.
import type { Finding } from '../findings.js';
import { applyBaseline } from './baseline.js';
import { onlyChanged } from './changed-files.js';
import { applySuppressions, type Directive, type SuppressedFinding } from './suppressions.js';

export interface ResolveInput {
  directives: readonly Directive[];
  /** Files changed in the change under review; undefined keeps every finding. */
  changedFiles?: ReadonlySet<string>;
  /** Fingerprints of known findings; undefined marks nothing new. */
  baseline?: ReadonlySet<string>;
}

export interface Resolved<F extends Finding> {
  findings: F[];
  suppressed: SuppressedFinding<F>[];
  baseline?: { known: number; new: number };
}

export function resolveFindings<F extends Finding>(audited: readonly F[], input: ResolveInput): Resolved<F> {
  let { kept: findings, suppressed } = applySuppressions(audited, input.directives);
  if (input.changedFiles !== undefined) {
    findings = onlyChanged(findings, input.changedFiles);
    suppressed = onlyChanged(suppressed, input.changedFiles);
  }
  if (input.baseline === undefined) return { findings, suppressed };
  const applied = applyBaseline(findings, input.baseline);
  return { findings: applied.findings, suppressed, baseline: { known: applied.known, new: applied.findings.length } };
}
