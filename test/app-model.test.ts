// The app model where fixtures cannot say it: exact mutation kinds and times, path-root folding,
// env defaults and coercions, cross-file joining, syntax errors. Each case writes a tiny tree to
// a temp folder and builds the model from it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { audit } from '../src/audit.js';
import inMemoryState from '../src/rules/in-memory-state.js';
import localFsPersistence from '../src/rules/local-fs-persistence.js';
import type { AppModel, ModuleBinding, SourceFileFacts } from '../src/source/app-model.js';
import { buildAppModel } from '../src/source/build-app-model.js';
import { handlerText } from '../src/source/call-graph.js';

const temp = mkdtempSync(path.join(tmpdir(), 'k8s-audit-app-model-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let counter = 0;

function model(files: Record<string, string>, packages: { dir: string }[] = []): { app: AppModel; errors: { file: string; message: string }[] } {
  const cwd = path.join(temp, String(counter++));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(cwd, file)), { recursive: true });
    writeFileSync(path.join(cwd, file), text);
  }
  return buildAppModel({ cwd, sources: Object.keys(files), packages });
}

function file(app: AppModel, name: string): SourceFileFacts {
  const found = app.files.find((facts) => facts.path === name);
  if (found === undefined) throw new Error(`no facts for ${name}`);
  return found;
}

function binding(app: AppModel, fileName: string, name: string): ModuleBinding {
  const found = file(app, fileName).bindings.find((b) => b.name === name);
  if (found === undefined) throw new Error(`no binding ${name}`);
  return found;
}

const mutations = (b: ModuleBinding): string[] =>
  b.mutations.map((m) => `${m.line} ${m.kind}${m.method ? `:${m.method}` : ''} ${m.time}${handlerText(m) ? ` ${handlerText(m)}` : ''}`);

