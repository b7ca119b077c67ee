// The sticky pull-request comment: a bot finds it by its first line and edits it in place on
// every push, so reviewers see one current verdict instead of a thread of stale ones.
import { markdownTable } from 'markdown-table';
import type { AuditResult, ReportedFinding } from '../audit-result.js';
import { LEVELS, type Level } from '../findings.js';
import type { ReportOptions } from './index.js';
import { LEVEL_BADGES, LEVEL_TITLES } from './levels.js';
import { encodePath } from './sarif.js';

/** The comment's first line; a bot looks for it to update the comment rather than post a new one. */
export const COMMENT_MARKER = '<!-- k8s-audit -->';
/** GitHub refuses comment bodies over 65,536 characters; stay clear of it. */
export const COMMENT_LIMIT = 65_000;
const TOP_FINDINGS = 20;
const TABLE_MESSAGE_LENGTH = 300;
/** Room kept for the note that says how many findings were left out. */
const NOTE_RESERVE = 400;

/**
 * What the comment shows of a result. Narrower than AuditResult on purpose: `k8s-audit comment`
 * rebuilds exactly this from the JSON report (see src/comment/report-file.ts).
 */
export type CommentInput = Pick<AuditResult, 'summary' | 'findings' | 'errors'> & {
  /** With a baseline: the findings it hid and those not in it (the JSON report's `summary.baseline`, from the resolve stage). */
  baseline?: { known: number; new: number };
};

export function renderGithubComment(result: CommentInput, options: ReportOptions = {}): string {
  const ordered = LEVELS.flatMap((level) => result.findings.filter((finding) => finding.severity === level));
  const head = [COMMENT_MARKER, '## Kubernetes readiness audit', verdict(result), baselineLine(result), countsTable(result), topFindings(ordered, options), errorsLine(result)]
    .filter((part) => part !== '')
    .join('\n\n');
  return `${head}${details(ordered, options, COMMENT_LIMIT - head.length - NOTE_RESERVE)}\n`;
}

function verdict(result: CommentInput): string {
  const { P0, P1, P2 } = result.summary;
  if (P0 > 0) return `❌ **${plural(P0, 'P0 finding')}**${P1 > 0 ? `, ${P1} P1` : ''}${P2 > 0 ? `, ${P2} P2` : ''}`;
  if (P1 > 0) return `⚠️ **${plural(P1, 'P1 finding')}**, no P0${P2 > 0 ? `; ${P2} P2` : ''}`;
  return `✅ **no P0 or P1 findings**${P2 > 0 ? ` (${P2} P2)` : ''}`;
}

/** With a baseline, every finding shown is new: say so, and how many known ones it hides. */
function baselineLine(result: CommentInput): string {
  if (result.baseline === undefined) return '';
  const { known } = result.baseline;
  return `🆕 ${plural(result.baseline.new, 'new finding')} not in the baseline; ${plural(known, 'known finding')} in the baseline ${known === 1 ? 'is' : 'are'} not shown.`;
}

/** `🆕 ` before a finding the baseline does not know. */
function newMark(finding: ReportedFinding): string {
  return finding.new === true ? '🆕 ' : '';
}

function countsTable(result: CommentInput): string {
  return markdownTable(
    [['Level', 'Meaning', 'Findings'], ...LEVELS.map((level) => [LEVEL_BADGES[level], LEVEL_TITLES[level], String(result.summary[level])])],
    { alignDelimiters: false },
  );
}

function topFindings(ordered: readonly ReportedFinding[], options: ReportOptions): string {
  if (ordered.length === 0) return '';
  const top = ordered.slice(0, TOP_FINDINGS);
  const rows = top.map((finding) => [
    finding.severity,
    `\`${finding.ruleId}\``,
    location(finding, options, true),
    `${newMark(finding)}${tableCell(shorten(finding.message, TABLE_MESSAGE_LENGTH))}`,
  ]);
  const title = ordered.length > top.length ? `### Most severe ${top.length} of ${ordered.length}` : '### Findings';
  return [title, markdownTable([['Level', 'Rule', 'Location', 'Finding'], ...rows], { alignDelimiters: false })].join('\n\n');
}

function errorsLine(result: CommentInput): string {
  const count = result.errors.length;
  return count === 0 ? '' : `⚠️ ${plural(count, 'input')} could not be fully audited; the full report lists them.`;
}

