// A baseline is the set of findings a team has accepted for now: later runs hide them by
// fingerprint (which survives line shifts) and mark the rest new. The file is sorted JSON with
// the rule, file and message beside each fingerprint, so a person can review it in a diff.
import { compareStrings, type Finding } from '../findings.js';

export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  file: string;
  message: string;
}

export class BaselineError extends Error {}

/** The baseline file's text for these findings: deterministic, one entry per fingerprint. */
export function renderBaseline(findings: readonly Finding[]): string {
  const entries: BaselineEntry[] = findings
    .map(({ fingerprint, ruleId, file, message }) => ({ fingerprint, ruleId, file, message }))
    .sort((a, b) => compareStrings(a.file, b.file) || compareStrings(a.ruleId, b.ruleId) || compareStrings(a.fingerprint, b.fingerprint));
  return `${JSON.stringify({ version: BASELINE_VERSION, findings: entries }, null, 2)}\n`;
}

/** The fingerprints a baseline file holds; a file that is not one is an error naming it. */
export function parseBaseline(text: string, file: string): Set<string> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BaselineError(`baseline ${file} is not JSON: ${(error as Error).message}`);
  }
  const findings = typeof data === 'object' && data !== null ? (data as { findings?: unknown }).findings : undefined;
  if (!Array.isArray(findings) || !findings.every((entry) => typeof (entry as { fingerprint?: unknown } | null)?.fingerprint === 'string')) {
    throw new BaselineError(`baseline ${file} has no "findings" list of { "fingerprint": … } entries; write one with --update-baseline`);
  }
  return new Set(findings.map((entry: { fingerprint: string }) => entry.fingerprint));
}

/** Hides the findings the baseline knows and marks the others new. */
export function applyBaseline<F extends Finding>(findings: readonly F[], known: ReadonlySet<string>): { findings: F[]; known: number } {
  const fresh = findings.filter((finding) => !known.has(finding.fingerprint)).map((finding) => ({ ...finding, new: true }));
  return { findings: fresh, known: findings.length - fresh.length };
}