describe('module bindings', () => {
  it('classifies every mutation kind with its time and handler', () => {
    const { app } = model({
      'a.ts': [
        "import express from 'express';",
        'const codes: Record<string, { attempts: number }> = {};',
        'let last = {};',
        'const list: string[] = [];',
        'const byId = new Map<string, { n: number }>();',
        'const app = express();',
        "app.post('/login/code', (req, res) => {",
        '  codes[req.body.e] = { attempts: 0 };',
        '  codes[req.body.e].attempts++;',
        '  delete codes[req.body.e];',
        '  Object.assign(codes, {});',
        '  last ??= {};',
        '  list.push("x");',
        '  byId.get("k")!.n += 1;',
        '  list.slice().sort();',
        '  codes.x = 1;',
        '});',
      ].join('\n'),
    });
    expect(mutations(binding(app, 'a.ts', 'codes'))).toEqual([
      '8 property-write runtime POST /login/code',
      '9 property-write runtime POST /login/code',
      '10 delete runtime POST /login/code',
      '11 object-assign runtime POST /login/code',
      '16 property-write runtime POST /login/code',
    ]);
    expect(mutations(binding(app, 'a.ts', 'last'))).toEqual(['12 reassign runtime POST /login/code']);
    // `list.slice().sort()` sorts a copy: a read.
    expect(mutations(binding(app, 'a.ts', 'list'))).toEqual(['13 mutator-call:push runtime POST /login/code']);
    expect(binding(app, 'a.ts', 'list').reads.map((r) => r.line)).toEqual([15]);
    expect(mutations(binding(app, 'a.ts', 'byId'))).toEqual(['14 property-write runtime POST /login/code']);
  });

  it('tells init from runtime: top level, sync callbacks, IIFEs, init-only functions, timers, workers, listeners', () => {
    const { app } = model({
      'a.ts': [
        "import { Worker } from 'bullmq';",
        'const m = new Map();',
        'm.set(1, 1);',
        '[1].forEach((x) => m.set(x, x));',
        '(() => { m.set(2, 2); })();',
        'function fill() { m.set(3, 3); }',
        'function outer() { fill(); }',
        'outer();',
        'setInterval(() => m.clear(), 1000);',
        "new Worker('csv-import', async () => { m.delete(1); });",
        "process.on('SIGTERM', () => m.clear());",
        'export function api() { m.set(4, 4); }',
        'function refresh() { m.set(5, 5); }',
        "router.route('/items').put(refresh);",
        "cron.schedule('* * * * *', () => m.clear());",
        'function load(depth: number) { m.set(6, depth); if (depth > 0) load(depth - 1); }',
        'load(2);',
        'function spin() { m.set(7, 7); spin(); }',
      ].join('\n'),
    });
    expect(mutations(binding(app, 'a.ts', 'm'))).toEqual([
      '3 mutator-call:set init',
      '4 mutator-call:set init',
      '5 mutator-call:set init',
      '6 mutator-call:set init',
      '9 mutator-call:clear runtime setInterval callback',
      '10 mutator-call:delete runtime BullMQ worker "csv-import"',
      "11 mutator-call:clear runtime 'SIGTERM' listener",
      '12 mutator-call:set runtime',
      '13 mutator-call:set runtime PUT /items',
      '15 mutator-call:clear runtime cron.schedule callback',
      // Recursion says nothing about when a function runs; only calls from outside the cycle do.
      '16 mutator-call:set init',
      '18 mutator-call:set runtime',
    ]);
  });

  it('resolves by scope: parameters, locals, catch and loop variables shadow the module binding; one-level aliases count', () => {
    const { app } = model({
      'a.ts': [
        'const cache = new Map();',
        "app.get('/a', (req, cache) => { cache.set(1, 1); });",
        "app.get('/b', (req) => { const cache = new Map(); cache.set(1, 1); });",
        "app.get('/c', (req) => { for (const cache of [new Map()]) cache.set(1, 1); try {} catch (cache) { cache.x = 1; } });",
        "app.get('/d', (req) => { if (req) { const s = cache; s.set(2, 2); } });",
        "app.get('/e', (req) => { helper(); function helper() { cache.set(3, 3); } });",
        "app.get('/f', (req) => { { let cache = 1; cache++; } cache.get(1); });",
      ].join('\n'),
    });
    expect(mutations(binding(app, 'a.ts', 'cache'))).toEqual(['5 mutator-call:set runtime GET /d', '6 mutator-call:set runtime GET /e']);
    expect(binding(app, 'a.ts', 'cache').reads.map((r) => r.line)).toEqual([5, 7]);
  });

  it('records initializer kinds, readonly declarations and exports', () => {
    const { app } = model({
      'a.ts': [
        'export const a = {};',
        'const b = [] as const;',
        'const c = Object.freeze({ x: 1 });',
        'const d: ReadonlyMap<string, number> = new Map();',
        'const e = new WeakMap();',
        'const f = Object.create(null);',
        'let g = 0;',
        'const h = new Set<string>();',
        'const i = createClient();',
        'const j = () => 1;',
        'const k: readonly string[] = [];',
        'export { h as seen, i };',
        'export default e;',
      ].join('\n'),
    });
    const summary = file(app, 'a.ts').bindings.map((b) => `${b.name} ${b.declarationKind} ${b.initializer}${b.readonly ? ' readonly' : ''}${b.exportedAs.length ? ` [${b.exportedAs.join(',')}]` : ''}`);
    expect(summary).toEqual([
      'a const object-literal [a]',
      'b const array-literal readonly',
      'c const object-literal readonly',
      'd const map readonly',
      'e const weak-collection [default]',
      'f const object-literal',
      'g let literal',
      'h const set [seen]',
      'i const call [i]',
      'j const function',
      'k const array-literal readonly',
    ]);
  });

  it('finds static fields written through the class name and through `this` in static methods', () => {
    const { app } = model({
      'a.ts': [
        'export class Store {',
        '  static sessions = new Map();',
        '  static counts: Record<string, number> = {};',
        '  static add(k: string) { this.sessions.set(k, 1); }',
        '  bump(k: string) { this.counts = {}; Store.counts[k] = 1; }',
        '  static { this.sessions.set("boot", 0); }',
        '}',
      ].join('\n'),
    });
    const sessions = binding(app, 'a.ts', 'sessions');
    expect(sessions.declarationKind).toBe('static-field');
    expect(sessions.className).toBe('Store');
    expect(sessions.exportedAs).toEqual(['Store.sessions']);
    expect(mutations(sessions)).toEqual(['4 mutator-call:set runtime', '6 mutator-call:set init']);
    // `this.counts` in an instance method is the instance's, not the static field.
    expect(mutations(binding(app, 'a.ts', 'counts'))).toEqual(['5 property-write runtime']);
  });

  it('attaches mutations and reads from importing files: named, renamed, default, namespace, require, re-export, static field', () => {
    const { app } = model({
      'src/state.ts': 'export const jobs = new Map();\nconst codes = {};\nexport default codes;\nexport class Store { static users = new Set(); }\n',
      'src/cjs.js': 'const pending = [];\nmodule.exports = { pending };\n',
      'src/index.ts': "export { jobs as allJobs } from './state.js';\n",
      'src/routes/a.ts': [
        "import { jobs as j, Store } from '../state.js';",
        "import codes from '../state';",
        "import * as s from '../state.js';",
        "import { allJobs } from '..';",
        "app.post('/a', () => { j.set(1, 1); codes.x = 1; s.jobs.clear(); allJobs.delete(1); Store.users.add('u'); });",
        "app.get('/b', () => j.get(1));",
      ].join('\n'),
      'src/routes/b.js': "const { pending } = require('../cjs');\nconst cjs = require('../cjs.js');\napp.post('/c', () => { pending.push(1); cjs.pending.pop(); });\n",
    });
    expect(mutations(binding(app, 'src/state.ts', 'jobs'))).toEqual([
      '5 mutator-call:set runtime POST /a',
      '5 mutator-call:clear runtime POST /a',
      '5 mutator-call:delete runtime POST /a',
    ]);
    expect(binding(app, 'src/state.ts', 'jobs').reads.map((r) => `${r.file}:${r.line} ${handlerText(r)}`)).toEqual(['src/routes/a.ts:6 GET /b']);
    expect(mutations(binding(app, 'src/state.ts', 'codes'))).toEqual(['5 property-write runtime POST /a']);
    expect(mutations(binding(app, 'src/state.ts', 'users'))).toEqual(['5 mutator-call:add runtime POST /a']);
    expect(mutations(binding(app, 'src/cjs.js', 'pending'))).toEqual(['3 mutator-call:push runtime POST /c', '3 mutator-call:pop runtime POST /c']);
  });
});

