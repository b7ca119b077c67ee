// Robustness: a tree full of what real repositories hold besides clean code and manifests. Each bad
// file gets one `errors` entry naming it with a one-line reason, YAML that is not Kubernetes is
// left alone, the good files beside them still produce their findings, and nothing throws.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { audit } from '../src/audit.js';
import { MAX_FILE_BYTES } from '../src/file-text.js';
import { describeFindings } from './expectations.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const corpus = 'fixtures/bad-input/corpus';

/** What the committed corpus must report, in the order the result sorts it. */
const CORPUS_ERRORS = [
  { file: `${corpus}/charts/api`, message: 'Helm chart not rendered (helm is not on PATH): its templates and values were not audited' },
  { file: `${corpus}/kustomize/overlays/bad-patch`, message: expect.stringMatching(/^kustomize build failed: .*patch/) },
  { file: `${corpus}/kustomize/overlays/missing-file`, message: expect.stringMatching(/^kustomize build failed: .*does-not-exist\.yaml/) },
  { file: `${corpus}/src/binary.ts`, message: 'skipped: binary content (NUL byte)' },
  { file: `${corpus}/src/broken.ts`, message: "syntax error at line 6: ')' expected." },
  { file: `${corpus}/src/latin1.ts`, message: 'skipped: not valid UTF-8 text' },
  { file: `${corpus}/src/legacy-handler.js`, message: "syntax error at line 5: ',' expected." },
  { file: `${corpus}/yaml/bad-indent.yaml`, message: 'YAML parse error: line 5: All mapping items must start at the same column' },
  { file: `${corpus}/yaml/duplicate-keys.yaml`, message: 'YAML parse error: line 5: Map keys must be unique' },
  { file: `${corpus}/yaml/latin1.yaml`, message: 'skipped: not valid UTF-8 text' },
  { file: `${corpus}/yaml/tabs.yaml`, message: 'YAML parse error: line 4: Tabs are not allowed as indentation' },
  { file: `${corpus}/yaml/unclosed-quote.yaml`, message: 'YAML parse error: line 7: Missing closing "quote' },
];

/** The good files sitting next to the bad ones, and what they must still produce. */
const GOOD_FINDINGS = [
  `${corpus}/src/sessions.ts:3 in-memory-state P0`,
  `${corpus}/yaml/redis.yaml:14 image-tag P1`,
  `${corpus}/kustomize/base/deployment.yaml:14 image-tag P1`,
];

/** Files that are bad or not Kubernetes: a finding on one of them is a parser guessing. */
const SILENT = /\/(not-k8s|charts|yaml\/(?!redis\.yaml)|src\/(?!sessions\.ts))/;

function expectOneLineErrors(errors: readonly { file: string; message: string }[]): void {
  for (const error of errors) {
    expect(error.file, JSON.stringify(error)).not.toBe('');
    expect(error.message, error.file).toMatch(/^[^\n]+$/);
  }
}

describe('bad-input corpus', () => {
  it('reports every bad file with a one-line reason, ignores YAML that is not Kubernetes, and audits the rest', async () => {
    const result = await audit({ cwd: root, paths: [corpus] });
    expect(result.errors).toEqual(CORPUS_ERRORS);
    expectOneLineErrors(result.errors);
    const found = describeFindings(result.findings);
    expect(found).toEqual(expect.arrayContaining(GOOD_FINDINGS));
    expect(found.filter((line) => SILENT.test(line))).toEqual([]);
    // The overlay beside the two broken ones still renders.
    expect(result.manifests.filter((set) => set.renderer !== undefined).map((set) => set.source)).toEqual([`${corpus}/kustomize/overlays/good`]);
    // The chart too, with helm missing: a gate cannot pass on manifests it could not see.
    expect(result.scope.unrendered.map((overlay) => overlay.source)).toEqual([
      `${corpus}/kustomize/overlays/bad-patch`,
      `${corpus}/kustomize/overlays/missing-file`,
      `${corpus}/charts/api`,
    ]);
  });

  it('treats kinds, values and names like `toString` or `constructor` as data', async () => {
    const result = await audit({ cwd: root, paths: [`${corpus}/proto-keys`] });
    expect(result.errors).toEqual([]);
    expect(describeFindings(result.findings)).toEqual(
      expect.arrayContaining([`${corpus}/proto-keys/objects.yaml:20 image-tag P1`, `${corpus}/proto-keys/objects.yaml:21 schema P0`]),
    );
  });

  it('audits sources with no manifests, and manifests with no sources', async () => {
    const sourcesOnly = await audit({ cwd: root, paths: [`${corpus}/sources-only`] });
    expect(sourcesOnly.errors).toEqual([]);
    expect(describeFindings(sourcesOnly.findings)).toEqual([`${corpus}/sources-only/src/sessions.ts:3 in-memory-state P0`]);
    const manifestsOnly = await audit({ cwd: root, paths: [`${corpus}/manifests-only`] });
    expect(manifestsOnly.errors).toEqual([]);
    expect(describeFindings(manifestsOnly.findings)).toEqual(expect.arrayContaining([`${corpus}/manifests-only/redis.yaml:14 image-tag P1`]));
  });
});

