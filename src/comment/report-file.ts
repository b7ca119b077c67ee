// The comment is rendered from k8s-audit.json, the report the audit step already wrote, rather than
// from a comment the audit step pre-rendered (`--format github`), for two reasons:
// - links: a pre-rendered comment links lines at GITHUB_SHA, which on `pull_request` events is the
//   temporary merge commit GitHub recreates on every push; this command reads the event and links at
//   the PR's head commit, which stays.
// - one contract: the JSON report is the file CI keeps and other tools parse; the comment needs
//   nothing beyond it except each rule's one-line title, which is rule metadata this binary owns.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { allRules, TOOL } from '../audit.js';
import { CATEGORIES, EFFORTS, LEVELS } from '../findings.js';
import type { CommentInput } from '../report/github-comment.js';
import { CommentSetupError } from './github-context.js';

const count = z.number().int().nonnegative();
const position = z.number().int().positive();

/** The fields of the JSON contract (DESIGN.md) the comment shows; anything else in the file is ignored. */
const reportSchema = z.object({
  tool: z.object({ name: z.string(), version: z.string() }),
  summary: z.object({ P0: count, P1: count, P2: count, baseline: z.object({ known: count, new: count }).optional() }),
  findings: z.array(
    z.object({
      ruleId: z.string(),
      category: z.enum(CATEGORIES),
      severity: z.enum(LEVELS),
      message: z.string(),
      file: z.string(),
      line: position,
      column: position,
      endLine: position,
      endColumn: position,
      workload: z.string().optional(),
      overlays: z.array(z.string()).optional(),
      related: z.array(z.object({ file: z.string(), line: position, message: z.string() })).optional(),
      why: z.string(),
      fix: z.string(),
      effort: z.enum(EFFORTS),
      fingerprint: z.string(),
      /** Set with a baseline on the findings not in it; the comment marks them. */
      new: z.boolean().optional(),
    }),
  ),
  errors: z.array(z.object({ file: z.string(), message: z.string() })),
});

export interface LoadedReport {
  input: CommentInput;
  /** Things worth a line on stderr that do not stop the comment. */
  warnings: string[];
}

export function loadReport(file: string): LoadedReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CommentSetupError(`cannot read the report ${file}: ${(error as Error).message} (write it first: k8s-audit --format json)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CommentSetupError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
    const writer = versionOf(json);
    const other = writer === undefined || writer === TOOL.version ? '' : ` (written by k8s-audit ${writer}, this is ${TOOL.version})`;
    throw new CommentSetupError(`${file} is not a k8s-audit JSON report${where}: ${issue?.message ?? 'invalid'}${other}`);
  }
  const report = parsed.data;
  const titles = new Map(allRules.map((rule) => [rule.id, rule.docs.summary]));
  const warnings: string[] = [];
  if (report.tool.version !== TOOL.version) warnings.push(`${file} was written by ${report.tool.name} ${report.tool.version}, this is ${TOOL.version}`);
  const unknown = [...new Set(report.findings.map((finding) => finding.ruleId).filter((id) => !titles.has(id)))];
  if (unknown.length > 0) warnings.push(`rules this version does not know, titled by category: ${unknown.join(', ')}`);
  return {
    input: {
      summary: { P0: report.summary.P0, P1: report.summary.P1, P2: report.summary.P2 },
      ...(report.summary.baseline === undefined ? {} : { baseline: report.summary.baseline }),
      findings: report.findings.map((finding) => ({ ...finding, title: titles.get(finding.ruleId) ?? finding.category })),
      errors: report.errors,
    },
    warnings,
  };
}

/** The version a report says wrote it, read before validation so a failed one can name it. */
function versionOf(json: unknown): string | undefined {
  const tool = typeof json === 'object' && json !== null && 'tool' in json ? json.tool : undefined;
  const version = typeof tool === 'object' && tool !== null && 'version' in tool ? tool.version : undefined;
  return typeof version === 'string' ? version : undefined;
}
