#!/usr/bin/env node
// Property: whatever YAML and TypeScript a repository holds, `audit()` resolves with a result the
// reporters can render, within a time limit, and no rule fails on it. Inputs are real templates
// (workloads, kustomizations, express handlers with module Maps, fs writes, env reads) mutated by
// fast-check: keys deleted, duplicated or renamed, values of the wrong type, random unicode,
// tabs, truncation, tokens dropped or repeated.
//
//   node scripts/fuzz.mjs [--count N] [--seed S] [--timeout MS]
//
// The audit runs in a worker thread: the parsers are synchronous, so a hang would block a timer on
// the same thread; from here a stuck worker is terminated and replaced.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

const distDir = new URL('../dist/', import.meta.url);

function describeError(error) {
  return error instanceof Error ? (error.stack ?? error.message).split('\n').slice(0, 6).join('\n') : String(error);
}

/** What makes a result unusable: a wrong shape, or a rule that threw (audit() turns that into an error entry). */
function checkResult(result) {
  const problems = [];
  if (result === null || typeof result !== 'object') return ['audit() resolved with no result'];
  if (!Array.isArray(result.findings)) problems.push('findings is not an array');
  if (!Array.isArray(result.errors)) return [...problems, 'errors is not an array'];
  for (const error of result.errors) {
    if (typeof error?.file !== 'string' || typeof error?.message !== 'string') problems.push(`malformed error entry ${JSON.stringify(error)}`);
    else if (error.file.startsWith('rule:')) problems.push(`${error.file} ${error.message}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Main thread: generation, the worker, the summary.

async function main() {
  const { values } = parseArgs({
    options: { count: { type: 'string', default: '200' }, seed: { type: 'string' }, timeout: { type: 'string', default: '10000' } },
  });
  const count = Number(values.count);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed) || !(timeoutMs > 0)) {
    console.error('usage: node scripts/fuzz.mjs [--count N] [--seed S] [--timeout MS]');
    process.exit(2);
  }
  const fc = (await import('fast-check')).default;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-fuzz-'));
  const runner = new AuditRunner(timeoutMs);
  const started = Date.now();
  let inputs = 0;
  let caseNumber = 0;

  const property = fc.asyncProperty(caseArbitrary(fc), async (testCase) => {
    inputs += 1;
    const dir = path.join(scratch, String(caseNumber++));
    try {
      writeCase(dir, testCase);
      const outcome = await runner.run(dir, testCase.render);
      if (outcome.hang) throw new FuzzFailure('hang', `no result after ${timeoutMs} ms`);
      if (outcome.problems.length > 0) throw new FuzzFailure('crash', outcome.problems.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  let details;
  try {
    details = await fc.check(property, { numRuns: count, seed, endOnFailure: false, interruptAfterTimeLimit: undefined });
  } finally {
    await runner.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const error = details.errorInstance;
  const kind = error instanceof FuzzFailure ? error.kind : details.failed ? 'crash' : undefined;
  // fast-check stops at the first failing input (then shrinks it): the counts say 0 or 1.
  const ran = details.failed ? details.numRuns : count;
  console.log(`fuzz: ${ran} inputs, ${kind === 'crash' ? 1 : 0} crashes, ${kind === 'hang' ? 1 : 0} hangs (seed ${seed}, ${seconds} s)`);
  if (details.failed) {
    console.log(`\nminimal counterexample (after ${details.numShrinks} shrinks; replay with --seed ${seed}):`);
    for (const file of details.counterexample[0].files) console.log(`--- ${file.path}\n${file.text}`);
    console.log(`--- render: ${details.counterexample[0].render}\n\n${kind}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
  void inputs;
}

class FuzzFailure extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

function writeCase(dir, { files }) {
  for (const file of files) {
    const target = path.join(dir, file.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.text);
  }
  mkdirSync(dir, { recursive: true });
}

/** One long-lived worker; a hung one is terminated and the next input gets a fresh one. */
class AuditRunner {
  constructor(timeoutMs) {
    this.timeoutMs = timeoutMs;
    this.worker = undefined;
    this.nextId = 0;
  }

  spawn() {
    this.worker = new Worker(new URL(import.meta.url));
    this.worker.unref();
  }

  run(dir, render) {
    if (this.worker === undefined) this.spawn();
    const worker = this.worker;
    const id = this.nextId++;
    let timer;
    const reply = new Promise((resolve) => {
      const onMessage = (message) => {
        if (message.id !== id) return;
        cleanup();
        resolve({ hang: false, problems: message.problems });
      };
      const onError = (error) => {
        cleanup();
        this.worker = undefined;
        resolve({ hang: false, problems: [`worker died: ${describeError(error)}`] });
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
    });
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve({ hang: true, problems: [] }), this.timeoutMs);
    });
    worker.postMessage({ id, dir, render });
    return Promise.race([reply, timeout]).then(async (outcome) => {
      clearTimeout(timer);
      if (outcome.hang) {
        this.worker = undefined;
        await worker.terminate();
      }
      return outcome;
    });
  }

  async close() {
    if (this.worker !== undefined) await this.worker.terminate();
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs.

const YAML_TEMPLATES = {
  deployment: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api}
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - containerPort: 3000
          env:
            - name: REDIS_URL
              valueFrom:
                secretKeyRef: {name: api-secrets, key: redis-url, optional: true}
            - name: UPLOAD_DIR
              value: /data/uploads
          envFrom:
            - configMapRef: {name: api-config}
          readinessProbe:
            httpGet: {path: /health, port: 3000}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 256Mi}
          volumeMounts:
            - {name: uploads, mountPath: /data/uploads}
      volumes:
        - name: uploads
          emptyDir: {}
`,
  statefulset: `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: redis
spec:
  serviceName: redis
  replicas: 1
  selector:
    matchLabels: {app: redis}
  template:
    metadata:
      labels: {app: redis}
    spec:
      securityContext: {fsGroup: 999, runAsUser: 999}
      containers:
        - name: redis
          image: redis:latest
          args: ["--appendonly", "yes"]
          volumeMounts:
            - {name: data, mountPath: /data}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
`,
  service: `apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports:
    - port: 80
      targetPort: 3000
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
spec:
  rules:
    - host: api.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: {name: api, port: {number: 80}}
`,
  configmap: `apiVersion: v1
kind: ConfigMap
metadata:
  name: api-config
data:
  LOG_LEVEL: info
  STORAGE: local
---
apiVersion: v1
kind: Secret
metadata:
  name: api-secrets
type: Opaque
stringData:
  redis-url: redis://redis:6379
`,
  cronjob: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: cleanup
              image: ghcr.io/acme/api:1.4.2
              command: [node, dist/cleanup.js]
              volumeMounts:
                - {name: cache, mountPath: /var/cache/app}
          volumes:
            - name: cache
              hostPath: {path: /var/cache/app}
`,
};

