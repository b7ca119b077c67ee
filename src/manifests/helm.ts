// Rendering a Helm chart with the real engine (`helm template`, the chart's own values.yaml), never a
// re-implementation of Go templates. Nothing is fetched: charts whose dependencies are not vendored
// fail with helm's own message, reported under errors.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Span } from '../findings.js';
import type { FieldPath } from './cluster-model.js';
import { onPath } from './kustomize.js';

const TIMEOUT_MS = 60_000;
const MAX_BUFFER = 64 * 1024 * 1024;

export async function findHelm(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return onPath('helm', env);
}

export interface RenderedChartObject {
  object: Record<string, unknown>;
  /** The template file that produced it (POSIX, relative to cwd), from helm's `# Source:` comment. */
  template?: string;
}

/**
 * `helm template <release> <chart>`, release named after the chart folder. Each document helm
 * prints starts with `# Source: <chart-name>/templates/<file>`, which gives the template file.
 */
export async function renderChart(helm: string, cwd: string, chartDir: string): Promise<{ objects: RenderedChartObject[]; yaml: string } | { error: string }> {
  const absolute = path.resolve(cwd, chartDir);
  const release = path.basename(absolute).toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '') || 'release';
  const run = await new Promise<{ stdout: string } | { error: string }>((resolve) => {
    execFile(helm, ['template', release, absolute], { cwd: absolute, timeout: TIMEOUT_MS, maxBuffer: MAX_BUFFER, encoding: 'utf8', windowsHide: true }, (error, stdout, stderr) => {
      if (error === null) return resolve({ stdout });
      if (error.killed) return resolve({ error: `timed out after ${TIMEOUT_MS / 1000} s` });
      resolve({ error: (stderr.trim() === '' ? error.message : stderr).split(absolute).join(chartDir).replace(/\s+/g, ' ').trim().slice(0, 400) });
    });
  });
  if ('error' in run) return run;
  const objects: RenderedChartObject[] = [];
  // helm separates documents with `---` and starts each with its `# Source:` comment.
  for (const chunk of run.stdout.split(/^---\s*$/m)) {
    const source = /^#\s*Source:\s*(\S+)/m.exec(chunk)?.[1];
    // `mychart/templates/deployment.yaml` (or `mychart/charts/sub/templates/x.yaml`): drop the chart name.
    const template = source === undefined ? undefined : path.posix.join(chartDir, source.slice(source.indexOf('/') + 1));
    for (const document of parseAllDocuments(chunk)) {
      const object = document.toJS() as unknown;
      if (typeof object !== 'object' || object === null || Array.isArray(object)) continue;
      objects.push({ object: object as Record<string, unknown>, ...(template === undefined ? {} : { template }) });
    }
  }
  return { objects, yaml: run.stdout };
}

/**
 * Where a field of a rendered object is written in its template: the first line that sets the
 * deepest named key of the path (`image:` for `…containers[0].image`), else the template's first line.
 */
export function templateLocator(template: string, text: string | undefined): (fieldPath: FieldPath) => Span {
  const lines = text?.split(/\r?\n/) ?? [];
  return (fieldPath) => {
    const keys = fieldPath.filter((segment): segment is string => typeof segment === 'string');
    for (let depth = keys.length - 1; depth >= 0; depth--) {
      const key = keys[depth]!;
      const pattern = new RegExp(`^\\s*(?:-\\s+)?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`);
      const index = lines.findIndex((line) => pattern.test(line));
      if (index !== -1) return { file: template, line: index + 1, column: 1, endLine: index + 1, endColumn: (lines[index]?.length ?? 0) + 1 };
    }
    return { file: template, line: 1, column: 1, endLine: 1, endColumn: 1 };
  };
}
