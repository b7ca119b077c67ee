// Builds the app model: parses every deployed source file once, runs the single fact-extracting
// traversal on its raw compiler nodes, then joins what one file imports to what another exports,
// so a Map exported by `state.ts` and filled by a route in `routes.ts` carries that route's mutation,
// and a helper exported by `ip-ban.ts` and called by a route in `login.ts` runs in that route.
// The join works on what the walks recorded; no file is walked twice.
//
// Files are parsed with `ts.createSourceFile` from the TypeScript ts-morph bundles, not through a
// ts-morph Project: measured on 2,000 files (~135 lines each), `project.createSourceFile` alone
// costs 2.7x the plain parse (it always links parent pointers, snapshots the text and registers a
// wrapped node), which breaks the 1.5x budget before any fact is extracted. No rule needs a wrapped
// node today; one that does can wrap the few nodes it reports.
import path from 'node:path';
import { ts } from 'ts-morph';
import { deepestPackage } from '../discover.js';
import type { AuditError } from '../findings.js';
import { readFileText } from '../file-text.js';
import type { AppModel, ModuleBinding, MutationSite, PackageInfo, PrismaSqlite, SourceFileFacts } from './app-model.js';
import { resolveFunctions, sortedHandlers } from './call-graph.js';
import { workerLabel } from './handlers.js';
import { resolveRelativeSpecifier } from './module-specifiers.js';
import { prismaSqliteDatasources } from './prisma-schemas.js';
import { confirmMutation } from './mutations.js';
import type { FunctionInfo } from './scopes.js';
import { walkFile, type ExportTarget, type FileWalk, type SiteUse, type UploadSite } from './walk-file.js';

export interface BuildAppModelInput {
  cwd: string;
  /** Deployed source files, POSIX, relative to cwd. */
  sources: string[];
  packages: PackageInfo[];
  /** Prisma schemas, POSIX, relative to cwd. */
  prismaSchemas?: string[];
}

export function buildAppModel(input: BuildAppModelInput): { app: AppModel; errors: AuditError[] } {
  const errors: AuditError[] = [];
  const walks = new Map<string, FileWalk>();
  for (const file of [...input.sources].sort()) {
    const read = readFileText(path.resolve(input.cwd, file));
    if ('error' in read) {
      errors.push({ file, message: read.error });
      continue;
    }
    const sourceFile = ts.createSourceFile(`/${file}`, read.text, ts.ScriptTarget.Latest, false, scriptKindOf(file));
    const syntaxError = firstSyntaxError(sourceFile);
    if (syntaxError !== undefined) errors.push({ file, message: syntaxError });
    const walk = walkFile(sourceFile, file);
    const packageDir = deepestPackage(file, input.packages);
    if (packageDir !== undefined) walk.facts.packageDir = packageDir;
    // Only the extracted facts are kept: the tree is garbage once the walk returns.
    walks.set(file, walk);
  }
  const sources = new Set(walks.keys());
  for (const { facts } of walks.values()) {
    const resolved = facts.moduleSpecifiers.map((specifier) => resolveRelativeSpecifier(facts.path, specifier, sources));
    facts.localImports = [...new Set(resolved.filter((file): file is string => file !== undefined))].sort();
  }
  attachCrossFileUses(walks, sources);
  attachCrossFileCalls(walks, sources);
  nameImportedQueues(walks, sources);
  foldImportedDelays(walks, sources);
  for (const walk of walks.values()) resolveFunctions(walk.functions);
  nameUploadRoutes(walks, sources);
  const files: SourceFileFacts[] = [...walks.values()].map((walk) => walk.facts);
  const prismaSqlite = readPrismaSchemas(input, errors);
  return { app: { packages: input.packages, files, ...(prismaSqlite.length === 0 ? {} : { prismaSqlite }) }, errors };
}

function readPrismaSchemas(input: BuildAppModelInput, errors: AuditError[]): PrismaSqlite[] {
  const found: PrismaSqlite[] = [];
  for (const file of [...(input.prismaSchemas ?? [])].sort()) {
    const read = readFileText(path.resolve(input.cwd, file));
    if ('error' in read) {
      errors.push({ file, message: read.error });
      continue;
    }
    const packageDir = deepestPackage(file, input.packages);
    for (const datasource of prismaSqliteDatasources(file, read.text)) found.push(packageDir === undefined ? datasource : { ...datasource, packageDir });
  }
  return found;
}

