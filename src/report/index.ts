// Reporters are pure functions from the audit result to text, registered here by format name.
import type { AuditResult } from '../audit-result.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderText } from './text.js';

export interface ReportOptions {
  /** ANSI colours (the CLI sets it only when the output is a TTY). */
  color?: boolean;
  /** A date to print in the report; reports carry none unless asked, so they stay reproducible. */
  date?: string;
}

export type Reporter = (result: AuditResult, options?: ReportOptions) => string;

export const FORMATS = ['md', 'json', 'text'] as const;
export type Format = (typeof FORMATS)[number];

export const reporters: Record<Format, Reporter> = { md: renderMarkdown, json: renderJson, text: renderText };

/** The file each format is written to under `--out`; text goes to the terminal instead. */
export const REPORT_FILES: Partial<Record<Format, string>> = { md: 'K8S_READINESS_AUDIT.md', json: 'k8s-audit.json' };
