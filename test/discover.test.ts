// Discovery decides what each model reads; a file it drops silently is a finding nobody sees.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { discover } from '../src/discover.js';

let tree: string;
afterEach(() => rmSync(tree, { recursive: true, force: true }));

function makeTree(files: Record<string, string>): string {
  tree = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-discover-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    writeFileSync(path.join(tree, file), text);
  }
  return tree;
}

describe('discover', () => {
  it('keeps files git tracks even when a .gitignore pattern matches them', async () => {
    const cwd = makeTree({
      '.gitignore': 'kustomize\nlocal-notes/\n',
      'kustomize/base/kustomization.yaml': 'resources: [deploy.yaml]\n',
      'kustomize/base/deploy.yaml': 'kind: Deployment\n',
      'local-notes/scratch.yaml': 'kind: Pod\n',
    });
    execFileSync('git', ['init', '-q'], { cwd });
    execFileSync('git', ['add', '-f', 'kustomize'], { cwd });
    const found = await discover({ cwd, paths: ['.'] });
    expect(found.kustomizationDirs).toEqual(['kustomize/base']);
    expect(found.yamlFiles).toEqual(['kustomize/base/deploy.yaml']);
  });

  it('honours every .gitignore of the tree outside git', async () => {
    const cwd = makeTree({
      '.gitignore': 'generated/\n',
      'api/.gitignore': '*.local.ts\n',
      'api/src/server.ts': '',
      'api/src/secrets.local.ts': '',
      'generated/client.ts': '',
    });
    expect((await discover({ cwd, paths: ['.'] })).sources).toEqual(['api/src/server.ts']);
  });

  it('leaves out tests, tooling, compiled twins and browser or mobile packages, and says why for packages', async () => {
    const cwd = makeTree({
      'package.json': JSON.stringify({ workspaces: ['packages/*'], devDependencies: { vite: '6' } }),
      'packages/api/package.json': JSON.stringify({ name: 'api', dependencies: { express: '4', react: '18' } }),
      'packages/api/src/server.ts': '',
      'packages/api/src/server.js': '',
      'packages/api/src/legacy.js': '',
      'packages/api/src/server.test.ts': '',
      'packages/api/scripts/seed.ts': '',
      'packages/api/vite.config.ts': '',
      'packages/api/src/rate.config.ts': '',
      'packages/api/src/seedBank.ts': '',
      'packages/broken/package.json': '{ "name": ',
      'packages/web/package.json': JSON.stringify({ name: 'web', dependencies: { 'react-dom': '18' } }),
      'packages/web/src/main.tsx': '',
      'packages/mobile/package.json': JSON.stringify({ name: 'mobile', dependencies: { 'react-native': '0.76' } }),
      'packages/mobile/src/api.js': '',
    });
    const found = await discover({ cwd, paths: ['.'] });
    // Config files beside the code are tooling; under src/ they are app code, as is a name that merely starts with "seed".
    expect(found.sources).toEqual(['packages/api/src/legacy.js', 'packages/api/src/rate.config.ts', 'packages/api/src/seedBank.ts', 'packages/api/src/server.ts']);
    expect(found.errors).toEqual([{ file: 'packages/broken/package.json', message: expect.stringMatching(/^package.json does not parse: /) }]);
    expect(found.clientPackages).toEqual([
      { dir: 'packages/mobile', reason: 'mobile app (depends on react-native)' },
      { dir: 'packages/web', reason: 'browser code (depends on react-dom, no server library)' },
    ]);
  });

  it('keeps Helm charts out of the manifests and lists them', async () => {
    const cwd = makeTree({
      'charts/api/Chart.yaml': 'name: api\n',
      'charts/api/values.yaml': 'image: {tag: latest}\n',
      'charts/api/templates/service.yaml': 'kind: Service\n',
      'deploy/service.yaml': 'kind: Service\n',
    });
    const found = await discover({ cwd, paths: ['.'] });
    expect(found.helmCharts).toEqual(['charts/api']);
    expect(found.yamlFiles).toEqual(['deploy/service.yaml']);
  });

  it('reports a link out of the scanned tree and does not follow it', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-outside-'));
    writeFileSync(path.join(outside, 'secret.ts'), 'export const x = 1;');
    const cwd = makeTree({ 'src/app.ts': '' });
    symlinkSync(path.join(outside, 'secret.ts'), path.join(cwd, 'src/linked.ts'));
    symlinkSync(outside, path.join(cwd, 'src/linked-dir'));
    const found = await discover({ cwd, paths: ['.'] });
    rmSync(outside, { recursive: true, force: true });
    expect(found.sources).toEqual(['src/app.ts']);
    expect(found.errors.map((error) => `${error.file}: ${error.message}`).sort()).toEqual([
      'src/linked-dir: symbolic link points outside the scanned tree; not followed',
      'src/linked.ts: symbolic link points outside the scanned tree; not followed',
    ]);
  });
});