describe('handlers across files', () => {
  const labels = (b: ModuleBinding): string[] => [
    ...b.mutations.map((m) => `write ${m.file}:${m.line} ${m.time}${handlerText(m) ? ` ${handlerText(m)}` : ''}`),
    ...b.reads.map((r) => `read ${r.file}:${r.line} ${r.time}${handlerText(r) ? ` ${handlerText(r)}` : ''}`),
  ];

  it('labels sites in exported helpers with the routes that call them from other files: named, default, const arrow, CommonJS, namespace, re-export, static method, registration', () => {
    const { app } = model({
      'src/state.ts': [
        'const hits = new Map();',
        'export function countHit(k: string) { hits.set(k, 1); }',
        'export default function resetAll() { hits.clear(); }',
        'export const dropHit = (k: string) => { hits.delete(k); };',
        'export class Store { static add(k: string) { hits.set(k, 2); } }',
        'export function guard(req: unknown, res: unknown, next: () => void) { if (isHot()) next(); }',
        'function isHot() { return hits.size > 10; }',
      ].join('\n'),
      'src/cjs.js': "const seen = new Set();\nfunction mark(k) { seen.add(k); }\nexports.mark = mark;\nmodule.exports.unmark = (k) => seen.delete(k);\n",
      'src/index.ts': "export { countHit as count } from './state.js';\n",
      'src/routes/a.ts': [
        "import resetAll, { dropHit, guard, Store } from '../state.js';",
        "import * as state from '../state.js';",
        "import { count } from '../index.js';",
        "app.post('/hit', guard, (req) => { count(req.ip); state.countHit('x'); });",
        "app.delete('/hits', (req) => { resetAll(); dropHit('k'); Store.add('k'); });",
      ].join('\n'),
      'src/routes/b.js': "const { mark } = require('../cjs');\napp.post('/mark', (req) => { mark(req.ip); });\n",
    });
    expect(labels(binding(app, 'src/state.ts', 'hits'))).toEqual([
      'write src/state.ts:2 runtime POST /hit → countHit()',
      'write src/state.ts:3 runtime DELETE /hits → resetAll()',
      'write src/state.ts:4 runtime DELETE /hits → dropHit()',
      'write src/state.ts:5 runtime DELETE /hits → Store.add()',
      // Same-file calls add no hop: `isHot()` runs in the route through `guard`, registered from a.ts.
      'read src/state.ts:7 runtime POST /hit → guard()',
    ]);
    const seen = binding(app, 'src/cjs.js', 'seen');
    // An inline function value (`module.exports.unmark = (k) => …`) is no tracked function: runtime, unnamed.
    expect(seen.mutations.map((m) => `${m.line} ${m.time} ${handlerText(m) ?? '-'}`)).toEqual(['2 runtime POST /mark → mark()', '4 runtime -']);
    expect(seen.mutations[0]!.handlers).toEqual([{ name: 'POST /mark', via: ['mark'] }]);
  });

  it('labels Fastify and hapi route objects, the handler in Fastify options, and records their paths and prefixes', () => {
    const { app } = model({
      'src/server.ts': [
        "import Fastify from 'fastify';",
        'const seen = new Map();',
        'const app = Fastify();',
        "app.route({ method: 'POST', url: '/a', preHandler: async (req) => { seen.set('pre', 1); }, handler: async (req) => { seen.set(req.ip, 1); } });",
        "app.get('/b', { schema: {}, handler(req) { seen.delete(req.ip); } });",
        "server.route([{ method: 'GET', path: '/c/{id}', handler: () => seen.get('x') }, { method: ['PUT', 'PATCH'], path: '/d', options: { handler: (r) => seen.set(r, 2) } }]);",
        "app.register(plugin, { prefix: '/v1' });",
        "server.register(plugin, { routes: { prefix: '/v2' } });",
        "router.route('/e').get(onlyExpress);",
      ].join('\n'),
    });
    expect(labels(binding(app, 'src/server.ts', 'seen'))).toEqual([
      'write src/server.ts:4 runtime POST /a',
      'write src/server.ts:4 runtime POST /a',
      'write src/server.ts:5 runtime GET /b',
      'write src/server.ts:6 runtime PUT|PATCH /d',
      'read src/server.ts:6 runtime GET /c/:id',
    ]);
    expect(file(app, 'src/server.ts').routes.map((route) => `${route.line} ${route.method} ${route.path}`)).toEqual([
      '4 POST /a', '5 GET /b', '6 GET /c/:id', '6 PUT /d', '6 PATCH /d', '7 USE /v1', '8 USE /v2', '9 GET /e',
    ]);
  });

  it('follows two cross-file hops, sorts several handlers, and keeps same-file labels plain', () => {
    const { app } = model({
      'src/store.ts': 'const cache = new Map();\nexport function put(k: string) { cache.set(k, 1); }\n',
      'src/service.ts': "import { put } from './store.js';\nexport function save(k: string) { put(k); }\n",
      'src/routes.ts': [
        "import { save } from './service.js';",
        "import { put } from './store.js';",
        "app.post('/z', () => save('z'));",
        "app.post('/a', () => { save('a'); put('b'); });",
      ].join('\n'),
    });
    const cache = binding(app, 'src/store.ts', 'cache');
    expect(cache.mutations.map((m) => handlerText(m))).toEqual(['POST /a → put(), POST /a → save() → put(), POST /z → save() → put()']);
    expect(cache.mutations[0]!.handlers).toEqual([
      { name: 'POST /a', via: ['put'] },
      { name: 'POST /a', via: ['save', 'put'] },
      { name: 'POST /z', via: ['save', 'put'] },
    ]);
  });

  it('keeps an exported helper init when every call in every file is at start-up, and runtime when it escapes or nobody calls it', () => {
    const { app } = model({
      'src/flags.ts': [
        'const flags = new Map();',
        'export function load(n: string) { flags.set(n, true); }',
        'export function loadLater(n: string) { flags.set(n, false); }',
        'export function unused() { flags.clear(); }',
        'export function loadPlugins() { flags.delete("x"); }',
      ].join('\n'),
      'src/boot.ts': [
        "import { load, loadLater, loadPlugins } from './flags.js';",
        "async function main() { load('a'); loadPlugins(); }",
        'main();',
        'setTimeout(loadLater, 10);',
        "loadLater('b');",
      ].join('\n'),
      // Handed to unknown code: it may run any time.
      'src/plugins.ts': "import { loadPlugins } from './flags.js';\nregisterPlugin(loadPlugins);\n",
      // A namespace handed over whole: every function of the module may run any time.
      'src/hooks.ts': 'const hooks: string[] = [];\nexport function addHook(h: string) { hooks.push(h); }\n',
      'src/setup.ts': "import * as hookApi from './hooks.js';\nimport { addHook } from './hooks.js';\naddHook('boot');\nexpose(hookApi);\n",
    });
    expect(labels(binding(app, 'src/hooks.ts', 'hooks'))).toEqual(['write src/hooks.ts:2 runtime']);
    expect(labels(binding(app, 'src/flags.ts', 'flags'))).toEqual([
      'write src/flags.ts:2 init',
      'write src/flags.ts:3 runtime setTimeout callback → loadLater()',
      'write src/flags.ts:4 runtime',
      'write src/flags.ts:5 runtime',
    ]);
  });

  it('does not take exporting a function for an escape (export default, module.exports), and follows `await import()` (juice-shop start-up)', () => {
    const { app } = model({
      'src/restore.ts': 'const copies: string[] = [];\nconst restore = async () => { copies.push("legal.md"); };\nexport default restore;\n',
      'src/seed.js': 'const seeds = [];\nfunction seed() { seeds.push(1); }\nfunction reset() { seeds.length = 0; }\nmodule.exports = { seed, clear: reset };\n',
      'src/boot.ts': "import restore from './restore';\nconst { seed, clear } = require('./seed');\nrestore().then(() => seed());\nexpose(clear);\n",
      // Loaded with a dynamic import from an async main, as juice-shop's app.ts loads its server.
      'src/server.ts': 'const routes = new Map();\nexport async function start() { routes.set("/", 1); }\nexport function later() { routes.clear(); }\n',
      'src/app.ts': "async function main() {\n  const server = await import('./server');\n  const { later } = await import('./server');\n  await server.start();\n  onSignal(later);\n}\nmain();\n",
    });
    expect(labels(binding(app, 'src/restore.ts', 'copies'))).toEqual(['write src/restore.ts:2 init']);
    expect(labels(binding(app, 'src/seed.js', 'seeds'))).toEqual(['write src/seed.js:2 init', 'write src/seed.js:3 runtime']);
    expect(labels(binding(app, 'src/server.ts', 'routes'))).toEqual(['write src/server.ts:2 init', 'write src/server.ts:3 runtime']);
  });

  it('counts a wrapper invoked at once and a function-local list of steps as calls (juice-shop start-up), not a module-level list', () => {
    const { app } = model({
      'src/cache.ts': [
        'export const users = {};',
        'export const flags = {};',
        'export const plugins = {};',
        "export async function validate() { flags['ok'] = true; }",
        "export async function createUsers() { users['admin'] = {}; }",
        "export async function loadPlugins() { plugins['x'] = 1; }",
      ].join('\n'),
      'src/start.ts': [
        "import { createUsers, loadPlugins, validate } from './cache';",
        'const timed = (name: string, fn: () => Promise<void>) => async () => { await fn(); };',
        "void timed('validate', validate)();",
        'async function seed() {',
        '  const steps = [createUsers];',
        '  for (const step of steps) await step();',
        '}',
        'seed();',
        'export const hooks = [loadPlugins];',
      ].join('\n'),
    });
    expect(labels(binding(app, 'src/cache.ts', 'flags'))).toEqual(['write src/cache.ts:4 init']);
    expect(labels(binding(app, 'src/cache.ts', 'users'))).toEqual(['write src/cache.ts:5 init']);
    expect(labels(binding(app, 'src/cache.ts', 'plugins'))).toEqual(['write src/cache.ts:6 runtime']);
  });

  it('seeds through an anonymous default export at start-up, whatever an uncalled exported helper does, and runs a returned handler at runtime (juice-shop)', () => {
    const { app } = model({
      'src/datacache.ts': 'export const users = {};\nexport const minted = new Set();\n',
      'src/seed.ts': "import { users } from './datacache';\nexport default async () => { users['admin'] = {}; };\n",
      'src/nft.ts': "import { minted } from './datacache';\nexport function verify() {\n  return (req: any, res: any) => { minted.delete(req.body.address); res.end(); };\n}\n",
      'src/server.ts': [
        "import seed from './seed';",
        "import { verify } from './nft';",
        'function configure(app: any) { app.post("/verify", verify()); }',
        'export async function start(app: any) { await seed(); configure(app); }',
        '// Called by the tests only: no scanned file calls it.',
        'export async function createApp(app: any) { await seed(); configure(app); }',
      ].join('\n'),
      'src/main.ts': "import { start } from './server';\nstart({});\n",
    });
    expect(labels(binding(app, 'src/datacache.ts', 'users'))).toEqual(['write src/seed.ts:2 init']);
    expect(labels(binding(app, 'src/datacache.ts', 'minted'))).toEqual(['write src/nft.ts:3 runtime']);
  });

  it('names BullMQ workers by a queue constant of the same file or another file', () => {
    const { app } = model({
      'src/queue.ts': "export const IMPORT_QUEUE = 'csv-import';\nconst LOCAL = 'local';\nexport { LOCAL as OTHER };\n",
      'src/worker.ts': [
        "import { Worker } from 'bullmq';",
        "import { IMPORT_QUEUE, OTHER } from './queue.js';",
        "const EXPORT_QUEUE = 'csv-export';",
        'const seen = new Set();',
        'async function process(job: { id: string }) { seen.add(job.id); }',
        'new Worker(IMPORT_QUEUE, process);',
        'new Worker(EXPORT_QUEUE, async (job) => { seen.delete(job.id); });',
        'new Worker(OTHER, async (job) => { seen.clear(); });',
      ].join('\n'),
    });
    expect(binding(app, 'src/worker.ts', 'seen').mutations.map((m) => `${m.line} ${handlerText(m)}`)).toEqual([
      '5 BullMQ worker "csv-import"',
      '7 BullMQ worker "csv-export"',
      '8 BullMQ worker "local"',
    ]);
  });

  it('names the routes that use a multer instance as middleware, in its file or another', () => {
    const { app } = model({
      'src/upload.ts': [
        "import multer from 'multer';",
        "const storage = multer.diskStorage({ destination: '/srv/avatars' });",
        "export const avatars = multer({ storage });",
        "const csv = multer({ dest: 'uploads/' });",
        "const unused = multer({ dest: 'spare/' });",
        "router.post('/csv', csv.single('file'), (req, res) => res.sendStatus(202));",
        "router.put('/csv', csv.array('files'), (req, res) => res.sendStatus(202));",
      ].join('\n'),
      'src/routes.ts': "import { avatars } from './upload.js';\nrouter.post('/avatar', avatars.single('a'), (req, res) => res.sendStatus(201));\n",
    });
    expect(file(app, 'src/upload.ts').fsCalls.map((c) => `${c.line} ${c.api} ${c.time} ${handlerText(c) ?? '-'}`)).toEqual([
      '2 multer runtime POST /avatar',
      '4 multer runtime POST /csv, PUT /csv',
      '5 multer runtime -',
    ]);
  });
});

