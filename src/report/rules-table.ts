// The README's rule table, rendered from rule metadata so the two cannot drift
// (scripts/regenerate-reports.mjs writes it into the README; a test checks it is current).
import { markdownTable } from 'markdown-table';
import type { Rule } from '../rule.js';

export function renderRulesTable(rules: readonly Rule[]): string {
  const sorted = [...rules].sort((a, b) => (a.id < b.id ? -1 : 1));
  return markdownTable(
    [
      ['Rule', 'Kind', 'Level', 'Effort', 'Finds', 'Fix'],
      ...sorted.map((rule) => [`\`${rule.id}\``, rule.kind, rule.severity, rule.effort, rule.docs.summary, rule.docs.fix]),
    ],
    { alignDelimiters: false },
  );
}
