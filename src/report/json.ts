// The JSON contract of DESIGN.md: other tools parse it, so it carries exactly these fields, in this order.
import type { AuditResult } from '../audit-result.js';
import type { Finding } from '../findings.js';

export function renderJson(result: AuditResult): string {
  const report = {
    tool: result.tool,
    summary: {
      ...result.summary,
      suppressed: result.suppressed.length,
      ...(result.baseline === undefined ? {} : { baseline: result.baseline }),
    },
    findings: result.findings.map(contractFinding),
    suppressed: result.suppressed.map((finding) => ({ ...contractFinding(finding), suppression: finding.suppression })),
    manifests: result.manifests,
    workloads: result.workloads,
    env: result.env,
    errors: result.errors,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

function contractFinding(finding: Finding): Finding {
  return {
    ruleId: finding.ruleId,
    category: finding.category,
    severity: finding.severity,
    message: finding.message,
    file: finding.file,
    line: finding.line,
    column: finding.column,
    endLine: finding.endLine,
    endColumn: finding.endColumn,
    ...(finding.workload === undefined ? {} : { workload: finding.workload }),
    ...(finding.overlays === undefined ? {} : { overlays: finding.overlays }),
    ...(finding.related === undefined ? {} : { related: finding.related }),
    why: finding.why,
    fix: finding.fix,
    effort: finding.effort,
    fingerprint: finding.fingerprint,
    ...(finding.new === true ? { new: true } : {}),
  };
}
