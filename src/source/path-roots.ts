// Folds a filesystem path expression to where it points: the temp dir, an env-configured
// directory, the repo/working directory, a fixed absolute directory, or somewhere unknowable.
import path from 'node:path';
import { ts } from 'ts-morph';
import type { PathInfo, PathRoot } from './app-model.js';
import { dottedName, isProcessEnv, skipWrappers, stringValue } from './syntax.js';

const K = ts.SyntaxKind;
const MAX_DEPTH = 6;
const JOINERS = new Set(['join', 'resolve', 'normalize']);
const PATH_MODULES = new Set(['path', 'node:path', 'path/posix', 'node:path/posix', 'upath']);
const OS_MODULES = new Set(['os', 'node:os']);

/** How the folder resolves the identifiers a path is built from. */
export interface PathScope {
  /** The initializer of a `const` the name stands for, and the scope depth its own names resolve in. */
  constInitializer(name: string, depth: number): { init: ts.Expression; depth: number } | undefined;
  /** The module and export name an identifier was imported as (`'*'` for a namespace or default). */
  importOf(name: string, depth: number): { module: string; name: string } | undefined;
  depth: number;
}

type Folded = Omit<PathInfo, 'text'>;
const DYNAMIC: Folded = { root: 'dynamic' };

/**
 * `${process.env.DD_ENV}_heap.heapsnapshot`: the variable is glued to more name, so it is part of a
 * file name in the working directory, not the folder it configures.
 */
function namesAFile(leading: Folded, following: string): boolean {
  return leading.root === 'env' && following !== '' && !following.startsWith('/');
}

export function foldPath(expression: ts.Expression, scope: PathScope): Folded {
  return fold(expression, scope, scope.depth, 0);
}

function fold(expression: ts.Expression, scope: PathScope, depth: number, hops: number): Folded {
  if (hops > MAX_DEPTH) return DYNAMIC;
  const node = skipWrappers(expression);
  const literal = stringValue(node);
  if (literal !== undefined) return fromLiteral(literal, true);
  switch (node.kind) {
    case K.TemplateExpression: {
      const template = node as ts.TemplateExpression;
      const head = template.head.text;
      if (head !== '') {
        const folded = fromLiteral(head, false);
        const folder = head.slice(0, head.lastIndexOf('/') + 1);
        if (folded.root === 'tmp' || folder === head) return folded;
        return folder === '' ? { root: 'repo' } : fromLiteral(folder, false);
      }
      const first = template.templateSpans[0];
      if (first === undefined) return DYNAMIC;
      const complete = template.templateSpans.length === 1;
      const leading = fold(first.expression, scope, depth, hops + 1);
      if (namesAFile(leading, first.literal.text)) return { root: 'repo' };
      // Between substitutions only whole folders count: `${DIR}/daily-${n}.json` is in DIR.
      const literal = complete ? first.literal.text : first.literal.text.slice(0, first.literal.text.lastIndexOf('/') + 1);
      return extend(leading, [literal], complete);
    }
    case K.Identifier: {
      const name = (node as ts.Identifier).text;
      if (name === '__dirname' || name === '__filename') return { root: 'repo' };
      const constant = scope.constInitializer(name, depth);
      if (constant !== undefined) return fold(constant.init, scope, constant.depth, hops + 1);
      return DYNAMIC;
    }
    case K.BinaryExpression: {
      const binary = node as ts.BinaryExpression;
      const operator = binary.operatorToken.kind;
      if (operator === K.PlusToken) {
        const right = stringValue(skipWrappers(binary.right));
        const left = fold(binary.left, scope, depth, hops + 1);
        if (right !== undefined && namesAFile(left, right)) return { root: 'repo' };
        return right === undefined ? left : extend(left, [right], true);
      }
      if (operator === K.QuestionQuestionToken || operator === K.BarBarToken) {
        const left = fold(binary.left, scope, depth, hops + 1);
        return left.root === 'dynamic' ? fold(binary.right, scope, depth, hops + 1) : left;
      }
      return DYNAMIC;
    }
    case K.CallExpression:
      return foldCall(node as ts.CallExpression, scope, depth, hops);
    case K.NewExpression: {
      // new URL('./data', import.meta.url)
      const created = node as ts.NewExpression;
      const base = created.arguments?.[1];
      if (dottedName(created.expression) === 'URL' && base !== undefined && dottedName(base) === 'import.meta.url') {
        return fromLiteral(stringValue(created.arguments?.[0]) ?? '.', true);
      }
      return DYNAMIC;
    }
    case K.PropertyAccessExpression: {
      const access = node as ts.PropertyAccessExpression;
      if (isProcessEnv(access.expression)) return { root: 'env', envVar: access.name.text };
      const dotted = dottedName(access);
      if (dotted === 'import.meta.dirname' || dotted === 'import.meta.filename') return { root: 'repo' };
      return DYNAMIC;
    }
    case K.ElementAccessExpression: {
      const access = node as ts.ElementAccessExpression;
      const name = stringValue(access.argumentExpression);
      if (isProcessEnv(access.expression) && name !== undefined) return { root: 'env', envVar: name };
      return DYNAMIC;
    }
    default:
      return DYNAMIC;
  }
}

