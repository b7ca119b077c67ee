// Timer calls and their delays: `setTimeout(() => expireReservation(id), 15 * 60 * 1000)`.
// The delay is folded from numeric literals, arithmetic and constants the caller resolves; a delay
// computed from a date (`expiresAt.getTime() - Date.now()`) is marked as such.
import { ts } from 'ts-morph';
import type { ModuleBinding, TimerCall } from './app-model.js';
import { climbWrappers, dottedName, isFunctionLike, nodeText, skipWrappers } from './syntax.js';

const K = ts.SyntaxKind;

/** What a name refers to where the timer is called: undefined for a global. */
export type TimerLookup = (name: string) => { module: string; name: string } | 'local' | undefined;

/** Resolves a constant to its initializer, where it is one this file declares (module-level or local). */
export type ConstantLookup = (name: string) => ts.Expression | undefined;

export interface TimerMatch {
  api: 'setTimeout' | 'setInterval';
  delay?: ts.Expression;
  callback?: ts.Expression;
  /** `timers/promises`: a sleep the caller awaits, part of the work in flight rather than work of its own. */
  promise: boolean;
}

const TIMER_NAMES = new Set(['setTimeout', 'setInterval']);
const TIMER_MODULES = new Set(['timers', 'node:timers']);
const PROMISE_MODULES = new Set(['timers/promises', 'node:timers/promises']);

/** `setTimeout(fn, ms)`, `timers.setTimeout(fn, ms)`, and `setTimeout(ms)` from `timers/promises`. */
export function recogniseTimer(call: ts.CallExpression, lookup: TimerLookup): TimerMatch | undefined {
  const callee = skipWrappers(call.expression);
  let api: string | undefined;
  let promised = false;
  if (callee.kind === K.Identifier) {
    api = (callee as ts.Identifier).text;
    if (!TIMER_NAMES.has(api)) return undefined;
    const entry = lookup(api);
    if (entry === 'local') return undefined;
    if (entry !== undefined) {
      if (entry.name !== api) return undefined;
      if (PROMISE_MODULES.has(entry.module)) promised = true;
      else if (!TIMER_MODULES.has(entry.module)) return undefined;
    }
  } else if (callee.kind === K.PropertyAccessExpression) {
    api = (callee as ts.PropertyAccessExpression).name.text;
    if (!TIMER_NAMES.has(api)) return undefined;
    const receiver = dottedName((callee as ts.PropertyAccessExpression).expression);
    if (receiver !== 'global' && receiver !== 'globalThis' && receiver !== 'window') {
      const entry = receiver === undefined ? undefined : lookup(receiver);
      if (entry === undefined || entry === 'local' || entry.name !== '*') return undefined;
      if (PROMISE_MODULES.has(entry.module)) promised = true;
      else if (!TIMER_MODULES.has(entry.module)) return undefined;
    }
  } else {
    return undefined;
  }
  const match: TimerMatch = { api: api as TimerMatch['api'], promise: promised };
  const delay = call.arguments[promised ? 0 : 1];
  if (delay !== undefined) match.delay = delay;
  if (!promised && call.arguments[0] !== undefined) match.callback = skipWrappers(call.arguments[0]);
  return match;
}

/**
 * The delay in milliseconds, when literals, `* + - /`, parentheses and constants fold to a number.
 * A configurable delay folds to its fallback (`Number(process.env.HOLD_MS ?? 900000)`, `… || '900000'`):
 * what runs wherever the variable is not set.
 */
export function foldDelay(node: ts.Expression, constant: ConstantLookup, depth = 0): number | undefined {
  if (depth > 8) return undefined;
  const bare = skipWrappers(node);
  switch (bare.kind) {
    case K.NumericLiteral:
      return Number((bare as ts.NumericLiteral).text.replace(/_/g, ''));
    case K.StringLiteral: {
      const text = (bare as ts.StringLiteral).text.trim();
      return /^\d+$/.test(text) ? Number(text) : undefined;
    }
    case K.CallExpression: {
      const call = bare as ts.CallExpression;
      const callee = dottedName(call.expression);
      const numeric = callee === 'Number' || callee === 'parseInt' || callee === 'Number.parseInt' || callee === 'parseFloat';
      return numeric && call.arguments[0] !== undefined ? foldDelay(call.arguments[0], constant, depth + 1) : undefined;
    }
    case K.Identifier: {
      const init = constant((bare as ts.Identifier).text);
      return init === undefined ? undefined : foldDelay(init, constant, depth + 1);
    }
    case K.BinaryExpression: {
      const binary = bare as ts.BinaryExpression;
      const operator = binary.operatorToken.kind;
      if (operator === K.QuestionQuestionToken || operator === K.BarBarToken) return foldDelay(binary.left, constant, depth + 1) ?? foldDelay(binary.right, constant, depth + 1);
      const left = foldDelay(binary.left, constant, depth + 1);
      const right = left === undefined ? undefined : foldDelay(binary.right, constant, depth + 1);
      if (left === undefined || right === undefined) return undefined;
      switch (binary.operatorToken.kind) {
        case K.AsteriskToken:
          return left * right;
        case K.PlusToken:
          return left + right;
        case K.MinusToken:
          return left - right;
        case K.SlashToken:
          return right === 0 ? undefined : left / right;
        default:
          return undefined;
      }
    }
    default:
      return undefined;
  }
}

