// Fingerprints feed baselines and SARIF: they must survive edits that do not touch the finding.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { audit } from '../src/audit.js';
import imageTag from '../src/manifest-rules/image-tag.js';
import inMemoryState from '../src/rules/in-memory-state.js';

let tree: string;
afterEach(() => rmSync(tree, { recursive: true, force: true }));

function write(files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    writeFileSync(path.join(tree, file), text);
  }
}

async function fingerprints(): Promise<string[]> {
  const { findings } = await audit({ cwd: tree, paths: ['.'], rules: [inMemoryState, imageTag] });
  return findings.map((finding) => `${finding.ruleId} ${finding.fingerprint}`);
}

it('survives lines inserted above and edits elsewhere in the file', async () => {
  tree = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-fingerprint-'));
  const handler = ["import express from 'express';", 'const codes = new Map<string, string>();', 'export const app = express();'];
  const routes = ["app.post('/code', (req, res) => { codes.set(req.body.email, '123456'); res.end(); });", "app.post('/verify', (req, res) => res.json(codes.get(req.body.email)));"];
  write({ 'src/login.ts': [...handler, ...routes].join('\n') });
  const before = await fingerprints();
  expect(before).toHaveLength(1);
  write({ 'src/login.ts': ['// Login codes.', '', ...handler, '', '// Routes', ...routes, "app.get('/health', (_req, res) => res.end());"].join('\n') });
  expect(await fingerprints()).toEqual(before);
});

it('survives a new overlay over the same base', async () => {
  tree = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-fingerprint-'));
  write({
    'base/kustomization.yaml': 'resources: [redis.yaml]\n',
    'base/redis.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: redis}\nspec:\n  containers:\n    - {name: redis, image: "redis:latest"}\n',
    'overlays/prod/kustomization.yaml': 'resources: [../../base]\n',
  });
  const before = await fingerprints();
  expect(before).toHaveLength(1);
  write({ 'overlays/staging/kustomization.yaml': 'resources: [../../base]\n' });
  expect(await fingerprints()).toEqual(before);
});

it('lets a baseline hide a finding after lines are inserted above it and the file is edited elsewhere', async () => {
  tree = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-fingerprint-'));
  const handler = ["import express from 'express';", 'const codes = new Map<string, string>();', 'export const app = express();'];
  const routes = ["app.post('/code', (req, res) => { codes.set(req.body.email, '123456'); res.end(); });", "app.post('/verify', (req, res) => res.json(codes.get(req.body.email)));"];
  write({ 'src/login.ts': [...handler, ...routes].join('\n') });
  const first = await audit({ cwd: tree, paths: ['.'], rules: [inMemoryState] });
  const known = new Set(first.findings.map((finding) => finding.fingerprint));
  write({ 'src/login.ts': ['// Login codes, kept for five minutes.', "import { log } from './log';", '', ...handler, ...routes, "app.get('/health', (_req, res) => { log('ok'); res.end(); });"].join('\n') });
  const later = await audit({ cwd: tree, paths: ['.'], rules: [inMemoryState], baseline: known });
  expect(later.findings).toEqual([]);
  expect(later.baseline).toEqual({ known: 1, new: 0 });
  // A second store is new: the baseline hides the first and marks the second.
  write({ 'src/login.ts': [...handler, 'const bans = new Map<string, number>();', ...routes, "app.post('/ban', (req, res) => { bans.set(req.ip, Date.now()); res.json([...bans.keys()]); });"].join('\n') });
  const withNew = await audit({ cwd: tree, paths: ['.'], rules: [inMemoryState], baseline: known });
  expect(withNew.findings.map((finding) => [finding.line, finding.new])).toEqual([[4, true]]);
  expect(withNew.baseline).toEqual({ known: 1, new: 1 });
});