function foldCall(call: ts.CallExpression, scope: PathScope, depth: number, hops: number): Folded {
  const callee = skipWrappers(call.expression);
  const first = call.arguments[0];
  let module: string | undefined;
  let name: string | undefined;
  if (callee.kind === K.Identifier) {
    const imported = scope.importOf((callee as ts.Identifier).text, depth);
    module = imported?.module;
    name = imported?.name;
  } else if (callee.kind === K.PropertyAccessExpression) {
    const access = callee as ts.PropertyAccessExpression;
    name = access.name.text;
    const owner = dottedName(access.expression);
    if (owner === 'process' && name === 'cwd') return { root: 'repo' };
    const base = owner?.split('.')[0];
    if (base === 'path' || base === 'os') module = base;
    else if (base !== undefined) module = scope.importOf(base, depth)?.module;
  }
  if (name === undefined || module === undefined) {
    if (callee.kind === K.Identifier && (callee as ts.Identifier).text === 'String' && first !== undefined) {
      return fold(first, scope, depth, hops + 1);
    }
    if (callee.kind === K.Identifier && (callee as ts.Identifier).text === 'fileURLToPath' && first !== undefined) {
      return fold(first, scope, depth, hops + 1);
    }
    return DYNAMIC;
  }
  if (OS_MODULES.has(module) || module === 'os') return name === 'tmpdir' ? { root: 'tmp' } : name === 'homedir' ? { root: 'absolute', prefix: '~' } : DYNAMIC;
  if (module === 'url' || module === 'node:url') {
    return name === 'fileURLToPath' && first !== undefined ? fold(first, scope, depth, hops + 1) : DYNAMIC;
  }
  if (!PATH_MODULES.has(module)) return DYNAMIC;
  if (name === 'dirname' && first !== undefined) return withoutFile(fold(first, scope, depth, hops + 1));
  if (!JOINERS.has(name) || first === undefined) return DYNAMIC;
  // path.resolve('x', '/abs') is '/abs': the last absolute literal wins.
  let start = 0;
  if (name === 'resolve') {
    for (let index = call.arguments.length - 1; index > 0; index--) {
      if (stringValue(skipWrappers(call.arguments[index]!))?.startsWith('/')) {
        start = index;
        break;
      }
    }
  }
  const base = fold(call.arguments[start]!, scope, depth, hops + 1);
  const rest: string[] = [];
  for (let index = start + 1; index < call.arguments.length; index++) {
    const segment = stringValue(skipWrappers(call.arguments[index]!));
    if (segment === undefined) break;
    rest.push(segment);
  }
  const complete = rest.length === call.arguments.length - start - 1;
  return extend(base, rest, complete);
}

function fromLiteral(text: string, complete: boolean): Folded {
  if (text === '') return DYNAMIC;
  if (text === '/tmp' || text.startsWith('/tmp/') || text === '/var/tmp' || text.startsWith('/var/tmp/')) {
    return { root: 'tmp' };
  }
  const file = complete ? fileName(text) : undefined;
  if (text.startsWith('/') || /^[A-Za-z]:[\\/]/.test(text)) {
    return withPrefix('absolute', directoryOf(text, complete), file);
  }
  return withPrefix('repo', directoryOf(text, complete), file);
}

/** Appends literal segments to a folded root: `path.join(__dirname, 'uploads', name)` → repo `uploads`. */
function extend(base: Folded, segments: string[], complete: boolean): Folded {
  if (segments.length === 0) return base;
  const file = complete ? fileName(path.posix.join('.', ...segments)) : undefined;
  if (base.root === 'env') return file === undefined ? withoutFile(base) : { ...withoutFile(base), file };
  if (base.root !== 'repo' && base.root !== 'absolute') return base;
  let joined = path.posix.join(base.prefix ?? '', ...segments);
  if (base.root === 'repo') joined = joined.replace(/^\/+/, '');
  return withPrefix(base.root, directoryOf(joined, complete), file);
}

function withPrefix(root: PathRoot, prefix: string | undefined, file?: string): Folded {
  const folded: Folded = prefix === undefined || prefix === '' || prefix === '.' ? { root } : { root, prefix };
  if (file !== undefined) folded.file = file;
  return folded;
}

function withoutFile(folded: Folded): Folded {
  if (folded.file === undefined) return folded;
  const { file: _, ...rest } = folded;
  return rest;
}

/** `data/products.json` → `products.json`: the last segment of a literal, when it has an extension (the same guess `directoryOf` makes). */
function fileName(text: string): string | undefined {
  const normal = path.posix.normalize(text.replace(/\\/g, '/')).replace(/\/+$/, '');
  const last = normal.slice(normal.lastIndexOf('/') + 1);
  return last.includes('.') && last !== '.' && last !== '..' ? last : undefined;
}

/** The folder part of a literal: a complete literal ending in `name.ext` drops the file name. */
function directoryOf(text: string, complete: boolean): string | undefined {
  let normal = path.posix.normalize(text.replace(/\\/g, '/'));
  if (normal.length > 1) normal = normal.replace(/\/+$/, '');
  const last = normal.slice(normal.lastIndexOf('/') + 1);
  if (complete && last.includes('.') && last !== '.' && last !== '..') {
    const cut = normal.lastIndexOf('/');
    normal = cut <= 0 ? (normal.startsWith('/') ? '/' : '') : normal.slice(0, cut);
  }
  return normal === '' ? undefined : normal;
}