describe('NestJS and singletons', () => {
  it('reads Nest routes with their controller prefix, global prefix and unknown paths; lifecycle hooks run at start-up', () => {
    const { app } = model({
      'main.ts': [
        "import { NestFactory } from '@nestjs/core';",
        'async function bootstrap() {',
        '  const app = await NestFactory.create({});',
        "  app.setGlobalPrefix('api');",
        '}',
        'void bootstrap();',
      ].join('\n'),
      'codes.controller.ts': [
        "import { Controller, Get, Post, Injectable, Scope } from '@nestjs/common';",
        "import { OnEvent } from '@nestjs/event-emitter';",
        "const BASE = 'x';",
        "@Controller('codes')",
        'export class CodesController {',
        '  private readonly seen = new Set<string>();',
        '  private readonly warm = new Map<string, number>();',
        "  onModuleInit() { this.warm.set('a', 1); }",
        "  @Post('issue') issue() { this.seen.add('k'); this.remember(); }",
        '  @Get() list() { return [...this.seen]; }',
        '  @Get(BASE) other() { return 1; }',
        "  @OnEvent('user.deleted') forget() { this.seen.clear(); }",
        "  private remember() { this.warm.set('b', 2); }",
        '}',
        '@Injectable({ scope: Scope.REQUEST })',
        'export class PerRequest { private readonly tags = new Map(); tag() { this.tags.set(1, 2); } }',
      ].join('\n'),
    });
    expect(file(app, 'main.ts').routes.map((r) => `${r.method} ${r.path}`)).toEqual(['USE /api']);
    expect(file(app, 'codes.controller.ts').routes.map((r) => `${r.method} ${r.path} ${r.line}`)).toEqual(['POST /codes/issue 9', 'GET /codes 10', 'USE * 11']);
    const [controller, ...others] = file(app, 'codes.controller.ts').singletons;
    expect(others).toEqual([]);
    expect(controller!.instantiation).toBe("@Controller('codes')");
    const fieldSites = (name: string): string[] => {
      const field = controller!.fields.find((candidate) => candidate.name === name)!;
      return field.mutations.map((m) => `${m.line} ${m.kind}${m.method ? `:${m.method}` : ''} ${m.time}${handlerText(m) ? ` ${handlerText(m)}` : ''}`);
    };
    expect(fieldSites('seen')).toEqual(['9 mutator-call:add runtime POST /codes/issue', '12 mutator-call:clear runtime event listener "user.deleted"']);
    expect(fieldSites('warm')).toEqual(['8 mutator-call:set init', '13 mutator-call:set runtime POST /codes/issue']);
  });

  it('joins calls on injected providers and exported instances to the methods they run', () => {
    const { app } = model({
      'otp.service.ts': [
        "import { Injectable } from '@nestjs/common';",
        '@Injectable()',
        'export class OtpService {',
        '  private codes = new Map<string, string>();',
        "  issue(p: string) { this.codes.set(p, '1'); }",
        '  check(p: string) { return this.codes.get(p); }',
        '}',
      ].join('\n'),
      'otp.controller.ts': [
        "import { Controller, Post } from '@nestjs/common';",
        "import { OtpService } from './otp.service';",
        "@Controller('otp')",
        'export class OtpController {',
        '  constructor(private readonly otp: OtpService) {}',
        "  @Post('send') send() { this.otp.issue('p'); }",
        '}',
      ].join('\n'),
      'registry.js': ['class Registry {', '  constructor() { this.items = []; }', '  add(x) { this.items.push(x); }', '}', 'module.exports = new Registry();'].join('\n'),
      'server.js': ["const registry = require('./registry');", "app.post('/items', (req, res) => registry.add(req.body));"].join('\n'),
    });
    const codes = file(app, 'otp.service.ts').singletons[0]!.fields[0]!;
    expect(codes.mutations.map((m) => `${m.line} ${handlerText(m)}`)).toEqual(['5 POST /otp/send → OtpService.issue()']);
    expect(codes.reads.map((m) => `${m.line} ${m.time} ${handlerText(m) ?? '-'}`)).toEqual(['6 runtime -']);
    const items = file(app, 'registry.js').singletons[0]!.fields[0]!;
    expect(items.initializer).toBe('array-literal');
    expect(items.mutations.map((m) => `${m.line} ${m.time} ${handlerText(m) ?? '-'}`)).toEqual(['2 init -', '3 runtime POST /items → Registry.add()']);
  });

  it('records global and app.locals slots, and the shape of reassignments', () => {
    const { app } = model({
      'a.ts': [
        "app.locals.title = 'x';",
        'let client; let ready = false; let n = 0;',
        "app.get('/a', (req, res) => {",
        '  req.app.locals.users.add(1);',
        '  if (!client) client = new Redis();',
        '  ready = true;',
        '  n += 2;',
        '  const global = {}; global.x = 1;',
        '  globalThis.seen = (globalThis.seen ?? 0) + 1;',
        '});',
      ].join('\n'),
    });
    const slots = file(app, 'a.ts').globalSlots.map((slot) => `${slot.text} ${slot.mutations.map((m) => `${m.line}:${m.kind}:${m.time}`).join(',')}`);
    expect(slots).toEqual(['app.locals.title 1:reassign:init', 'app.locals.users 4:mutator-call:runtime', 'globalThis.seen 9:reassign:runtime']);
    const shape = (name: string): string => binding(app, 'a.ts', name).mutations.map((m) => `${m.kind} ${m.value ?? '-'}${m.lazy ? ' lazy' : ''}${m.compound ? ' compound' : ''}`).join(',');
    expect(shape('client')).toBe('reassign new-instance lazy');
    expect(shape('ready')).toBe('reassign literal');
    expect(shape('n')).toBe('reassign literal compound');
  });
});