const BASE_KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
  - configmap.yaml
`;

const OVERLAY_KUSTOMIZATION = `resources:
  - ../../base
namespace: prod
commonLabels:
  tier: backend
images:
  - name: ghcr.io/acme/api
    newTag: 1.5.0
replicas:
  - name: api
    count: 3
configMapGenerator:
  - name: api-config
    behavior: merge
    literals: [LOG_LEVEL=warn]
patches:
  - path: patch.yaml
`;

const OVERLAY_PATCH = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          env:
            - name: STORAGE
              value: s3
`;

const TS_TEMPLATES = {
  sessions: `import express from 'express';
import { randomUUID } from 'node:crypto';

const sessions = new Map<string, { userId: string; created: number }>();
const codes: Record<string, string> = {};

export const router = express.Router();

router.post('/login/code', (req, res) => {
  codes[req.body.email] = String(Math.floor(Math.random() * 1e6));
  res.sendStatus(204);
});

router.post('/login/verify', (req, res) => {
  if (codes[req.body.email] !== req.body.code) return res.sendStatus(401);
  const id = randomUUID();
  sessions.set(id, { userId: req.body.email, created: Date.now() });
  res.json({ id });
});

router.get('/me', (req, res) => res.json(sessions.get(String(req.headers['x-session'])) ?? null));
`,
  uploads: `import express from 'express';
import { promises as fs, createWriteStream } from 'node:fs';
import path from 'node:path';
import multer from 'multer';

const UPLOAD_DIR = process.env.UPLOAD_DIR ?? './uploads';
const upload = multer({ dest: path.join(process.cwd(), 'tmp') });

export const app = express();

app.post('/upload', upload.single('file'), async (req, res) => {
  const target = path.join(UPLOAD_DIR, req.file!.originalname);
  await fs.writeFile(target, await fs.readFile(req.file!.path));
  createWriteStream('./logs/uploads.log', { flags: 'a' }).write(target + '\\n');
  res.json({ stored: target });
});

app.get('/files/:name', (req, res) => res.sendFile(path.resolve(UPLOAD_DIR, req.params.name)));
`,
  config: `import { createClient } from 'redis';

const port = Number(process.env.PORT || 3000);
const { DATABASE_URL, LOG_LEVEL = 'info' } = process.env;
const redisUrl = process.env['REDIS_URL'];
if (!DATABASE_URL) throw new Error('DATABASE_URL is required');

export const redis = createClient({ url: redisUrl });
export const config = { port, databaseUrl: DATABASE_URL, logLevel: LOG_LEVEL, storage: process.env.STORAGE === 's3' ? 's3' : 'local' };

let cache = new Map();
export function remember(key, value) {
  cache.set(key, value);
  setInterval(() => { cache = new Map(); }, 60_000);
}
`,
  server: `const express = require('express');
const fs = require('fs');
const { router } = require('./sessions');

const app = express();
const counters = {};
app.use(router);
app.get('/health', (req, res) => res.send('ok'));
app.post('/count/:key', (req, res) => {
  counters[req.params.key] = (counters[req.params.key] || 0) + 1;
  fs.appendFileSync('/var/log/app/counts.log', req.params.key + '\\n');
  res.json({ value: counters[req.params.key] });
});
process.on('SIGTERM', () => process.exit(0));
app.listen(process.env.PORT || 3000);
module.exports = app;
`,
};

