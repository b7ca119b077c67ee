// What an audit hands to the reporters: the JSON contract's content plus what the Markdown
// report shows (snippets) and what the CLI writes (rendered manifests).
import type { AuditError, Finding, Level } from './findings.js';
import type { SuppressedFinding } from './resolve/suppressions.js';

/** Lines around a finding, for the Markdown report. */
export interface Snippet {
  startLine: number;
  lines: string[];
  language: string;
}

/** A finding with what the Markdown report adds: the rule's one-line summary as a title, and the lines around it. */
export type ReportedFinding = Finding & { title: string; snippet?: Snippet };

export interface ManifestReport {
  source: string;
  renderer?: string;
  resources: number;
  valid: boolean;
  output?: string;
}

export interface RenderedManifest {
  /** File name under the manifests folder: `prod.yaml`. */
  fileName: string;
  yaml: string;
}

export interface AuditResult {
  tool: { name: string; version: string };
  scope: {
    paths: string[];
    /** Overlays found but not rendered, with the reason. */
    unrendered: { source: string; reason: string }[];
    /** Packages whose code does not run in a Node server (browser bundles, mobile apps), so not analysed. */
    clientPackages: { dir: string; reason: string }[];
    sourceFiles: number;
    manifestFiles: number;
  };
  summary: Record<Level, number>;
  /** Sorted by file, line, column, rule. */
  findings: ReportedFinding[];
  /** Findings an inline suppression or ignore annotation silenced, each with its reason; not counted in `summary`. */
  suppressed: SuppressedFinding<ReportedFinding>[];
  /** With a baseline: how many findings it hid (`known`) and how many are not in it (`new`, marked on each finding). */
  baseline?: { known: number; new: number };
  manifests: ManifestReport[];
  renderedManifests: RenderedManifest[];
  errors: AuditError[];
}
