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
  /** Rendered only with the load restrictor lifted: `kubectl apply -k` fails on the overlay as written. */
  loadRestrictorLifted?: boolean;
  resources: number;
  valid: boolean;
  output?: string;
}

export interface RenderedManifest {
  /** File name under the manifests folder: `prod.yaml`. */
  fileName: string;
  yaml: string;
}

/** A container of a workload, the package it runs, and its scale in each overlay (the report's Workloads table). */
export interface WorkloadReport {
  /** `Deployment/api`. */
  workload: string;
  container: string;
  image?: string;
  /** The package folder, when the container was linked to one; absent means not linked (never guessed). */
  package?: string;
  /** How it was linked: "image `csv-portal-api` is the package's name", "`workloads` in the config". */
  linkedBy?: string;
  /** The source file the container starts, and what named it. */
  entry?: string;
  entryFrom?: string;
  /** Per manifest set (overlay folder, or `plain manifests`). */
  overlays: { source: string; replicas: number; autoscaled: boolean }[];
}

/** One variable the code of a linked container reads, against what each overlay provides (the Environment contract). */
export interface EnvContractEntry {
  workload: string;
  container: string;
  variable: string;
  /** Read somewhere without a fallback (switches such as `=== 'true'` are never required). */
  required: boolean;
  default?: string;
  /** `file:line` of the reads. */
  readAt: string[];
  /** Per manifest set: "ConfigMap `api-config`", "Dockerfile `ENV` (…)", "nobody", "unknown: Secret `x` (…)". */
  providedBy: { source: string; by: string }[];
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
  workloads: WorkloadReport[];
  env: EnvContractEntry[];
  renderedManifests: RenderedManifest[];
  errors: AuditError[];
}
