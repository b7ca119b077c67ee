// Helm charts are rendered by `helm template` when helm is on PATH. This machine has no helm, so a
// stand-in on PATH plays it: it prints each template as helm does, after a `# Source:` comment,
// records the arguments it got, and fails like helm for a chart named `broken`.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-helm-'));
afterAll(() => { if (process.env.KEEP_SCRATCH === undefined) rmSync(scratch, { recursive: true, force: true }); });

const FAKE_HELM = `import fs from 'node:fs';
import path from 'node:path';
const [command, release, chart] = process.argv.slice(2);
fs.appendFileSync(process.env.HELM_CALLS, JSON.stringify(process.argv.slice(2)) + '\\n');
if (command !== 'template') { process.stderr.write('unknown command'); process.exit(1); }
const name = /^name:\\s*(\\S+)/m.exec(fs.readFileSync(path.join(chart, 'Chart.yaml'), 'utf8'))[1];
if (name === 'broken') { process.stderr.write('Error: template: broken/templates/x.yaml:3:4: executing "x" at <.Values.missing.key>: nil pointer evaluating interface {}.key\\n'); process.exit(1); }
for (const file of fs.readdirSync(path.join(chart, 'templates')).sort()) {
  process.stdout.write('---\\n# Source: ' + name + '/templates/' + file + '\\n' + fs.readFileSync(path.join(chart, 'templates', file), 'utf8').replaceAll('{{ .Release.Name }}', release));
}
`;

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
  writeFileSync(path.join(scratch, file), text);
}

describe('helm charts', () => {
  // A shell wrapper, so the stand-in runs as an ES module whatever Node decides about extensionless files.
  write('fake-helm.mjs', FAKE_HELM);
  write('bin/helm', `#!/bin/sh\nexec "${process.execPath}" "${path.join(scratch, 'fake-helm.mjs')}" "$@"\n`);
  chmodSync(path.join(scratch, 'bin/helm'), 0o755);
  write('app/charts/web/Chart.yaml', 'apiVersion: v2\nname: web\nversion: 1.0.0\n');
  write('app/charts/web/values.yaml', 'replicas: 1\n');
  write(
    'app/charts/web/templates/deployment.yaml',
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: {{ .Release.Name }}',
      'spec:',
      '  selector:',
      '    matchLabels: { app: web }',
      '  template:',
      '    metadata:',
      '      labels: { app: web }',
      '    spec:',
      '      containers:',
      '        - name: web',
      '          image: nginx:latest',
      '',
    ].join('\n'),
  );
  write('app/charts/broken/Chart.yaml', 'apiVersion: v2\nname: broken\nversion: 1.0.0\n');
  write('app/charts/broken/templates/x.yaml', 'kind: {{ .Values.missing.key }}\n');
  const calls = path.join(scratch, 'calls.jsonl');
  const run = (pathVariable: string): { status: number | null; report: { findings: { ruleId: string; file: string; line: number }[]; manifests: { source: string; renderer?: string }[]; errors: { file: string; message: string }[] } } => {
    const { status, stdout } = spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), 'app', '--format', 'json', '--out', '-'], {
      cwd: scratch,
      encoding: 'utf8',
      env: { ...process.env, PATH: pathVariable, HELM_CALLS: calls },
    });
    return { status, report: JSON.parse(stdout) };
  };

  it('renders each chart with helm template, and findings point into its templates', () => {
    const { status, report } = run(`${path.join(scratch, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`);
    expect(status).toBe(0);
    expect(readFileSync(calls, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]).sort()).toEqual([
      ['template', 'broken', path.join(scratch, 'app/charts/broken')],
      ['template', 'web', path.join(scratch, 'app/charts/web')],
    ]);
    expect(report.manifests).toContainEqual(expect.objectContaining({ source: 'app/charts/web', renderer: 'helm template' }));
    // `image: nginx:latest` is line 14 of the template, where a person fixes it.
    expect(report.findings.filter((f) => f.ruleId === 'image-tag').map((f) => `${f.file}:${f.line}`)).toEqual(['app/charts/web/templates/deployment.yaml:14']);
    expect(report.errors).toContainEqual({
      file: 'app/charts/broken',
      message: expect.stringMatching(/^helm template failed: Error: template: broken\/templates\/x\.yaml:3:4: executing "x" at <\.Values\.missing\.key>/) as unknown as string,
    });
  });

  it('without helm, says once per chart that it was not rendered', () => {
    const { report } = run(path.dirname(process.execPath));
    expect(report.errors.filter((error) => error.message.startsWith('Helm chart not rendered'))).toEqual([
      { file: 'app/charts/broken', message: 'Helm chart not rendered (helm is not on PATH): its templates and values were not audited' },
      { file: 'app/charts/web', message: 'Helm chart not rendered (helm is not on PATH): its templates and values were not audited' },
    ]);
    expect(report.manifests.filter((manifest) => manifest.renderer === 'helm template')).toEqual([]);
  });
});