/** `expiresAt.getTime() - Date.now()`, `Math.max(0, remindAt - Date.now())`: a delay until a date. */
export function isDateDelay(node: ts.Expression, depth = 0): boolean {
  if (depth > 4) return false;
  const bare = skipWrappers(node);
  if (bare.kind === K.BinaryExpression && (bare as ts.BinaryExpression).operatorToken.kind === K.MinusToken) {
    return mentionsNow((bare as ts.BinaryExpression).right);
  }
  if (bare.kind === K.CallExpression && dottedName((bare as ts.CallExpression).expression)?.startsWith('Math.') === true) {
    return (bare as ts.CallExpression).arguments.some((argument) => isDateDelay(argument, depth + 1));
  }
  return false;
}

/** `Date.now()`, `new Date().getTime()`, `Date.now() + skew`. */
function mentionsNow(node: ts.Expression): boolean {
  const bare = skipWrappers(node);
  if (bare.kind === K.CallExpression) {
    const callee = dottedName((bare as ts.CallExpression).expression);
    if (callee === 'Date.now') return true;
    const expression = (bare as ts.CallExpression).expression;
    if (expression.kind === K.PropertyAccessExpression && (expression as ts.PropertyAccessExpression).name.text === 'getTime') {
      return skipWrappers((expression as ts.PropertyAccessExpression).expression).kind === K.NewExpression;
    }
  }
  if (bare.kind === K.NewExpression) return dottedName((bare as ts.NewExpression).expression) === 'Date' && ((bare as ts.NewExpression).arguments?.length ?? 0) === 0;
  if (bare.kind === K.BinaryExpression) return mentionsNow((bare as ts.BinaryExpression).left) || mentionsNow((bare as ts.BinaryExpression).right);
  return false;
}

/** `timers.set(id, setTimeout(…))`, `this.timers.set(…)`, `timers[id] = setTimeout(…)`: where the handle is kept. */
export function timerStore(call: ts.CallExpression): string | undefined {
  const outer = climbWrappers(call);
  const parent = outer.parent;
  if (parent === undefined) return undefined;
  if (parent.kind === K.CallExpression && (parent as ts.CallExpression).arguments.includes(outer as ts.Expression)) {
    const callee = (parent as ts.CallExpression).expression;
    if (callee.kind === K.PropertyAccessExpression && (callee as ts.PropertyAccessExpression).name.text === 'set') {
      return dottedName((callee as ts.PropertyAccessExpression).expression);
    }
    return undefined;
  }
  if (parent.kind === K.BinaryExpression && (parent as ts.BinaryExpression).operatorToken.kind === K.EqualsToken && (parent as ts.BinaryExpression).right === outer) {
    const left = skipWrappers((parent as ts.BinaryExpression).left);
    if (left.kind === K.ElementAccessExpression) return dottedName((left as ts.ElementAccessExpression).expression);
  }
  return undefined;
}

/**
 * `export const HOLD_MS = 15 * 60 * 1000` in one file, `setTimeout(expire, HOLD_MS)` in another:
 * the exporter's numbers by export name, and the timers waiting for one (joined in build-app-model).
 */
export interface DelayLinks {
  exported: Map<string, number>;
  imported: { timer: TimerCall; specifier: string; name: string }[];
}

/** The exported module-level constants that fold to a number. */
export function exportedNumbers(exports: ReadonlyMap<string, { binding: ModuleBinding } | object>, constant: ConstantLookup): Map<string, number> {
  const numbers = new Map<string, number>();
  for (const [as, target] of exports) {
    if (!('binding' in target) || target.binding.declarationKind !== 'const') continue;
    const initializer = constant(target.binding.name);
    const value = initializer === undefined ? undefined : foldDelay(initializer, constant);
    if (value !== undefined) numbers.set(as, value);
  }
  return numbers;
}