describe('finding messages name the handler and the cross-file helper', () => {
  function tree(files: Record<string, string>): string {
    const cwd = path.join(temp, String(counter++));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(cwd, name)), { recursive: true });
      writeFileSync(path.join(cwd, name), text);
    }
    return cwd;
  }

  it('in-memory-state: a handler reached through helpers in another file, listed once per handler', async () => {
    const cwd = tree({
      'src/ban.ts': [
        'const attempts: Record<string, number> = {};',
        'const banned = new Set<string>();',
        'export function isBanned(ip: string) { return banned.has(ip); }',
        'export function recordFailure(ip: string) { attempts[ip] = (attempts[ip] ?? 0) + 1; if (attempts[ip] > 5) banned.add(ip); }',
        'export function clearFailures(ip: string) { delete attempts[ip]; }',
        'export function rejectBanned(req: { ip: string }, res: unknown, next: () => void) { if (!isBanned(req.ip)) next(); }',
      ].join('\n'),
      'src/login.ts': [
        "import { clearFailures, recordFailure, rejectBanned } from './ban.js';",
        "router.post('/login/code', rejectBanned, (req, res) => res.sendStatus(204));",
        "router.post('/login/verify', rejectBanned, (req, res) => { if (req.body.ok) clearFailures(req.ip); else recordFailure(req.ip); });",
      ].join('\n'),
    });
    const { findings } = await audit({ cwd, paths: ['src'], rules: [inMemoryState] });
    expect(findings.map((f) => `${f.line} ${f.message.slice(0, f.message.indexOf(': '))}`)).toEqual([
      '1 `attempts` is written and read in `POST /login/verify` (via `clearFailures()` and `recordFailure()`)',
      '2 `banned` is written in `POST /login/verify` (via `recordFailure()`) and read in `POST /login/code` and `POST /login/verify` (via `rejectBanned()`)',
    ]);
    expect(findings[1]!.related?.map((r) => `${r.line} ${r.message}`)).toEqual([
      '4 written in POST /login/verify → recordFailure()',
      '3 read in POST /login/code → rejectBanned(), POST /login/verify → rejectBanned()',
    ]);
  });

  it('local-fs-persistence: multer uploads are stored in the routes using the middleware; workers are named by their queue constant', async () => {
    const cwd = tree({
      'src/queue.ts': "export const RESULTS_QUEUE = 'results';\n",
      'src/jobs.ts': [
        "import multer from 'multer';",
        "import fs from 'node:fs';",
        "import { Worker } from 'bullmq';",
        "import { RESULTS_QUEUE } from './queue.js';",
        "const upload = multer({ dest: 'uploads/' });",
        "router.post('/jobs/upload', upload.single('file'), (req, res) => res.sendStatus(202));",
        "new Worker(RESULTS_QUEUE, async (job) => { fs.writeFileSync('/data/results/' + job.id, ''); });",
        "router.get('/results/:id', (req, res) => res.sendFile('/data/results/' + req.params.id));",
      ].join('\n'),
    });
    const { findings } = await audit({ cwd, paths: ['src'], rules: [localFsPersistence] });
    expect(findings.map((f) => `${f.line} ${f.message.slice(0, f.message.indexOf(': '))}`)).toEqual([
      '5 multer stores uploaded files under `uploads/` (repo-relative, inside the container) in `POST /jobs/upload`',
      "7 `'/data/results/' + job.id` (under `/data/results`) is written in `BullMQ worker \"results\"` and read back in `GET /results/:id`",
    ]);
  });
});

