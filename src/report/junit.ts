// JUnit XML for CI test tabs (GitLab, Jenkins, Azure Pipelines, test-reporter actions): each rule is a
// suite, each file it flagged a failing test case listing that file's findings.
import type { AuditResult, ReportedFinding } from '../audit-result.js';
import { compareStrings, levelRank } from '../findings.js';
import type { ReportOptions } from './index.js';

/** The suite that holds inputs the audit could not read or render, as errors. */
export const INPUTS_SUITE = 'k8s-audit inputs';
/** The passing case of a rule that found nothing, so the test tab shows the rule ran. */
export const CLEAN_CASE = 'no findings';

interface Suite {
  name: string;
  cases: string[];
  failures: number;
  errors: number;
}

export function renderJunit(result: AuditResult, options: ReportOptions = {}): string {
  const byRule = new Map<string, Map<string, ReportedFinding[]>>();
  for (const rule of options.rules ?? []) byRule.set(rule.id, new Map());
  for (const finding of result.findings) {
    const files = byRule.get(finding.ruleId) ?? new Map<string, ReportedFinding[]>();
    byRule.set(finding.ruleId, files);
    files.set(finding.file, [...(files.get(finding.file) ?? []), finding]);
  }
  const suites: Suite[] = [...byRule.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([ruleId, files]) => ruleSuite(ruleId, files));
  if (result.errors.length > 0) suites.push(inputsSuite(result));

  const total = (key: 'failures' | 'errors' | 'cases'): number => suites.reduce((sum, suite) => sum + (key === 'cases' ? suite.cases.length : suite[key]), 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(result.tool.name)}" tests="${total('cases')}" failures="${total('failures')}" errors="${total('errors')}">`,
    ...suites.flatMap((suite) => [
      `  <testsuite name="${attr(suite.name)}" tests="${suite.cases.length}" failures="${suite.failures}" errors="${suite.errors}" skipped="0">`,
      ...suite.cases,
      '  </testsuite>',
    ]),
    '</testsuites>',
  ];
  return `${lines.join('\n')}\n`;
}

function ruleSuite(ruleId: string, files: Map<string, ReportedFinding[]>): Suite {
  if (files.size === 0) return { name: ruleId, cases: [`    <testcase classname="${attr(ruleId)}" name="${CLEAN_CASE}"/>`], failures: 0, errors: 0 };
  const cases = [...files.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([file, findings]) => {
      const worst = findings.reduce((most, finding) => (levelRank(finding.severity) < levelRank(most.severity) ? finding : most));
      const first = findings[0] as ReportedFinding;
      const body = [
        ...findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.severity} ${f.message}${f.workload === undefined ? '' : ` (${f.workload})`}`),
        '',
        `Why: ${first.why}`,
        `Fix: ${first.fix}`,
      ].join('\n');
      const summary = `${findings.length} finding${findings.length === 1 ? '' : 's'}, most severe ${worst.severity}: ${first.title}`;
      return [
        `    <testcase classname="${attr(ruleId)}" name="${attr(file)}" file="${attr(file)}">`,
        `      <failure message="${attr(summary)}" type="${worst.severity}">${text(body)}</failure>`,
        '    </testcase>',
      ].join('\n');
    });
  return { name: ruleId, cases, failures: cases.length, errors: 0 };
}

function inputsSuite(result: AuditResult): Suite {
  const cases = result.errors.map((error) =>
    [`    <testcase classname="${attr(INPUTS_SUITE)}" name="${attr(error.file)}">`, `      <error message="${attr(error.message)}"/>`, '    </testcase>'].join('\n'),
  );
  return { name: INPUTS_SUITE, cases, failures: 0, errors: cases.length };
}

/** Characters XML 1.0 forbids outright (most C0 controls) become U+FFFD, so any input gives a well-formed document. */
function xmlChars(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
}

export function text(value: string): string {
  return xmlChars(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values: quotes too, and line breaks as references so parsers do not normalise them to spaces. */
export function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