/** `timers.set(id, handle)`: the collection and the identifier stored, for a handle declared first (`const handle = setTimeout(…)`). */
export function storedIdentifier(call: ts.CallExpression): { store: string; value: ts.Identifier } | undefined {
  const callee = call.expression;
  if (callee.kind !== K.PropertyAccessExpression || (callee as ts.PropertyAccessExpression).name.text !== 'set' || call.arguments.length !== 2) return undefined;
  const value = skipWrappers(call.arguments[1]!);
  const store = dottedName((callee as ts.PropertyAccessExpression).expression);
  return value.kind === K.Identifier && store !== undefined ? { store, value: value as ts.Identifier } : undefined;
}

/** What a timeout does to the request, promise or connection in flight; it dies with that anyway. */
const SETTLERS = new Set(['reject', 'resolve', 'abort', 'destroy', 'cancel', 'close', 'end', 'disconnect', 'terminate']);

/**
 * `setTimeout(…).unref()`, or a callback that only settles or aborts what is in flight
 * (`() => reject(new Error('timeout'))`, `() => controller.abort()`): the timer bounds a request.
 */
export function isBoundingTimer(call: ts.CallExpression, callback: ts.Expression | undefined): boolean {
  const outer = climbWrappers(call);
  const parent = outer.parent;
  if (parent?.kind === K.PropertyAccessExpression && (parent as ts.PropertyAccessExpression).name.text === 'unref') return true;
  if (callback === undefined) return false;
  if (callback.kind === K.Identifier) return SETTLERS.has((callback as ts.Identifier).text) || isExecutorParameter(call, (callback as ts.Identifier).text);
  if (!isFunctionLike(callback)) return false;
  const calls = bodyCalls(callback.body);
  return calls !== undefined && calls.length > 0 && calls.every((name) => SETTLERS.has(name.slice(name.lastIndexOf('.') + 1)));
}

/** `new Promise((r) => setTimeout(r, ms))`: the callback settles the promise the caller awaits. */
function isExecutorParameter(call: ts.CallExpression, name: string): boolean {
  let node: ts.Node | undefined = call.parent;
  for (let step = 0; node !== undefined && step < 4 && !isFunctionLike(node); step++) node = node.parent;
  if (node === undefined || !isFunctionLike(node)) return false;
  const owner = climbWrappers(node).parent;
  if (owner?.kind !== K.NewExpression || dottedName((owner as ts.NewExpression).expression) !== 'Promise') return false;
  return node.parameters.some((parameter) => parameter.name.kind === K.Identifier && parameter.name.text === name);
}

/** What the callback runs, for messages: `expireReservation()`, when it is one call (or a named function). */
export function callbackName(callback: ts.Expression | undefined): string | undefined {
  if (callback === undefined) return undefined;
  if (callback.kind === K.Identifier || callback.kind === K.PropertyAccessExpression) {
    const name = dottedName(callback);
    return name === undefined ? undefined : `${name}()`;
  }
  if (!isFunctionLike(callback)) return undefined;
  const calls = bodyCalls(callback.body);
  if (calls === undefined || calls.length !== 1) return undefined;
  return `${calls[0]!}()`;
}

/** The callees of a body made only of call statements (`{ a(); b.c(); }` or `() => a()`); undefined otherwise. */
function bodyCalls(body: ts.ConciseBody): string[] | undefined {
  const expressions: ts.Expression[] = [];
  if (body.kind === K.Block) {
    for (const statement of (body as ts.Block).statements) {
      if (statement.kind !== K.ExpressionStatement) return undefined;
      expressions.push((statement as ts.ExpressionStatement).expression);
    }
  } else {
    expressions.push(body as ts.Expression);
  }
  const names: string[] = [];
  for (const expression of expressions) {
    let bare = skipWrappers(expression);
    if (bare.kind === K.AwaitExpression || bare.kind === K.VoidExpression) bare = skipWrappers((bare as ts.AwaitExpression).expression);
    // `expire(id).catch(log)`: the call that matters is the one before the continuation.
    while (bare.kind === K.CallExpression && (bare as ts.CallExpression).expression.kind === K.PropertyAccessExpression &&
      ['catch', 'then', 'finally'].includes(((bare as ts.CallExpression).expression as ts.PropertyAccessExpression).name.text)) {
      bare = skipWrappers(((bare as ts.CallExpression).expression as ts.PropertyAccessExpression).expression);
    }
    if (bare.kind !== K.CallExpression) return undefined;
    const name = dottedName((bare as ts.CallExpression).expression);
    if (name === undefined) return undefined;
    names.push(name);
  }
  return names;
}

/** The delay as written, cut for messages. */
export function delayText(node: ts.Expression, sourceFile: ts.SourceFile): string {
  return nodeText(node, sourceFile).slice(0, 80);
}