describe('filesystem calls and path roots', () => {
  it('recognises fs imports and folds path expressions', () => {
    const { app } = model({
      'a.ts': [
        "import fs, { promises as fsp } from 'node:fs';",
        "import * as fsx from 'fs-extra';",
        "import { writeFile } from 'fs/promises';",
        "import path, { join } from 'node:path';",
        "import os from 'node:os';",
        "const RESULTS_DIR = process.env.RESULTS_DIR || '/data/results';",
        "const DATA = '/srv/data';",
        'export async function run(id: string, p: string) {',
        '  fs.writeFileSync(`${RESULTS_DIR}/${id}.csv`, "");',
        '  await fsp.mkdir(path.join(os.tmpdir(), id));',
        '  await writeFile(join(DATA, "x", id), "");',
        "  await fsx.outputJson(path.resolve(__dirname, '../uploads', id), {});",
        "  fs.rmSync('./cache/' + id);",
        '  fs.readFileSync(p);',
        '  await fs.promises.appendFile(`/tmp/${id}`, "");',
        "  fs.renameSync(p, path.join(process.cwd(), 'archive', id));",
        "  require('fs').copyFileSync(p, `${process.env['BACKUP_DIR']}/x`);",
        '  fs.createWriteStream(`${process.env.DD_ENV}_${Date.now()}.heapsnapshot`);',
        "  fs.writeFileSync(process.env.APP_NAME + '-report.txt', '');",
        '}',
      ].join('\n'),
    });
    const calls = file(app, 'a.ts').fsCalls.map((c) => {
      const where = c.path === undefined ? '' : `${c.path.root}${c.path.envVar ? ` $${c.path.envVar}` : ''}${c.path.prefix ? ` ${c.path.prefix}` : ''}`;
      return `${c.line} ${c.api} ${c.access} ${where}`;
    });
    expect(calls).toEqual([
      '9 fs.writeFileSync write env $RESULTS_DIR',
      '10 fs.promises.mkdir write tmp',
      '11 fs.promises.writeFile write absolute /srv/data/x',
      '12 fs.outputJson write repo ../uploads',
      '13 fs.rmSync delete repo cache',
      '14 fs.readFileSync read dynamic',
      '15 fs.promises.appendFile write tmp',
      '16 fs.renameSync write repo archive',
      '17 fs.copyFileSync write env $BACKUP_DIR',
      // An env value glued to more of a name is a file name in the working directory, not a folder.
      '18 fs.createWriteStream write repo',
      '19 fs.writeFileSync write repo',
    ]);
  });

  it('records Express file serving as reads and leaves look-alikes alone', () => {
    const { app } = model({
      'a.js': [
        "const express = require('express');",
        "const { writeFile } = require('fs');",
        "const fs = { writeFileSync() {} };",
        "app.use(express.static('public'));",
        "app.get('/f', (req, res) => { res.sendFile('/srv/files/a.pdf'); cache.writeFile('x'); fs.writeFileSync('y'); writeFile('./out', ''); });",
      ].join('\n'),
    });
    expect(file(app, 'a.js').fsCalls.map((c) => `${c.line} ${c.api} ${c.access} ${c.time} ${c.path?.root} ${c.path?.prefix ?? ''}`)).toEqual([
      '4 express.static read init repo public',
      '5 res.sendFile read runtime absolute /srv/files',
      '5 fs.writeFile write runtime repo out',
    ]);
  });
  it('keeps the literal file name a path ends in, and reads a glob walk from the folder before its first wildcard', () => {
    const { app } = model({
      'a.ts': [
        "import fs from 'node:fs';",
        "import fg from 'fast-glob';",
        "import { globSync } from 'glob';",
        "fs.readFileSync(path.join(process.env.DATA_DIR, 'rates.json'));",
        'fs.readFileSync(`${process.env.DATA_DIR}/${name}.json`);',
        "fs.readFileSync(path.join(path.dirname('/etc/app/config.yaml'), 'ca.pem'));",
        "fg.sync('uploads/**/*.jpg');",
        'fg.sync(`${process.env.MEDIA_DIR}/**/*.webp`);',
        "globSync('migrations/*.sql', { cwd: '/srv/app' });",
        "fg.sync(['/data/reports/*.json', '!/data/reports/draft-*.json']);",
      ].join('\n'),
    });
    expect(file(app, 'a.ts').fsCalls.map((c) => `${c.line} ${c.api} ${c.path?.root} ${c.path?.envVar ?? c.path?.prefix ?? '-'} ${c.path?.file ?? '-'}`)).toEqual([
      '4 fs.readFileSync env DATA_DIR rates.json',
      '5 fs.readFileSync env DATA_DIR -',
      '6 fs.readFileSync absolute /etc/app ca.pem',
      '7 fast-glob.sync repo uploads -',
      '8 fast-glob.sync env MEDIA_DIR -',
      '9 glob.globSync absolute /srv/app/migrations -',
      '10 fast-glob.sync absolute /data/reports -',
    ]);
  });
});