function scriptKindOf(file: string): ts.ScriptKind {
  const extension = path.posix.extname(file);
  switch (extension) {
    case '.tsx':
      return ts.ScriptKind.TSX;
    case '.jsx':
      return ts.ScriptKind.JSX;
    case '.js':
    case '.mjs':
    case '.cjs':
      return ts.ScriptKind.JS;
    default:
      return ts.ScriptKind.TS;
  }
}

function firstSyntaxError(sourceFile: ts.SourceFile): string | undefined {
  // Parse diagnostics are what the parser already found; asking a Program for them would build one.
  const diagnostics = (sourceFile as unknown as { parseDiagnostics?: readonly ts.DiagnosticWithLocation[] }).parseDiagnostics;
  const first = diagnostics?.[0];
  if (first === undefined) return undefined;
  const line = sourceFile.getLineAndCharacterOfPosition(first.start).line + 1;
  return `syntax error at line ${line}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}`;
}

const MAX_REEXPORT_HOPS = 8;

function attachCrossFileUses(walks: Map<string, FileWalk>, sources: ReadonlySet<string>): void {
  for (const [file, walk] of walks) {
    for (const crossUse of walk.crossFileUses) {
      const target = resolveRelativeSpecifier(file, crossUse.specifier, sources);
      if (target === undefined) continue;
      markEscape(crossUse, target, walks, sources);
      if (crossUse.name === '*') {
        const whole = findExport(target, 'module.exports', walks, sources);
        if (whole !== undefined && 'binding' in whole) {
          attach(whole.binding, crossUse.use);
          continue;
        }
        if (crossUse.member === undefined) continue;
        const member = findExport(target, crossUse.member.name, walks, sources);
        if (member !== undefined && 'binding' in member) attach(member.binding, crossUse.member.use);
        continue;
      }
      const exported =
        findExport(target, crossUse.name, walks, sources) ??
        (crossUse.name === 'default' ? findExport(target, 'module.exports', walks, sources) : undefined);
      if (exported === undefined) continue;
      if ('binding' in exported) {
        attach(exported.binding, crossUse.use);
      } else if (crossUse.member !== undefined) {
        const field = exported.staticFields.get(crossUse.member.name);
        if (field !== undefined) attach(field, crossUse.member.use);
      }
    }
  }
}

/** A function exported by `file` or one of its files, passed or stored by an importer: it may run any time. */
function markEscape(crossUse: FileWalk['crossFileUses'][number], target: string, walks: Map<string, FileWalk>, sources: ReadonlySet<string>): void {
  if (crossUse.whole === true) {
    const walk = walks.get(target);
    for (const fn of walk?.functionExports.values() ?? []) escape(fn);
    return;
  }
  const fn =
    crossUse.name === '*'
      ? crossUse.member === undefined ? undefined : exportedFunction(target, '*', crossUse.member.name, walks, sources)
      : exportedFunction(target, crossUse.name, crossUse.member?.name, walks, sources) ??
        (crossUse.member === undefined ? undefined : exportedFunction(target, crossUse.name, undefined, walks, sources));
  if (fn !== undefined) escape(fn);
}

function escape(fn: FunctionInfo): void {
  fn.escapes = true;
  fn.usedFromOtherFiles = true;
}

/**
 * `recordFailure(ip)` in a route of `login.ts`, `router.post('/x', rejectBanned)`: the exported
 * function gets the call, marked cross-file so its sites are labelled `POST /x → recordFailure()`.
 */
function attachCrossFileCalls(walks: Map<string, FileWalk>, sources: ReadonlySet<string>): void {
  for (const [file, walk] of walks) {
    for (const { specifier, name, member, instance, call } of walk.crossFileCalls) {
      const target = resolveRelativeSpecifier(file, specifier, sources);
      const fn = target === undefined ? undefined : exportedFunction(target, name, member, walks, sources, instance);
      if (fn === undefined) continue;
      call.crossFile = true;
      fn.calls.push(call);
      fn.usedFromOtherFiles = true;
    }
  }
}

/** The function an import (and member) names: `f`, `ns.f`, `Store.create`, a CommonJS `module.exports = f`. */
function exportedFunction(
  target: string,
  name: string,
  member: string | undefined,
  walks: Map<string, FileWalk>,
  sources: ReadonlySet<string>,
  instance = false,
): FunctionInfo | undefined {
  if (name === '*') return findExported(target, member ?? 'module.exports', walks, sources, functionExport);
  if (member !== undefined) {
    const owner = findExported(target, name, walks, sources, exportTarget);
    if (owner === undefined) return undefined;
    // `registry.add()` on an exported instance, `this.otp.issue()` on an injected provider.
    if ('binding' in owner) return owner.methods?.get(member);
    return instance ? owner.instanceMethods?.get(member) : owner.staticMethods.get(member);
  }
  return (
    findExported(target, name, walks, sources, functionExport) ??
    (name === 'default' ? findExported(target, 'module.exports', walks, sources, functionExport) : undefined)
  );
}

