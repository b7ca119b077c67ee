// Recognises filesystem calls by how `fs` was imported, never by type: `fs.writeFile`,
// `fsp.mkdir`, a named `writeFile`, `require('fs').rmSync`, plus Express's file-serving reads.
import { ts } from 'ts-morph';
import type { FsAccess, PathInfo } from './app-model.js';
import { dottedName, requireSpecifier, skipWrappers, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

const FS_MODULES = new Set(['fs', 'node:fs', 'fs-extra', 'graceful-fs', 'original-fs']);
const FS_PROMISE_MODULES = new Set(['fs/promises', 'node:fs/promises']);

// No prototype: the keys looked up are method names from the scanned code (`fs.toString()`).
const ACCESS: Record<string, FsAccess> = Object.create(null) as Record<string, FsAccess>;
for (const name of [
  'writeFile', 'appendFile', 'createWriteStream', 'rename', 'copyFile', 'cp', 'mkdir', 'mkdtemp', 'symlink', 'link',
  'truncate', 'outputFile', 'outputJson', 'outputJSON', 'writeJson', 'writeJSON', 'copy', 'move', 'ensureDir',
  'ensureFile', 'mkdirp', 'mkdirs',
]) {
  ACCESS[name] = 'write';
}
for (const name of ['rm', 'unlink', 'rmdir', 'remove', 'emptyDir']) ACCESS[name] = 'delete';
for (const name of [
  'readFile', 'createReadStream', 'readdir', 'stat', 'lstat', 'exists', 'access', 'readJson', 'readJSON', 'pathExists',
  'opendir', 'watch', 'watchFile', 'realpath',
]) {
  ACCESS[name] = 'read';
}
/** Packages that walk a directory tree for a pattern: `glob.sync('data/*.json')`, `fg(pattern, { cwd })`. */
const GLOB_MODULES = new Set(['glob', 'fast-glob', 'globby', 'tiny-glob']);
/** Their exports that walk (the default or namespace export is a walk itself in fast-glob, globby, tiny-glob and glob 7). */
const GLOB_WALKS = new Set(['sync', 'async', 'glob', 'globSync', 'globby', 'globbySync', 'globStream', 'globStreamSync', 'stream']);

/** Calls that take (source, destination): the destination is what gets written. */
const TWO_PATHS = new Set(['rename', 'copyFile', 'cp', 'copy', 'move', 'symlink', 'link']);

export interface FsImport {
  module: string;
  name: string;
}

export interface RecognisedFsCall {
  api: string;
  access: FsAccess;
  pathArgument?: ts.Expression;
  /** The path argument is a glob pattern: the walk reads from the folder before its first wildcard. */
  pattern?: boolean;
  /** `glob.sync('migrations/*.sql', { cwd })`: the path argument is the `cwd`, the pattern is relative to it. */
  patternInCwd?: string;
}

/**
 * `lookup` resolves a local name to the import it stands for. Returns undefined for calls that
 * are not filesystem calls.
 */
export function recogniseFsCall(
  call: ts.CallExpression,
  lookup: (name: string) => FsImport | undefined,
): RecognisedFsCall | undefined {
  const callee = skipWrappers(call.expression);
  let prefix: string | undefined;
  let method: string | undefined;
  if (callee.kind === K.Identifier) {
    const imported = lookup((callee as ts.Identifier).text);
    if (isServeStaticImport(imported) && call.arguments[0] !== undefined) {
      return { api: 'express.static', access: 'read', pathArgument: call.arguments[0] };
    }
    if (imported !== undefined && GLOB_MODULES.has(imported.module)) {
      const whole = imported.name === '*' || imported.name === 'default';
      return whole || GLOB_WALKS.has(imported.name) ? globWalk(call, whole ? imported.module : `${imported.module}.${imported.name}`) : undefined;
    }
    if (imported === undefined || imported.name === '*' || imported.name === 'default') return undefined;
    if (FS_PROMISE_MODULES.has(imported.module)) prefix = 'fs.promises';
    else if (FS_MODULES.has(imported.module)) prefix = 'fs';
    method = imported.name;
  } else if (callee.kind === K.PropertyAccessExpression) {
    const access = callee as ts.PropertyAccessExpression;
    method = access.name.text;
    prefix = fsObject(access.expression, lookup);
    if (prefix === undefined) return globCall(call, access, lookup) ?? expressFileCall(call, access);
  }
  if (prefix === undefined || method === undefined) return undefined;
  const base = method.endsWith('Sync') ? method.slice(0, -4) : method;
  const access = ACCESS[base];
  if (access === undefined) return undefined;
  const pathArgument = TWO_PATHS.has(base) ? call.arguments[1] : call.arguments[0];
  return { api: `${prefix}.${method}`, access, ...(pathArgument === undefined ? {} : { pathArgument }) };
}

/** `fs`, `fs.promises`, `fsp`, `require('fs')` → the normalised API prefix. */
function fsObject(node: ts.Expression, lookup: (name: string) => FsImport | undefined): string | undefined {
  const object = skipWrappers(node);
  if (object.kind === K.Identifier) {
    const imported = lookup((object as ts.Identifier).text);
    if (imported === undefined) return undefined;
    const whole = imported.name === '*' || imported.name === 'default';
    if (FS_PROMISE_MODULES.has(imported.module) && whole) return 'fs.promises';
    if (FS_MODULES.has(imported.module)) {
      if (whole) return 'fs';
      if (imported.name === 'promises') return 'fs.promises';
    }
    return undefined;
  }
  if (object.kind === K.PropertyAccessExpression) {
    const access = object as ts.PropertyAccessExpression;
    if (access.name.text === 'promises' && fsObject(access.expression, lookup) === 'fs') return 'fs.promises';
    return undefined;
  }
  const required = requireSpecifier(object);
  if (required !== undefined) {
    if (FS_PROMISE_MODULES.has(required)) return 'fs.promises';
    if (FS_MODULES.has(required)) return 'fs';
  }
  return undefined;
}

/** `glob.sync(pattern)`, `fg.async(pattern)` with the package imported whole. */
function globCall(call: ts.CallExpression, access: ts.PropertyAccessExpression, lookup: (name: string) => FsImport | undefined): RecognisedFsCall | undefined {
  if (!GLOB_WALKS.has(access.name.text)) return undefined;
  const owner = skipWrappers(access.expression);
  if (owner.kind !== K.Identifier) return undefined;
  const imported = lookup((owner as ts.Identifier).text);
  if (imported === undefined || !GLOB_MODULES.has(imported.module) || (imported.name !== '*' && imported.name !== 'default')) return undefined;
  return globWalk(call, `${imported.module}.${access.name.text}`);
}

/** A glob walk reads from its `cwd` option when it has one, else from the folder its pattern starts with. */
function globWalk(call: ts.CallExpression, api: string): RecognisedFsCall {
  const options = call.arguments[1] === undefined ? undefined : skipWrappers(call.arguments[1]);
  let pattern = call.arguments[0] === undefined ? undefined : skipWrappers(call.arguments[0]);
  // fg.sync(['data/*.json', '!data/draft-*.json']): the first pattern names the folder.
  if (pattern !== undefined && pattern.kind === K.ArrayLiteralExpression) pattern = (pattern as ts.ArrayLiteralExpression).elements[0];
  if (options !== undefined && options.kind === K.ObjectLiteralExpression) {
    for (const property of (options as ts.ObjectLiteralExpression).properties) {
      if (property.name?.kind !== K.Identifier || property.name.text !== 'cwd') continue;
      const cwd = property.kind === K.PropertyAssignment ? property.initializer : property.kind === K.ShorthandPropertyAssignment ? property.name : undefined;
      if (cwd === undefined) continue;
      const inCwd = stringValue(pattern === undefined ? undefined : skipWrappers(pattern));
      return { api, access: 'read', pathArgument: cwd, pattern: true, ...(inCwd === undefined ? {} : { patternInCwd: inCwd }) };
    }
  }
  return pattern === undefined ? { api, access: 'read' } : { api, access: 'read', pathArgument: pattern, pattern: true };
}

/** A pattern under `data/**` reads `data`: the folded folder stops before the first segment with a wildcard. */
export function patternFolder(path: PathInfo, inCwd?: string): PathInfo {
  const { prefix: folded, file: _, ...rest } = path;
  // A pattern relative to a `cwd` folder names a folder below it.
  const joinable = inCwd !== undefined && !inCwd.startsWith('/') && (path.root === 'repo' || path.root === 'absolute');
  const prefix = joinable ? [folded ?? (path.root === 'absolute' ? '' : '.'), inCwd.replace(/^\.\//, '')].join('/') : folded;
  if (prefix === undefined) return rest;
  const segments = prefix.split('/');
  const magic = segments.findIndex((segment) => /[*?[\]{}!]/.test(segment));
  const folder = magic === -1 ? prefix : segments.slice(0, magic).join('/');
  return folder === '' ? rest : { ...rest, prefix: folder };
}

/** `res.sendFile(p)`, `res.download(p)`, `express.static(dir)`: the app serves files from that path. */
function expressFileCall(call: ts.CallExpression, access: ts.PropertyAccessExpression): RecognisedFsCall | undefined {
  const method = access.name.text;
  if (method !== 'sendFile' && method !== 'download' && method !== 'static') return undefined;
  const receiver = dottedName(access.expression);
  const first = call.arguments[0];
  if (receiver === undefined || first === undefined) return undefined;
  if ((method === 'sendFile' || method === 'download') && /(^|\.)(res|response|reply)$/i.test(receiver)) {
    return { api: `res.${method}`, access: 'read', pathArgument: first };
  }
  if (method === 'static' && /(^|\.)(express|serveStatic)$/i.test(receiver)) {
    return { api: 'express.static', access: 'read', pathArgument: first };
  }
  return undefined;
}

/** `serveStatic(dir)` from `serve-static`, or `express.static` imported as `{ static as serve }`. */
function isServeStaticImport(imported: FsImport | undefined): boolean {
  return (
    imported !== undefined &&
    ((imported.module === 'serve-static' && (imported.name === 'default' || imported.name === '*')) ||
      (imported.module === 'express' && imported.name === 'static'))
  );
}

/**
 * `multer({ dest: 'uploads/' })` and `multer.diskStorage({ destination: 'uploads/' })`: configured
 * once, but every upload request writes a file there. Returns the destination expression.
 */
export function recogniseUploadDestination(
  call: ts.CallExpression,
  lookup: (name: string) => FsImport | undefined,
): ts.Expression | undefined {
  const callee = skipWrappers(call.expression);
  let key: string;
  if (callee.kind === K.Identifier) {
    const imported = lookup((callee as ts.Identifier).text);
    if (imported?.module !== 'multer' || (imported.name !== 'default' && imported.name !== '*')) return undefined;
    key = 'dest';
  } else if (callee.kind === K.PropertyAccessExpression && (callee as ts.PropertyAccessExpression).name.text === 'diskStorage') {
    const owner = skipWrappers((callee as ts.PropertyAccessExpression).expression);
    if (owner.kind !== K.Identifier || lookup((owner as ts.Identifier).text)?.module !== 'multer') return undefined;
    key = 'destination';
  } else {
    return undefined;
  }
  const options = call.arguments[0] === undefined ? undefined : skipWrappers(call.arguments[0]);
  if (options === undefined || options.kind !== K.ObjectLiteralExpression) return undefined;
  for (const property of (options as ts.ObjectLiteralExpression).properties) {
    if (property.kind === K.PropertyAssignment && property.name.kind === K.Identifier && property.name.text === key) {
      return property.initializer;
    }
  }
  return undefined;
}

/** `multer({ storage })`: the storage expression, to tie it to a `multer.diskStorage` destination. */
export function multerStorage(call: ts.CallExpression, lookup: (name: string) => FsImport | undefined): ts.Expression | undefined {
  const callee = skipWrappers(call.expression);
  if (callee.kind !== K.Identifier || lookup((callee as ts.Identifier).text)?.module !== 'multer') return undefined;
  const options = call.arguments[0] === undefined ? undefined : skipWrappers(call.arguments[0]);
  if (options === undefined || options.kind !== K.ObjectLiteralExpression) return undefined;
  for (const property of (options as ts.ObjectLiteralExpression).properties) {
    if (property.name?.kind !== K.Identifier || property.name.text !== 'storage') continue;
    if (property.kind === K.PropertyAssignment) return skipWrappers(property.initializer);
    if (property.kind === K.ShorthandPropertyAssignment) return property.name;
  }
  return undefined;
}