describe('env reads', () => {
  it('records defaults, coercions and time', () => {
    const { app } = model({
      'a.ts': [
        "const { REDIS_URL, PORT = '3000', 'LOG-LEVEL': level } = process.env;",
        'const workers = Number(process.env.WORKERS ?? 4);',
        "const debug = process.env.DEBUG === 'true';",
        'const flags = JSON.parse(process.env.FLAGS || "{}");',
        'const api = new URL(process.env.API_URL!);',
        "const hosts = process.env.HOSTS?.split(',') ?? [];",
        'const timeout = +process.env["TIMEOUT_MS"]! || 5000;',
        "const region = process.env.REGION ? process.env.REGION : 'eu-west-1';",
        'export function handler() { return parseInt(process.env.LIMIT as string, 10); }',
        'const env = process.env; const secret = env.JWT_SECRET;',
      ].join('\n'),
    });
    expect(file(app, 'a.ts').envReads.map((r) => `${r.line} ${r.name} ${r.hasDefault ? `default=${r.defaultText}` : 'required'} ${r.coercion ?? '-'} ${r.time}`)).toEqual([
      '1 REDIS_URL required - init',
      "1 PORT default='3000' - init",
      '1 LOG-LEVEL required - init',
      '2 WORKERS default=4 number init',
      "3 DEBUG required boolean init",
      '4 FLAGS default="{}" json init',
      '5 API_URL required url init',
      // `?.split` cannot throw: an unset HOSTS short-circuits to the fallback.
      '6 HOSTS default=[] - init',
      '7 TIMEOUT_MS default=5000 number init',
      "8 REGION default='eu-west-1' - init",
      '9 LIMIT required number runtime',
      '10 JWT_SECRET required - init',
    ]);
  });
});