/**
 * One collapsible section per level, every finding in it grouped by rule (the rule's why and fix once, then its
 * findings), until the budget runs out; then a note says what was left out. Why and fix are the rule's, the same
 * for each of its findings: written once per group, a comment holds hundreds of findings instead of dozens.
 */
function details(ordered: readonly ReportedFinding[], options: ReportOptions, budget: number): string {
  let remaining = budget;
  let stopped = false;
  const omitted: Record<Level, number> = { P0: 0, P1: 0, P2: 0 };
  const sections: string[] = [];
  for (const level of LEVELS) {
    const inLevel = ordered.filter((finding) => finding.severity === level);
    if (inLevel.length === 0) continue;
    const groups = new Map<string, ReportedFinding[]>();
    for (const finding of inLevel) groups.set(finding.ruleId, [...(groups.get(finding.ruleId) ?? []), finding]);
    // The frame's summary grows from "N findings" to "n of N findings" when cut: reserve the longer one.
    remaining -= frameLength(sectionFrame(level, 0, inLevel.length));
    const parts: string[] = [];
    let shown = 0;
    for (const [ruleId, findings] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const [index, finding] of findings.entries()) {
        const piece = (index === 0 ? `${groupHeader(ruleId, finding)}\n\n` : '') + `${shown + 1}. ${detailEntry(finding, options)}`;
        // Once one finding does not fit, none after it goes in either: the list stays in order, most severe first.
        if (stopped || piece.length + 2 > remaining) {
          stopped = true;
          omitted[level] += 1;
          continue;
        }
        remaining -= piece.length + 2;
        parts.push(piece);
        shown += 1;
      }
    }
    if (shown === 0) continue;
    const [open, close] = sectionFrame(level, shown, inLevel.length);
    sections.push([open, ...parts, close].join('\n\n'));
  }
  const left = LEVELS.reduce((sum, level) => sum + omitted[level], 0);
  if (left > 0) {
    const perLevel = LEVELS.filter((level) => omitted[level] > 0).map((level) => `${omitted[level]} ${level}`).join(', ');
    sections.push(`> [!NOTE]\n> ${plural(left, 'finding')} left out (${perLevel}) to keep this comment under GitHub's size limit; the Markdown, JSON and SARIF reports list every finding.`);
  }
  return sections.length === 0 ? '' : `\n\n${sections.join('\n\n')}`;
}

/** The `<details>` wrapper of a level: its opening (with the summary line) and its closing. */
function sectionFrame(level: Level, shown: number, total: number): [string, string] {
  const count = shown === total ? plural(total, 'finding') : `${shown} of ${plural(total, 'finding')}`;
  return [`<details><summary>${LEVEL_BADGES[level]} — ${count}</summary>`, '</details>'];
}

/** The frame's characters and the blank lines that join it to its entries and to the next section. */
function frameLength([open, close]: [string, string]): number {
  return open.length + close.length + 6;
}

function groupHeader(ruleId: string, finding: ReportedFinding): string {
  return [`#### \`${ruleId}\` — ${oneLine(finding.title)}`, `**Why:** ${oneLine(finding.why)}`, `**Fix:** ${oneLine(finding.fix)}`].join('\n\n');
}

function detailEntry(finding: ReportedFinding, options: ReportOptions): string {
  const facts = [location(finding, options, false)];
  if (finding.workload !== undefined) facts.push(`\`${finding.workload}\``);
  facts.push(`effort ${finding.effort}`);
  return `${newMark(finding)}${oneLine(finding.message)} — ${facts.join(' · ')}`;
}

/** A link to the line on the PR's head commit when both are known; else the plain location. */
function location(finding: ReportedFinding, options: ReportOptions, inTable: boolean): string {
  const text = inTable ? tableCell(`${finding.file}:${finding.line}`) : `${finding.file}:${finding.line}`;
  if (options.repository === undefined || options.headSha === undefined) return `\`${text}\``;
  return `[\`${text}\`](${fileLink(options.repository, options.headSha, finding.file, finding.line, options.serverUrl)})`;
}

export function fileLink(repository: string, headSha: string, file: string, line: number, serverUrl = 'https://github.com'): string {
  return `${serverUrl}/${repository}/blob/${headSha}/${encodePath(file)}#L${line}`;
}

/** Table cells: a `|` would end the cell and a newline the row. */
export function tableCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** List items: a newline would end the item. */
function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ');
}

function shorten(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
