// What the worker-config rule needs from the syntax of queue code: the long-running work a BullMQ
// processor does (read from its code in this file), and child processes stored in a module-level
// registry (`running.set(jobId, child)`).
import { ts } from 'ts-morph';
import type { Lookup } from './crypto-keys.js';
import { dottedName, isFunctionLike, skipWrappers } from './syntax.js';

const K = ts.SyntaxKind;

export const CHILD_PROCESS_MODULES: ReadonlySet<string> = new Set(['child_process', 'node:child_process']);
/** Packages whose calls take seconds to minutes: image and video processing, headless browsers. */
const SLOW_MODULES: ReadonlySet<string> = new Set(['sharp', 'fluent-ffmpeg', 'puppeteer', 'puppeteer-core', 'playwright', 'playwright-core', 'execa']);
/** Same-file helpers followed from the processor: `processor → transcode() → spawn()`. */
const MAX_HELPER_DEPTH = 2;

/**
 * The long-running work the processor of `new Worker(queue, processor, opts)` does in this file:
 * a child process, a call of sharp/ffmpeg/puppeteer/execa, or a `for await` loop over a stream,
 * in the processor or a module-level function of this file it calls. Undefined when none shows.
 */
export function processorLongWork(worker: ts.NewExpression, lookup: Lookup, sourceFile: ts.SourceFile): string | undefined {
  const processor = worker.arguments?.[1];
  if (processor === undefined) return undefined;
  const body = functionBody(skipWrappers(processor), sourceFile);
  return body === undefined ? undefined : scan(body, lookup, sourceFile, 0, new Set());
}