describe('files', () => {
  it('reports syntax errors and still extracts the recovered tree; assigns the deepest package', () => {
    const { app, errors } = model(
      {
        'packages/api/src/bad.ts': 'const codes = {};\napp.post("/x", (req) => { codes[req.id] = 1; });\nconst = ;\n',
        'packages/api/src/ok.ts': 'export const x = 1;\n',
        'tools/a.ts': 'export const y = 2;\n',
      },
      [{ dir: '.' }, { dir: 'packages/api' }],
    );
    expect(errors).toEqual([{ file: 'packages/api/src/bad.ts', message: 'syntax error at line 3: Variable declaration expected.' }]);
    expect(mutations(binding(app, 'packages/api/src/bad.ts', 'codes'))).toEqual(['2 property-write runtime POST /x']);
    expect(app.files.map((f) => `${f.path} ${f.packageDir}`)).toEqual([
      'packages/api/src/bad.ts packages/api',
      'packages/api/src/ok.ts packages/api',
      'tools/a.ts .',
    ]);
  });
});

describe('timers', () => {
  it('folds delays through literals, products and constants, and marks stores, dates and bounding timeouts', () => {
    const { app } = model({
      'timers.ts': [
        "import { setTimeout as sleep } from 'node:timers/promises';",
        'const MINUTE = 60_000;',
        'const HOLD = 15 * MINUTE;',
        'const timers = new Map();',
        "app.post('/a', (req, res) => {",
        '  setTimeout(() => expire(req.body.id), HOLD);',
        '  timers.set(req.body.id, setTimeout(expire, req.body.ms));',
        '  const handle = setInterval(() => poll(), 2 * 60 * 60 * 1000);',
        '  timers.set(req.body.id, handle);',
        '  setTimeout(() => remind(), req.body.at.getTime() - Date.now());',
        '  setTimeout(() => controller.abort(), 90_000);',
        '  setTimeout(() => log(), 90_000).unref();',
        '  await new Promise((done) => setTimeout(done, 90_000));',
        '  await sleep(90_000);',
        '});',
        'function setTimeoutLocal() { const setTimeout = (f: () => void) => f(); setTimeout(() => 1); }',
      ].join('\n'),
    });
    const timers = file(app, 'timers.ts').timers.map((timer) => ({
      line: timer.line,
      api: timer.api,
      ms: timer.delayMs,
      date: timer.delayFromDate,
      callback: timer.callback,
      stored: timer.storedIn,
      bounded: timer.bounded,
      handler: handlerText(timer),
    }));
    expect(timers).toEqual([
      { line: 6, api: 'setTimeout', ms: 900_000, date: undefined, callback: 'expire()', stored: undefined, bounded: undefined, handler: 'POST /a' },
      { line: 7, api: 'setTimeout', ms: undefined, date: undefined, callback: 'expire()', stored: 'timers', bounded: undefined, handler: 'POST /a' },
      { line: 8, api: 'setInterval', ms: 7_200_000, date: undefined, callback: 'poll()', stored: 'timers', bounded: undefined, handler: 'POST /a' },
      { line: 10, api: 'setTimeout', ms: undefined, date: true, callback: 'remind()', stored: undefined, bounded: undefined, handler: 'POST /a' },
      { line: 11, api: 'setTimeout', ms: 90_000, date: undefined, callback: 'controller.abort()', stored: undefined, bounded: true, handler: 'POST /a' },
      { line: 12, api: 'setTimeout', ms: 90_000, date: undefined, callback: 'log()', stored: undefined, bounded: true, handler: 'POST /a' },
      { line: 13, api: 'setTimeout', ms: 90_000, date: undefined, callback: 'done()', stored: undefined, bounded: true, handler: 'POST /a' },
    ]);
  });
});