describe('bad input made at test time', () => {
  // What git cannot keep (empty folders, links, permissions) or should not (megabytes), in a temp copy.
  const tree = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-bad-input-'));
  const outside = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-outside-'));
  afterAll(() => {
    rmSync(tree, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  cpSync(path.join(root, corpus), tree, { recursive: true });
  const line = 'export const generated = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];\n';
  mkdirSync(path.join(tree, 'generated'));
  writeFileSync(path.join(tree, 'generated/bundle.ts'), line.repeat(Math.ceil((MAX_FILE_BYTES + 1) / line.length)));
  writeFileSync(path.join(tree, 'generated/all.yaml'), '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\n'.repeat(Math.ceil((MAX_FILE_BYTES + 1) / 50)));
  mkdirSync(path.join(tree, 'empty-dir/nested-empty'), { recursive: true });
  mkdirSync(path.join(tree, 'links'));
  symlinkSync('loop-b.ts', path.join(tree, 'links/loop-a.ts'));
  symlinkSync('loop-a.ts', path.join(tree, 'links/loop-b.ts'));
  // A folder link back up the tree: it stays inside, so it is skipped without a word (the walk lists its target anyway).
  symlinkSync('..', path.join(tree, 'links/up'));
  writeFileSync(path.join(outside, 'secret.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: evil}\nspec:\n  containers:\n    - {name: x, image: "evil:latest"}\n');
  symlinkSync(path.join(outside, 'secret.yaml'), path.join(tree, 'links/outside.yaml'));
  mkdirSync(path.join(tree, 'locked'));
  writeFileSync(path.join(tree, 'locked/secret.ts'), 'export const sessions = new Map();\n');
  chmodSync(path.join(tree, 'locked/secret.ts'), 0o000);
  // As root (CI containers often are), mode 000 does not stop a read: the unreadable case cannot be made there.
  const chmodProtects = (() => {
    try {
      readFileSync(path.join(tree, 'locked/secret.ts'));
      return false;
    } catch {
      return true;
    }
  })();

  const expectedErrors = [
    { file: 'generated/all.yaml', message: expect.stringMatching(/^skipped: \d+ bytes is over the 2097152-byte limit for a scanned file$/) },
    { file: 'generated/bundle.ts', message: expect.stringMatching(/^skipped: \d+ bytes is over the 2097152-byte limit for a scanned file$/) },
    { file: 'links/loop-a.ts', message: 'symbolic link is broken or loops; not followed' },
    { file: 'links/loop-b.ts', message: 'symbolic link is broken or loops; not followed' },
    { file: 'links/outside.yaml', message: 'symbolic link points outside the scanned tree; not followed' },
  ];

  it('reports oversized files and bad links, passes over empty folders, and still audits the corpus', async () => {
    const result = await audit({ cwd: tree, paths: ['.'], render: false });
    expect(result.errors).toEqual(expect.arrayContaining(expectedErrors));
    expect(result.errors.filter((error) => /^(generated|links|empty-dir)\//.test(error.file))).toHaveLength(expectedErrors.length);
    expectOneLineErrors(result.errors);
    const found = describeFindings(result.findings);
    expect(found).toEqual(expect.arrayContaining(['src/sessions.ts:3 in-memory-state P0', 'yaml/redis.yaml:14 image-tag P1']));
    expect(found.filter((finding) => /^(generated|links|locked)\//.test(finding))).toEqual([]);
  });

  it.skipIf(!chmodProtects)('reports a file it may not read', async () => {
    const result = await audit({ cwd: tree, paths: ['locked'], render: false });
    expect(result.errors).toEqual([{ file: 'locked/secret.ts', message: 'cannot be read: EACCES' }]);
  });

  it('exits 0 from the CLI, listing the same errors as audit()', async () => {
    const { status, stdout, stderr } = spawnSync(process.execPath, [cli, '.', '--format', 'json', '--out', '-'], { cwd: tree, encoding: 'utf8' });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const inProcess = await audit({ cwd: tree, paths: ['.'] });
    expect(JSON.parse(stdout).errors).toEqual(inProcess.errors);
  });
});

describe('known gaps (see the robustness report)', () => {
  it('reports kustomizations that include each other in a cycle instead of dropping them silently', async () => {
    const cycle = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-cycle-'));
    mkdirSync(path.join(cycle, 'x'));
    mkdirSync(path.join(cycle, 'y'));
    writeFileSync(path.join(cycle, 'x/kustomization.yaml'), 'resources:\n  - ../y\n');
    writeFileSync(path.join(cycle, 'y/kustomization.yaml'), 'resources:\n  - ../x\n');
    const result = await audit({ cwd: cycle, paths: ['.'] });
    rmSync(cycle, { recursive: true, force: true });
    expect(result.scope.unrendered.map((overlay) => overlay.source)).toEqual(['x']);
    expect(result.errors).toEqual([{ file: 'x', message: expect.stringMatching(/^kustomize build failed: .*cycle/i) }]);
  });
  it('reports an invalid kustomization without the temp wrapper layer in the message', async () => {
    const invalid = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-invalid-'));
    mkdirSync(path.join(invalid, 'overlay'));
    writeFileSync(path.join(invalid, 'overlay/kustomization.yaml'), '- a\n- b\n');
    const result = await audit({ cwd: invalid, paths: ['.'] });
    rmSync(invalid, { recursive: true, force: true });
    expect(result.errors).toEqual([
      { file: 'overlay', message: "kustomize build failed: couldn't make target for path 'overlay': invalid Kustomization: json: cannot unmarshal array into Go value of type types.Kustomization" },
    ]);
  });
});
