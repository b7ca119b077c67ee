// Builds the app model: parses every deployed source file once, runs the single fact-extracting
// traversal on its raw compiler nodes, then joins what one file imports to what another exports,
// so a Map exported by `state.ts` and filled by a route in `routes.ts` carries that route's mutation.
//
// Files are parsed with `ts.createSourceFile` from the TypeScript ts-morph bundles, not through a
// ts-morph Project: measured on 2,000 files (~135 lines each), `project.createSourceFile` alone
// costs 2.7x the plain parse (it always links parent pointers, snapshots the text and registers a
// wrapped node), which breaks the 1.5x budget before any fact is extracted. No rule needs a wrapped
// node today; one that does can wrap the few nodes it reports.
import path from 'node:path';
import { ts } from 'ts-morph';
import type { AuditError } from '../findings.js';
import { readFileText } from '../file-text.js';
import type { AppModel, ModuleBinding, MutationSite, PackageInfo, SourceFileFacts } from './app-model.js';
import { resolveRelativeSpecifier } from './module-specifiers.js';
import { confirmMutation } from './mutations.js';
import { walkFile, type ExportTarget, type FileWalk, type SiteUse } from './walk-file.js';

export interface BuildAppModelInput {
  cwd: string;
  /** Deployed source files, POSIX, relative to cwd. */
  sources: string[];
  packages: PackageInfo[];
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
    const packageDir = packageDirOf(file, input.packages);
    if (packageDir !== undefined) walk.facts.packageDir = packageDir;
    // Only the extracted facts are kept: the tree is garbage once the walk returns.
    walks.set(file, walk);
  }
  attachCrossFileUses(walks);
  const files: SourceFileFacts[] = [...walks.values()].map((walk) => walk.facts);
  return { app: { packages: input.packages, files }, errors };
}

/** The deepest package folder holding `file`. */
export function packageDirOf(file: string, packages: PackageInfo[]): string | undefined {
  let best: string | undefined;
  for (const { dir } of packages) {
    const holds = dir === '.' || dir === '' || file.startsWith(`${dir}/`);
    if (holds && (best === undefined || best === '.' || dir.length > best.length)) best = dir;
  }
  return best;
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

function attachCrossFileUses(walks: Map<string, FileWalk>): void {
  const sources = new Set(walks.keys());
  for (const [file, walk] of walks) {
    for (const crossUse of walk.crossFileUses) {
      const target = resolveRelativeSpecifier(file, crossUse.specifier, sources);
      if (target === undefined) continue;
      if (crossUse.name === '*') {
        const whole = findExport(target, 'module.exports', walks, sources, 0);
        if (whole !== undefined && 'binding' in whole) {
          attach(whole.binding, crossUse.use);
          continue;
        }
        if (crossUse.member === undefined) continue;
        const member = findExport(target, crossUse.member.name, walks, sources, 0);
        if (member !== undefined && 'binding' in member) attach(member.binding, crossUse.member.use);
        continue;
      }
      const exported =
        findExport(target, crossUse.name, walks, sources, 0) ??
        (crossUse.name === 'default' ? findExport(target, 'module.exports', walks, sources, 0) : undefined);
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

/** An export of `file`, following `export { x } from` and `export * from` inside the scanned tree. */
function findExport(
  file: string,
  name: string,
  walks: Map<string, FileWalk>,
  sources: ReadonlySet<string>,
  hops: number,
): ExportTarget | undefined {
  const walk = walks.get(file);
  if (walk === undefined || hops > MAX_REEXPORT_HOPS) return undefined;
  const own = walk.exports.get(name);
  if (own !== undefined) return own;
  for (const reexport of walk.reexports) {
    if (reexport.as !== name && reexport.as !== '*') continue;
    const next = resolveRelativeSpecifier(file, reexport.specifier, sources);
    if (next === undefined) continue;
    const found = findExport(next, reexport.as === '*' ? name : reexport.name, walks, sources, hops + 1);
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
