// Reporters are pure functions from the audit result to text, registered here by format name.
import type { AuditResult } from '../audit-result.js';
import type { RuleMeta } from '../rule.js';
import { renderGithubComment } from './github-comment.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';

export interface ReportOptions {
  /** ANSI colours (the CLI sets it only when the output is a TTY). */
  color?: boolean;
  /** A date to print in the report; reports carry none unless asked, so they stay reproducible. */
  date?: string;
  /** Every rule's metadata (the CLI passes `allRules`): SARIF describes the rules that found nothing too, JUnit lists them as passing. */
  rules?: readonly RuleMeta[];
  /** The commit the PR comment links lines at. */
  headSha?: string;
  /** `owner/name`, for the PR comment's links; with `headSha`, locations become links. */
  repository?: string;
  /** Where `repository` lives when it is not github.com: GitHub Enterprise Server's `GITHUB_SERVER_URL`. */
  serverUrl?: string;
}

export type Reporter = (result: AuditResult, options?: ReportOptions) => string;

export const FORMATS = ['md', 'json', 'text', 'sarif', 'github', 'junit'] as const;
export type Format = (typeof FORMATS)[number];
/** What a run without `--format` writes: the reports a person reads; the machine formats are asked for by name. */
export const DEFAULT_FORMATS: readonly Format[] = ['md', 'json', 'text'];

export const reporters: Record<Format, Reporter> = {
  md: renderMarkdown,
  json: renderJson,
  text: renderText,
  sarif: renderSarif,
  github: renderGithubComment,
  junit: renderJunit,
};

/** The file each format is written to under `--out`; text goes to the terminal instead. */
export const REPORT_FILES: Partial<Record<Format, string>> = {
  md: 'K8S_READINESS_AUDIT.md',
  json: 'k8s-audit.json',
  sarif: 'k8s-audit.sarif',
  github: 'k8s-audit-comment.md',
  junit: 'k8s-audit.junit.xml',
};
