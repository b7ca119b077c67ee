// What a `process.on('SIGTERM', handler)` handler does: exit, close something, wait before closing,
// force an exit after a timer. Read from the handler's own body and, one level down, the bodies of
// this file's module-level functions it calls (`() => shutdown('SIGTERM')`). A handler is small: this
// reads only its subtree, and only for files that register one.
import { ts } from 'ts-morph';
import { dottedName, isFunctionLike, skipWrappers } from './syntax.js';

const K = ts.SyntaxKind;

/** Calls that only report, and never close anything. */
const LOGGING_METHODS = new Set(['log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal']);
/** Calls that wait before what follows them. */
const DELAYS = new Set(['setTimeout', 'sleep', 'delay', 'wait', 'setTimeoutPromise']);
const TIMER_CALLS = new Set(['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'setImmediate', 'unref', 'ref']);

export interface HandlerBehaviour {
  /** Calls `process.exit()` (directly, not only from a forced-exit timer). */
  exits: boolean;
  /** Calls something that may close or drain: anything but logging, timers and `process.exit`. */
  closes: boolean;
  /** Calls `.close()` on something before any delay: the server stops accepting at once. */
  closesAtOnce: boolean;
  /** `setTimeout(() => process.exit(1), 30000)`: the delay of a forced exit, and the call. */
  forceExit?: { ms: number; node: ts.Node };
}

/** The function a handler argument names: inline, or a module-level function of the file. */
export function handlerFunction(argument: ts.Expression | undefined, sourceFile: ts.SourceFile): ts.FunctionLikeDeclaration | undefined {
  if (argument === undefined) return undefined;
  const bare = skipWrappers(argument);
  if (isFunctionLike(bare)) return bare;
  return bare.kind === K.Identifier ? moduleFunction((bare as ts.Identifier).text, sourceFile) : undefined;
}

export function describeHandler(fn: ts.FunctionLikeDeclaration, sourceFile: ts.SourceFile): HandlerBehaviour {
  const behaviour: HandlerBehaviour = { exits: false, closes: false, closesAtOnce: false };
  read(fn, sourceFile, behaviour, 0);
  return behaviour;
}

function read(fn: ts.FunctionLikeDeclaration, sourceFile: ts.SourceFile, behaviour: HandlerBehaviour, depth: number): void {
  let delayed = false;
  const visit = (node: ts.Node): void => {
    if (node.kind !== K.CallExpression) {
      ts.forEachChild(node, visit);
      return;
    }
    const call = node as ts.CallExpression;
    const callee = skipWrappers(call.expression);
    const name = dottedName(callee);
    const method = callee.kind === K.PropertyAccessExpression ? (callee as ts.PropertyAccessExpression).name.text : callee.kind === K.Identifier ? (callee as ts.Identifier).text : undefined;
    if (name === 'process.exit') {
      behaviour.exits = true;
    } else if (method !== undefined && TIMER_CALLS.has(method) && call.arguments.length > 0 && isFunctionLike(skipWrappers(call.arguments[0]!))) {
      const callback = skipWrappers(call.arguments[0]!) as ts.ArrowFunction;
      const ms = call.arguments[1] === undefined ? undefined : milliseconds(call.arguments[1]);
      if (method === 'setTimeout' && ms !== undefined && exitsOnly(callback)) {
        // A forced exit: it bounds the drain, it does not delay it.
        if (behaviour.forceExit === undefined || ms > behaviour.forceExit.ms) behaviour.forceExit = { ms, node: call };
        return;
      }
      if (method === 'setTimeout') delayed = true;
      // The callback runs later: whatever it closes, it closes after a delay.
      const savedDelayed = delayed;
      delayed = true;
      ts.forEachChild(callback, visit);
      delayed = savedDelayed;
      return;
    } else if (method !== undefined && DELAYS.has(method)) {
      delayed = true;
    } else if (callee.kind === K.PropertyAccessExpression && LOGGING_METHODS.has(method!)) {
      // logging
    } else if (method !== undefined && TIMER_CALLS.has(method)) {
      // clearTimeout(…) and the like
    } else {
      behaviour.closes = true;
      if (method === 'close' && !delayed) behaviour.closesAtOnce = true;
      // `shutdown('SIGTERM')`: one level into this file's own function.
      if (callee.kind === K.Identifier && depth === 0) {
        const target = moduleFunction((callee as ts.Identifier).text, sourceFile);
        if (target !== undefined && target !== fn) {
          const inner: HandlerBehaviour = { exits: false, closes: false, closesAtOnce: false };
          read(target, sourceFile, inner, depth + 1);
          behaviour.exits ||= inner.exits;
          behaviour.closesAtOnce ||= inner.closesAtOnce && !delayed;
          if (inner.forceExit !== undefined && (behaviour.forceExit === undefined || inner.forceExit.ms > behaviour.forceExit.ms)) behaviour.forceExit = inner.forceExit;
          // A function of this file that only exits or logs closes nothing either.
          if (target.body !== undefined && !inner.closes) behaviour.closes = behaviour.closes && callsOtherThan(call, fn);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  if (fn.body !== undefined) visit(fn.body);
}

/** Whether the handler calls something besides `call` that is no logging, timer or exit. */
function callsOtherThan(call: ts.CallExpression, fn: ts.FunctionLikeDeclaration): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (node.kind === K.CallExpression && node !== call) {
      const callee = skipWrappers((node as ts.CallExpression).expression);
      const name = dottedName(callee);
      const method = callee.kind === K.PropertyAccessExpression ? (callee as ts.PropertyAccessExpression).name.text : callee.kind === K.Identifier ? (callee as ts.Identifier).text : undefined;
      const quiet = name === 'process.exit' || (method !== undefined && (TIMER_CALLS.has(method) || (callee.kind === K.PropertyAccessExpression && LOGGING_METHODS.has(method))));
      if (!quiet) found = true;
    }
    ts.forEachChild(node, visit);
  };
  if (fn.body !== undefined) visit(fn.body);
  return found;
}

/** A timer callback whose only effect is `process.exit()` (and logging). */
function exitsOnly(callback: ts.ArrowFunction | ts.FunctionExpression): boolean {
  let exits = false;
  let other = false;
  const visit = (node: ts.Node): void => {
    if (node.kind === K.CallExpression) {
      const callee = skipWrappers((node as ts.CallExpression).expression);
      const name = dottedName(callee);
      if (name === 'process.exit') exits = true;
      else if (!(callee.kind === K.PropertyAccessExpression && LOGGING_METHODS.has((callee as ts.PropertyAccessExpression).name.text))) other = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(callback.body);
  return exits && !other;
}

/** `30000`, `30_000`, `30 * 1000`. */
function milliseconds(node: ts.Expression): number | undefined {
  const bare = skipWrappers(node);
  if (bare.kind === K.NumericLiteral) return Number((bare as ts.NumericLiteral).text.replace(/_/g, ''));
  if (bare.kind === K.BinaryExpression && (bare as ts.BinaryExpression).operatorToken.kind === K.AsteriskToken) {
    const left = milliseconds((bare as ts.BinaryExpression).left);
    const right = milliseconds((bare as ts.BinaryExpression).right);
    return left === undefined || right === undefined ? undefined : left * right;
  }
  return undefined;
}

/** `function shutdown() {}` or `const shutdown = async () => {}` at the top of the file. */
function moduleFunction(name: string, sourceFile: ts.SourceFile): ts.FunctionLikeDeclaration | undefined {
  for (const statement of sourceFile.statements) {
    if (statement.kind === K.FunctionDeclaration && (statement as ts.FunctionDeclaration).name?.text === name) return statement as ts.FunctionDeclaration;
    if (statement.kind !== K.VariableStatement) continue;
    for (const declaration of (statement as ts.VariableStatement).declarationList.declarations) {
      if (declaration.name.kind !== K.Identifier || declaration.name.text !== name || declaration.initializer === undefined) continue;
      const initializer = skipWrappers(declaration.initializer);
      if (isFunctionLike(initializer)) return initializer;
    }
  }
  return undefined;
}