/** Lines of text, mutated as a person or a tool would break them. */
function yamlMutation(fc) {
  const unicode = fc.string({ unit: 'binary', maxLength: 12 });
  const wrongValue = fc.oneof(
    fc.constantFrom('null', '~', '[]', '{}', '-1', '1e309', '0x1F', 'true', 'yes', '"', "'", '*alias', '&anchor x', '!!binary aGk=', '!tag', '|', '>-', '? complex', '- item', '{a: [b, {c: d}]}', '"\\u0000"', '@at', '`tick`', '%YAML 1.1'),
    fc.integer().map(String),
    unicode.map((text) => JSON.stringify(text)),
    unicode,
  );
  const keyName = fc.oneof(
    fc.constantFrom('apiVersion', 'kind', 'metadata', 'name', 'namespace', 'spec', 'template', 'containers', 'image', 'env', 'volumes', 'resources', 'replicas', 'selector', 'labels', 'patches', '<<', ''),
    fc.string({ maxLength: 8 }),
  );
  return fc.oneof(
    fc.record({ op: fc.constant('delete-line'), at: fc.nat() }),
    fc.record({ op: fc.constant('duplicate-line'), at: fc.nat() }),
    fc.record({ op: fc.constant('swap-lines'), at: fc.nat(), other: fc.nat() }),
    fc.record({ op: fc.constant('retag-key'), at: fc.nat(), key: keyName }),
    fc.record({ op: fc.constant('wrong-value'), at: fc.nat(), value: wrongValue }),
    fc.record({ op: fc.constant('indent'), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }), tab: fc.boolean() }),
    fc.record({ op: fc.constant('insert-text'), at: fc.nat(), text: fc.oneof(unicode, fc.constantFrom('---', '...', '\t', '#', ': ', '- ', '\0', '\uFEFF', '\r', '{{ .Values.x }}')) }),
    fc.record({ op: fc.constant('truncate'), at: fc.nat() }),
    fc.record({ op: fc.constant('repeat-document'), times: fc.integer({ min: 2, max: 20 }) }),
  );
}

