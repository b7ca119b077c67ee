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