/** `new Worker(IMPORT_QUEUE, …)` with `export const IMPORT_QUEUE = 'csv-import'` elsewhere: `BullMQ worker "csv-import"`. */
function nameImportedQueues(walks: Map<string, FileWalk>, sources: ReadonlySet<string>): void {
  for (const [file, walk] of walks) {
    for (const pending of walk.pendingQueueLabels) {
      const target = resolveRelativeSpecifier(file, pending.specifier, sources);
      const queue = target === undefined ? undefined : findExported(target, pending.name, walks, sources, stringExport);
      if (queue !== undefined) pending.fn.handlerLabels[0] = workerLabel(queue);
    }
  }
}

/** `setTimeout(expire, HOLD_MS)` with `export const HOLD_MS = 15 * 60 * 1000` elsewhere: the delay is known. */
function foldImportedDelays(walks: Map<string, FileWalk>, sources: ReadonlySet<string>): void {
  for (const [file, walk] of walks) {
    for (const { timer, specifier, name } of walk.delays.imported) {
      const target = resolveRelativeSpecifier(file, specifier, sources);
      const ms = target === undefined ? undefined : findExported(target, name, walks, sources, (exporter, exportName) => exporter.delays.exported.get(exportName));
      if (ms !== undefined) timer.delayMs = ms;
    }
  }
}

/** Multer destinations are written in the routes that use the instance as middleware, in any file. */
function nameUploadRoutes(walks: Map<string, FileWalk>, sources: ReadonlySet<string>): void {
  const uploads = new Map<ModuleBinding, UploadSite>();
  for (const walk of walks.values()) for (const [binding, upload] of walk.uploads) uploads.set(binding, upload);
  for (const [file, walk] of walks) {
    for (const { specifier, name, route } of walk.crossFileUploadRoutes) {
      const target = resolveRelativeSpecifier(file, specifier, sources);
      const exported = target === undefined ? undefined : findExported(target, name, walks, sources, exportTarget);
      if (exported !== undefined && 'binding' in exported) uploads.get(exported.binding)?.routes.add(route);
    }
  }
  for (const { site, routes } of new Set(uploads.values())) {
    const handlers = sortedHandlers([...routes].map((routeName) => ({ name: routeName })));
    if (handlers !== undefined) site.handlers = handlers;
  }
}

const exportTarget = (walk: FileWalk, name: string): ExportTarget | undefined => walk.exports.get(name);
const functionExport = (walk: FileWalk, name: string): FunctionInfo | undefined => walk.functionExports.get(name);
const stringExport = (walk: FileWalk, name: string): string | undefined => walk.stringExports.get(name);

function findExport(file: string, name: string, walks: Map<string, FileWalk>, sources: ReadonlySet<string>): ExportTarget | undefined {
  return findExported(file, name, walks, sources, exportTarget);
}

/** An export of `file`, following `export { x } from` and `export * from` inside the scanned tree. */
function findExported<T>(
  file: string,
  name: string,
  walks: Map<string, FileWalk>,
  sources: ReadonlySet<string>,
  pick: (walk: FileWalk, name: string) => T | undefined,
  hops = 0,
): T | undefined {
  const walk = walks.get(file);
  if (walk === undefined || hops > MAX_REEXPORT_HOPS) return undefined;
  const own = pick(walk, name);
  if (own !== undefined) return own;
  for (const reexport of walk.reexports) {
    if (reexport.as !== name && reexport.as !== '*') continue;
    const next = resolveRelativeSpecifier(file, reexport.specifier, sources);
    if (next === undefined) continue;
    const found = findExported(next, reexport.as === '*' ? name : reexport.name, walks, sources, pick, hops + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function attach(binding: ModuleBinding, use: SiteUse): void {
  const confirmed = confirmMutation(binding.initializer, use.mutation);
  if (confirmed === undefined) {
    binding.reads.push(use.site);
    return;
  }
  const site = use.site as MutationSite;
  site.kind = confirmed.kind;
  if (confirmed.method !== undefined) site.method = confirmed.method;
  binding.mutations.push(site);
}
