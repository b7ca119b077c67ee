// One line per finding, grouped by level: for terminals and CI logs.
import pc from 'picocolors';
import type { AuditResult } from '../audit-result.js';
import { LEVELS } from '../findings.js';
import type { ReportOptions } from './index.js';
import { LEVEL_COLOURS } from './levels.js';

export function renderText(result: AuditResult, options: ReportOptions = {}): string {
  const colours = pc.createColors(options.color === true);
  const lines: string[] = [];
  for (const level of LEVELS) {
    const colour = colours[LEVEL_COLOURS[level]];
    for (const finding of result.findings.filter((f) => f.severity === level)) {
      lines.push(`${colour(level)} ${finding.file}:${finding.line} ${colours.dim(finding.ruleId)} ${finding.message}`);
    }
  }
  for (const error of result.errors) lines.push(`${colours.magenta('error')} ${error.file}: ${error.message}`);
  const { P0, P1, P2 } = result.summary;
  // Suppressed and baseline counts only when there are some: a plain run's last line stays as it was.
  const hidden = [
    ...(result.suppressed.length === 0 ? [] : [`${result.suppressed.length} suppressed`]),
    ...(result.baseline === undefined ? [] : [`${result.baseline.known} in the baseline`]),
  ];
  lines.push(`${P0} P0, ${P1} P1, ${P2} P2 finding${P0 + P1 + P2 === 1 ? '' : 's'}${hidden.length === 0 ? '' : ` (${hidden.join(', ')})`}; ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}