function applyYamlMutation(text, mutation) {
  const lines = text.split('\n');
  const index = lines.length === 0 ? 0 : mutation.at % lines.length;
  const line = lines[index] ?? '';
  switch (mutation.op) {
    case 'delete-line':
      lines.splice(index, 1);
      break;
    case 'duplicate-line':
      lines.splice(index, 0, line);
      break;
    case 'swap-lines': {
      const other = mutation.other % lines.length;
      [lines[index], lines[other]] = [lines[other], line];
      break;
    }
    case 'retag-key':
      lines[index] = line.replace(/^(\s*-?\s*)[^:\s][^:]*:/, (_, indent) => `${indent}${mutation.key}:`);
      break;
    case 'wrong-value':
      lines[index] = /:\s/.test(line) ? line.replace(/:\s.*$/, `: ${mutation.value}`) : line.replace(/^(\s*-\s*).*$/, `$1${mutation.value}`);
      break;
    case 'indent': {
      const unit = mutation.tab ? '\t' : ' ';
      lines[index] = mutation.by >= 0 ? unit.repeat(mutation.by) + line : line.slice(Math.min(-mutation.by, line.length - line.trimStart().length));
      break;
    }
    case 'insert-text': {
      const column = line.length === 0 ? 0 : mutation.at % (line.length + 1);
      lines[index] = line.slice(0, column) + mutation.text + line.slice(column);
      break;
    }
    case 'truncate':
      return text.slice(0, mutation.at % (text.length + 1));
    case 'repeat-document':
      return Array.from({ length: mutation.times }, () => text).join('\n---\n');
  }
  return lines.join('\n');
}

/** Tokens of source text: identifiers, runs of space, single punctuation characters. */
function tokens(text) {
  return text.match(/[A-Za-z_$][\w$]*|\d+|\s+|[^\s\w$]/g) ?? [];
}

function tsMutation(fc) {
  const noise = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.constantFrom('{', '}', '(', ')', '`', '${', '/*', '*/', '//', '"', "'", '=>', ';', ',', '<', '>', '@', '#', '\\', '\0', '\uFEFF', '\u2028', 'new Map()', 'process.env.', 'fs.writeFileSync(', 'await ', 'async ', 'export ', 'import ', 'require('),
  );
  return fc.oneof(
    fc.record({ op: fc.constant('delete-token'), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ op: fc.constant('duplicate-token'), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ op: fc.constant('insert'), at: fc.nat(), text: noise }),
    fc.record({ op: fc.constant('swap-tokens'), at: fc.nat(), other: fc.nat() }),
    fc.record({ op: fc.constant('truncate'), at: fc.nat() }),
  );
}

function applyTsMutation(text, mutation) {
  if (mutation.op === 'truncate') return text.slice(0, mutation.at % (text.length + 1));
  const parts = tokens(text);
  if (parts.length === 0) return mutation.op === 'insert' ? mutation.text : text;
  const index = mutation.at % parts.length;
  switch (mutation.op) {
    case 'delete-token':
      parts.splice(index, mutation.length);
      break;
    case 'duplicate-token':
      parts.splice(index, 0, ...parts.slice(index, index + mutation.length));
      break;
    case 'insert':
      parts.splice(index, 0, mutation.text);
      break;
    case 'swap-tokens': {
      const other = mutation.other % parts.length;
      [parts[index], parts[other]] = [parts[other], parts[index]];
      break;
    }
  }
  return parts.join('');
}