function scan(root: ts.Node, lookup: Lookup, sourceFile: ts.SourceFile, depth: number, seen: Set<ts.Node>): string | undefined {
  if (seen.has(root)) return undefined;
  seen.add(root);
  let found: string | undefined;
  const visit = (node: ts.Node): void => {
    if (found !== undefined) return;
    if (node.kind === K.ForOfStatement && (node as ts.ForOfStatement).awaitModifier !== undefined) {
      found = 'a `for await` loop';
      return;
    }
    if (node.kind === K.CallExpression || node.kind === K.NewExpression) {
      const callee = skipWrappers((node as ts.CallExpression).expression);
      let leftmost: ts.Expression = callee;
      while (leftmost.kind === K.PropertyAccessExpression || leftmost.kind === K.CallExpression) {
        leftmost = skipWrappers(leftmost.kind === K.CallExpression ? (leftmost as ts.CallExpression).expression : (leftmost as ts.PropertyAccessExpression).expression);
      }
      if (leftmost.kind === K.Identifier) {
        const name = (leftmost as ts.Identifier).text;
        const entry = lookup(name);
        if (entry?.kind === 'import' && (CHILD_PROCESS_MODULES.has(entry.module) || SLOW_MODULES.has(entry.module))) {
          const called = dottedName(callee) ?? name;
          const module = entry.module.replace(/^node:/, '');
          found = called === module ? `\`${called}\`` : `\`${called}\` (${module})`;
          return;
        }
        if (depth < MAX_HELPER_DEPTH && callee === leftmost && (entry?.kind === 'function' || (entry?.kind === 'binding' && entry.fn !== undefined))) {
          const helper = moduleFunction(name, sourceFile);
          const inner = helper === undefined ? undefined : scan(helper, lookup, sourceFile, depth + 1, seen);
          if (inner !== undefined) {
            found = `${inner} in \`${name}()\``;
            return;
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(root);
  return found;
}

/** The body of an inline processor, or of the module-level function an identifier names. */
function functionBody(node: ts.Node, sourceFile: ts.SourceFile): ts.Node | undefined {
  if (isFunctionLike(node)) return node.body;
  if (node.kind === K.Identifier) return moduleFunction((node as ts.Identifier).text, sourceFile);
  return undefined;
}

/** `function name() {…}` or `const name = async () => …` at the top of the file: its body. */
function moduleFunction(name: string, sourceFile: ts.SourceFile): ts.Node | undefined {
  for (const statement of sourceFile.statements) {
    if (statement.kind === K.FunctionDeclaration && (statement as ts.FunctionDeclaration).name?.text === name) return (statement as ts.FunctionDeclaration).body;
    if (statement.kind !== K.VariableStatement) continue;
    for (const declaration of (statement as ts.VariableStatement).declarationList.declarations) {
      if (declaration.name.kind !== K.Identifier || declaration.name.text !== name || declaration.initializer === undefined) continue;
      const init = skipWrappers(declaration.initializer);
      return isFunctionLike(init) ? init.body : undefined;
    }
  }
  return undefined;
}

/**
 * `running.set(id, child)`, `running.push(child)`, `running[id] = child`, also with the child inside
 * an object (`running.set(id, { child, startedAt })`): the container and the values stored.
 */
export function storedValues(node: ts.CallExpression | ts.BinaryExpression): { container: ts.Expression; values: ts.Expression[] } | undefined {
  let container: ts.Expression;
  let value: ts.Expression | undefined;
  if (node.kind === K.CallExpression) {
    const callee = skipWrappers(node.expression);
    if (callee.kind !== K.PropertyAccessExpression) return undefined;
    const method = (callee as ts.PropertyAccessExpression).name.text;
    if (method === 'set') value = node.arguments[1];
    else if (method === 'push') value = node.arguments[0];
    else return undefined;
    container = skipWrappers((callee as ts.PropertyAccessExpression).expression);
  } else {
    if (node.operatorToken.kind !== K.EqualsToken) return undefined;
    const left = skipWrappers(node.left);
    if (left.kind !== K.ElementAccessExpression) return undefined;
    container = skipWrappers((left as ts.ElementAccessExpression).expression);
    value = node.right;
  }
  if (value === undefined || container.kind !== K.Identifier) return undefined;
  const bare = skipWrappers(value);
  if (bare.kind !== K.ObjectLiteralExpression) return { container, values: [bare] };
  const values: ts.Expression[] = [];
  for (const property of (bare as ts.ObjectLiteralExpression).properties) {
    if (property.kind === K.PropertyAssignment) values.push(skipWrappers(property.initializer));
    else if (property.kind === K.ShorthandPropertyAssignment) values.push(property.name);
  }
  return { container, values };
}

/**
 * `promisify(exec)`, `util.promisify(cp.execFile)`: the child_process function a promisified
 * binding calls, as an import (`{ module: 'node:child_process', name: 'exec' }`).
 */
export function promisifiedImport(initializer: ts.Expression, lookup: Lookup): { module: string; name: string } | undefined {
  const call = skipWrappers(initializer);
  if (call.kind !== K.CallExpression || (call as ts.CallExpression).arguments.length !== 1) return undefined;
  const callee = skipWrappers((call as ts.CallExpression).expression);
  const calleeName = callee.kind === K.Identifier ? (callee as ts.Identifier).text : callee.kind === K.PropertyAccessExpression ? (callee as ts.PropertyAccessExpression).name.text : undefined;
  if (calleeName !== 'promisify') return undefined;
  const argument = skipWrappers((call as ts.CallExpression).arguments[0]!);
  const base = argument.kind === K.PropertyAccessExpression ? skipWrappers((argument as ts.PropertyAccessExpression).expression) : argument;
  if (base.kind !== K.Identifier) return undefined;
  const entry = lookup((base as ts.Identifier).text);
  if (entry?.kind !== 'import' || !CHILD_PROCESS_MODULES.has(entry.module)) return undefined;
  if (argument === base) return entry.name === '*' || entry.name === 'default' ? undefined : { module: entry.module, name: entry.name };
  return entry.name === '*' || entry.name === 'default' ? { module: entry.module, name: (argument as ts.PropertyAccessExpression).name.text } : undefined;
}
