// The audit never reads through a link that leaves the scanned tree, whichever path reaches it.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { audit } from '../src/audit.js';

const outside = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-outside-'));
const tree = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-tree-'));
afterAll(() => {
  rmSync(outside, { recursive: true, force: true });
  rmSync(tree, { recursive: true, force: true });
});

writeFileSync(
  path.join(outside, 'evil.yaml'),
  'apiVersion: v1\nkind: Pod\nmetadata: {name: evil}\nspec:\n  containers:\n    - {name: x, image: "evil:latest"}\n',
);
mkdirSync(path.join(tree, 'overlays/prod'), { recursive: true });
writeFileSync(path.join(tree, 'overlays/prod/kustomization.yaml'), 'resources:\n  - linked.yaml\n');
symlinkSync(path.join(outside, 'evil.yaml'), path.join(tree, 'overlays/prod/linked.yaml'));

it.each([true, false])('does not read a kustomize resource linked out of the tree (render: %s)', async (render) => {
  const result = await audit({ cwd: tree, paths: ['.'], render });
  expect(result.findings).toEqual([]);
  expect(result.errors).toContainEqual({ file: 'overlays/prod/linked.yaml', message: 'symbolic link points outside the scanned tree; not followed' });
});

it('never runs the code it scans', async () => {
  const marker = path.join(outside, 'executed');
  const app = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-app-'));
  const sideEffect = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');`;
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', main: 'index.js', scripts: { start: 'node index.js' } }));
  writeFileSync(path.join(app, 'index.js'), `${sideEffect}\nmodule.exports = {};\n`);
  writeFileSync(path.join(app, 'rules.config.js'), `${sideEffect}\nmodule.exports = {};\n`);
  writeFileSync(path.join(app, 'server.mjs'), `import fs from 'node:fs';\nfs.writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
  await audit({ cwd: app, paths: ['.'] });
  rmSync(app, { recursive: true, force: true });
  expect(existsSync(marker)).toBe(false);
});