function mutated(fc, template, mutation, apply, maxMutations) {
  return fc.array(mutation, { maxLength: maxMutations }).map((mutations) => mutations.reduce(apply, template));
}

function caseArbitrary(fc) {
  const yamlFile = (template) => mutated(fc, template, yamlMutation(fc), applyYamlMutation, 6);
  const tsFile = (template) => mutated(fc, template, tsMutation(fc), applyTsMutation, 8);
  const template = (templates) => fc.constantFrom(...Object.keys(templates));

  // Plain manifests and sources: most inputs, audited without rendering.
  const plain = fc.record({
    manifests: fc.array(template(YAML_TEMPLATES).chain((name) => yamlFile(YAML_TEMPLATES[name]).map((text) => ({ path: `deploy/${name}.yaml`, text }))), { maxLength: 3 }),
    sources: fc.array(template(TS_TEMPLATES).chain((name) => tsFile(TS_TEMPLATES[name]).map((text) => ({ path: `src/${name}.${name === 'server' || name === 'config' ? 'js' : 'ts'}`, text }))), { maxLength: 3 }),
  });
  // A base and an overlay, both mutable; rendered in a small share of cases (kustomize is a process per overlay).
  const kustomized = fc.record({
    base: yamlFile(BASE_KUSTOMIZATION),
    deployment: yamlFile(YAML_TEMPLATES.deployment),
    service: yamlFile(YAML_TEMPLATES.service),
    configmap: yamlFile(YAML_TEMPLATES.configmap),
    overlay: yamlFile(OVERLAY_KUSTOMIZATION),
    patch: yamlFile(OVERLAY_PATCH),
    source: tsFile(TS_TEMPLATES.uploads),
    render: fc.integer({ min: 0, max: 9 }).map((roll) => roll === 0),
  });
  return fc.oneof(
    { weight: 3, arbitrary: plain.map(({ manifests, sources }) => ({ files: uniqueByPath([...manifests, ...sources]), render: false })) },
    {
      weight: 1,
      arbitrary: kustomized.map((k) => ({
        files: [
          { path: 'k8s/base/kustomization.yaml', text: k.base },
          { path: 'k8s/base/deployment.yaml', text: k.deployment },
          { path: 'k8s/base/service.yaml', text: k.service },
          { path: 'k8s/base/configmap.yaml', text: k.configmap },
          { path: 'k8s/overlays/prod/kustomization.yaml', text: k.overlay },
          { path: 'k8s/overlays/prod/patch.yaml', text: k.patch },
          { path: 'src/uploads.ts', text: k.source },
        ],
        render: k.render,
      })),
    },
  );
}

function uniqueByPath(files) {
  const byPath = new Map();
  files.forEach((file, index) => byPath.set(byPath.has(file.path) ? file.path.replace(/(\.\w+)$/, `-${index}$1`) : file.path, file));
  return [...byPath].map(([filePath, file]) => ({ path: filePath, text: file.text }));
}

// Classes above are not hoisted: dispatch once the whole module is defined.
if (!isMainThread) {
  const { audit } = await import(new URL('audit.js', distDir).href);
  const { reporters } = await import(new URL('report/index.js', distDir).href);
  parentPort.on('message', async ({ id, dir, render }) => {
    try {
      const result = await audit({ cwd: dir, paths: ['.'], render });
      const problems = checkResult(result);
      for (const [format, reporter] of Object.entries(reporters)) {
        try {
          if (typeof reporter(result) !== 'string') problems.push(`reporter ${format} did not return a string`);
        } catch (error) {
          problems.push(`reporter ${format} threw: ${describeError(error)}`);
        }
      }
      parentPort.postMessage({ id, problems });
    } catch (error) {
      parentPort.postMessage({ id, problems: [`audit() threw: ${describeError(error)}`] });
    }
  });
} else {
  await main();
}
