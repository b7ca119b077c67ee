import { closest, distance } from 'fastest-levenshtein';
import { defineResolveRule } from '../rule.js';

export default defineResolveRule({
  id: 'suppression-reason',
  category: 'suppression',
  severity: 'P2',
  effort: 'XS',
  docs: {
    summary: 'Suppression without a reason, or naming a rule k8s-audit does not have',
    why: 'A suppression hides a finding from the report and the gate; without a reason nobody can tell later whether the risk was weighed or waved through, and one naming an unknown rule (a typo, a renamed rule) hides nothing while looking as if it did.',
    fix: 'Write why the finding is accepted after `--` (`// k8s-audit-ignore-next-line in-memory-state -- per-pod warm-up cache, rebuilt on start`), or after the colon of a `k8s-audit.dev/ignore` annotation, and name an existing rule id.',
  },
  check({ directives, knownRuleIds, report }) {
    for (const directive of directives) {
      const written = `\`${directive.text.trim()}\``;
      if (directive.ruleIds.length === 0) {
        report({ location: directive.location, message: `${written} names no rule: it suppresses nothing; name the rule id it is for` });
        continue;
      }
      if (directive.reason === undefined) {
        const form = directive.kind === 'annotation' ? '`<rule-id>: <reason>`' : '`-- <reason>`';
        report({ location: directive.location, message: `${written} gives no reason (${form}), so it suppresses nothing: ${directive.ruleIds.map((id) => `\`${id}\``).join(', ')} findings stay reported` });
      }
      for (const ruleId of directive.ruleIds) {
        if (knownRuleIds.has(ruleId)) continue;
        const guess = closest(ruleId, [...knownRuleIds]);
        const suggestion = distance(ruleId, guess) <= Math.max(2, Math.floor(ruleId.length / 3)) ? ` (did you mean \`${guess}\`?)` : '';
        report({ location: directive.location, message: `${written} names rule \`${ruleId}\`, which k8s-audit does not have${suggestion}: it suppresses nothing` });
      }
    }
  },
});
