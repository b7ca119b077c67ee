// What surrounds a `process.env.X` read: the fallback it gets and the type it is coerced to.
import { ts } from 'ts-morph';
import type { EnvCoercion } from './app-model.js';
import { climbWrappers, dottedName, nodeText, skipWrappers, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

export interface EnvContext {
  hasDefault: boolean;
  defaultText?: string;
  coercion?: EnvCoercion;
  option?: { name: string; callee: string };
  guardedByThrow?: boolean;
  fallbackCatchesNaN?: boolean;
}

const NUMBER_FUNCTIONS = new Set(['Number', 'parseInt', 'parseFloat']);
/** String methods that keep the value the same variable: `process.env.X?.trim().toLowerCase() === 'true'`. */
const NORMALISERS = new Set(['trim', 'toLowerCase', 'toUpperCase']);

/** Reads the fallback and coercion around an env read, in either order (`Number(X || 3)`, `Number(X) || 3`). */
export function envContext(read: ts.Node, sourceFile: ts.SourceFile): EnvContext {
  const context: EnvContext = { hasDefault: false };
  let node = read;
  for (let step = 0; step < 6; step++) {
    node = climbWrappers(node);
    const parent = node.parent;
    if (parent === undefined) break;
    if (parent.kind === K.BinaryExpression) {
      const binary = parent as ts.BinaryExpression;
      const operator = binary.operatorToken.kind;
      if ((operator === K.QuestionQuestionToken || operator === K.BarBarToken) && binary.left === node) {
        // `Number(X) || 3000`: NaN is falsy, so the fallback also catches a value that is not a number.
        if (operator === K.BarBarToken && context.coercion === 'number') context.fallbackCatchesNaN = true;
        if (!context.hasDefault) {
          context.hasDefault = true;
          context.defaultText = nodeText(binary.right, sourceFile);
        }
        node = parent;
        continue;
      }
      if (context.coercion === undefined && isEquality(operator)) {
        const other = binary.left === node ? binary.right : binary.left;
        // `X === 'true'`, and `NODE_ENV === 'production'` too: compared with a word, an unset variable is just not equal;
        // `X === undefined` asks whether it is set at all (`JEST_WORKER_ID === undefined`: not under test).
        if (stringValue(other) !== undefined || isUndefinedOrNull(other)) context.coercion = 'boolean';
        break;
      }
      // `process.env.X && enable()`: read as a switch.
      if (context.coercion === undefined && operator === K.AmpersandAmpersandToken && binary.left === node) context.coercion = 'boolean';
      break;
    }
    // `if (process.env.X)`, `!process.env.X`: a switch, off when unset.
    if (context.coercion === undefined && ((parent.kind === K.IfStatement && (parent as ts.IfStatement).expression === node) ||
        (parent.kind === K.PrefixUnaryExpression && (parent as ts.PrefixUnaryExpression).operator === K.ExclamationToken))) {
      context.coercion = 'boolean';
      break;
    }
    if (parent.kind === K.ConditionalExpression) {
      const conditional = parent as ts.ConditionalExpression;
      if (conditional.condition === node && !context.hasDefault) {
        context.hasDefault = true;
        context.defaultText = nodeText(conditional.whenFalse, sourceFile);
      }
      break;
    }
    if (context.coercion !== undefined) break;
    if (parent.kind === K.CallExpression && (parent as ts.CallExpression).arguments[0] === node) {
      const coercion = calleeCoercion((parent as ts.CallExpression).expression);
      if (coercion === undefined) break;
      context.coercion = coercion;
      node = parent;
      continue;
    }
    if (parent.kind === K.NewExpression && (parent as ts.NewExpression).arguments?.[0] === node &&
        (parent as ts.NewExpression).expression.kind === K.Identifier &&
        ((parent as ts.NewExpression).expression as ts.Identifier).text === 'URL') {
      context.coercion = 'url';
      node = parent;
      continue;
    }
    if (parent.kind === K.PrefixUnaryExpression && (parent as ts.PrefixUnaryExpression).operator === K.PlusToken) {
      context.coercion = 'number';
      node = parent;
      continue;
    }
    if (parent.kind === K.PropertyAccessExpression && (parent as ts.PropertyAccessExpression).expression === node) {
      // `process.env.X?.split(',').map(…) ?? []`: an unset X short-circuits the whole chain to undefined.
      if ((parent as ts.PropertyAccessExpression).questionDotToken !== undefined) {
        node = endOfOptionalChain(parent);
        continue;
      }
      const method = (parent as ts.PropertyAccessExpression).name.text;
      const call = parent.parent;
      if (call.kind !== K.CallExpression || (call as ts.CallExpression).expression !== parent) break;
      if (method === 'split') {
        context.coercion = 'split';
        node = call;
        continue;
      }
      if (NORMALISERS.has(method)) {
        node = call;
        continue;
      }
    }
    break;
  }
  const option = optionOf(node);
  if (option !== undefined) context.option = option;
  if (isGuardedByThrow(read)) context.guardedByThrow = true;
  if (!context.hasDefault) {
    const fallback = presenceGuard(read, sourceFile);
    if (fallback !== undefined) {
      context.hasDefault = true;
      if (fallback !== '') context.defaultText = fallback;
    }
  }
  return context;
}

function isUndefinedOrNull(node: ts.Expression): boolean {
  const bare = skipWrappers(node);
  return bare.kind === K.NullKeyword || (bare.kind === K.Identifier && (bare as ts.Identifier).text === 'undefined');
}

/**
 * The read runs only once the same variable was tested set: the `whenTrue` of `isDefined(X) ?
 * parseInt(X) : 100` (trackdechets) or the body of `if (process.env.X) { … }`; or it is that test.
 * Returns the fallback as written (`''` when there is none to show), or undefined when nothing
 * guards the read.
 */
function presenceGuard(read: ts.Node, sourceFile: ts.SourceFile): string | undefined {
  const readText = nodeText(read, sourceFile);
  let child: ts.Node = read;
  for (let parent = read.parent; parent !== undefined && !ts.isFunctionLike(parent) && parent.kind !== K.SourceFile; child = parent, parent = parent.parent) {
    if (parent.kind === K.ConditionalExpression) {
      const conditional = parent as ts.ConditionalExpression;
      const setBranch = branchWhenSet(conditional.condition, readText, sourceFile);
      if (setBranch !== undefined && child === (setBranch ? conditional.whenTrue : conditional.whenFalse)) {
        return nodeText(setBranch ? conditional.whenFalse : conditional.whenTrue, sourceFile);
      }
      // The test itself (`isDefined(X) ? parseInt(X) : 100`): it asks whether X is set.
      if (child === conditional.condition && nodeText(conditional, sourceFile).split(readText).length > 2) return '';
    }
    if (parent.kind === K.IfStatement) {
      const statement = parent as ts.IfStatement;
      const setBranch = branchWhenSet(statement.expression, readText, sourceFile);
      if (setBranch !== undefined && child === (setBranch ? statement.thenStatement : statement.elseStatement)) return '';
    }
  }
  return undefined;
}

/**
 * Which branch of a condition that tests the variable runs when it is set: `true` for `X`,
 * `isDefined(X)`, `X !== undefined`; `false` for `!X`, `X === undefined`, `X == null`. Undefined
 * when the condition does not mention the variable.
 */
function branchWhenSet(condition: ts.Expression, readText: string, sourceFile: ts.SourceFile): boolean | undefined {
  const bare = skipWrappers(condition);
  if (!nodeText(bare, sourceFile).includes(readText)) return undefined;
  if (bare.kind === K.PrefixUnaryExpression && (bare as ts.PrefixUnaryExpression).operator === K.ExclamationToken) return false;
  if (bare.kind === K.BinaryExpression) {
    const binary = bare as ts.BinaryExpression;
    const operator = binary.operatorToken.kind;
    if ((operator === K.EqualsEqualsEqualsToken || operator === K.EqualsEqualsToken) && (isUndefinedOrNull(binary.left) || isUndefinedOrNull(binary.right))) return false;
  }
  return true;
}

/** The outermost access or call of the chain `node` starts: `a?.b(c).d` from `a?.b`. */
function endOfOptionalChain(node: ts.Node): ts.Node {
  let current = node;
  for (let parent = current.parent; parent !== undefined; parent = current.parent) {
    const continues =
      (parent.kind === K.PropertyAccessExpression || parent.kind === K.ElementAccessExpression || parent.kind === K.CallExpression || parent.kind === K.NonNullExpression) &&
      (parent as ts.PropertyAccessExpression | ts.ElementAccessExpression | ts.CallExpression | ts.NonNullExpression).expression === current;
    if (!continues) break;
    current = parent;
  }
  return current;
}

/** `new Worker(q, fn, { concurrency: Number(process.env.X) })`: the value is the `concurrency` option of `new Worker()`. */
function optionOf(value: ts.Node): { name: string; callee: string } | undefined {
  const outer = climbWrappers(value);
  const property = outer.parent;
  if (property?.kind !== K.PropertyAssignment || (property as ts.PropertyAssignment).initializer !== outer) return undefined;
  const key = (property as ts.PropertyAssignment).name;
  const name = key.kind === K.Identifier ? key.text : stringValue(key);
  const object = property.parent;
  const call = object === undefined ? undefined : climbWrappers(object).parent;
  if (name === undefined || call === undefined) return undefined;
  if (call.kind !== K.NewExpression && call.kind !== K.CallExpression) return undefined;
  const callee = dottedName((call as ts.NewExpression | ts.CallExpression).expression);
  return callee === undefined ? undefined : { name, callee: call.kind === K.NewExpression ? `new ${callee}` : callee };
}

/**
 * `if (!process.env.X) throw new Error(…)` or `… process.exit(1)`: the process stops when X is
 * missing. Only a test that is true when X is missing counts (`!X`, `X === undefined`, joined by
 * `||`); `if (X) throw` and `if (prod && !X) throw` do not stop on a missing X alone.
 */
function isGuardedByThrow(read: ts.Node): boolean {
  let node = climbWrappers(read);
  let testsMissing = false;
  for (let step = 0; step < 8 && node.parent !== undefined; step++) {
    const parent = node.parent;
    if (parent.kind === K.IfStatement) return (parent as ts.IfStatement).expression === node && testsMissing && stops((parent as ts.IfStatement).thenStatement);
    if (parent.kind === K.PrefixUnaryExpression && (parent as ts.PrefixUnaryExpression).operator === K.ExclamationToken) {
      testsMissing = !testsMissing;
    } else if (parent.kind === K.BinaryExpression) {
      const binary = parent as ts.BinaryExpression;
      const operator = binary.operatorToken.kind;
      const other = binary.left === node ? binary.right : binary.left;
      if (operator === K.BarBarToken) {
        // `!A || !B`: either one missing is enough.
      } else if ((operator === K.EqualsEqualsEqualsToken || operator === K.EqualsEqualsToken) && isEmptyValue(other)) {
        testsMissing = true;
      } else if ((operator === K.ExclamationEqualsEqualsToken || operator === K.ExclamationEqualsToken) && isEmptyValue(other)) {
        testsMissing = false;
      } else {
        return false;
      }
    } else if (parent.kind !== K.ParenthesizedExpression) {
      return false;
    }
    node = parent;
  }
  return false;
}

/** `undefined`, `null` or `''`: what an unset variable compares equal to. */
function isEmptyValue(node: ts.Node): boolean {
  const bare = skipWrappers(node as ts.Expression);
  return bare.kind === K.NullKeyword || (bare.kind === K.Identifier && (bare as ts.Identifier).text === 'undefined') || stringValue(bare) === '';
}

function stops(statement: ts.Statement): boolean {
  const statements = statement.kind === K.Block ? (statement as ts.Block).statements : [statement];
  return statements.some((inner) => {
    if (inner.kind === K.ThrowStatement) return true;
    if (inner.kind !== K.ExpressionStatement) return false;
    const expression = (inner as ts.ExpressionStatement).expression;
    return expression.kind === K.CallExpression && dottedName((expression as ts.CallExpression).expression) === 'process.exit';
  });
}

function calleeCoercion(callee: ts.Expression): EnvCoercion | undefined {
  if (callee.kind === K.Identifier) {
    const name = (callee as ts.Identifier).text;
    if (NUMBER_FUNCTIONS.has(name)) return 'number';
    if (name === 'Boolean') return 'boolean';
    return undefined;
  }
  if (callee.kind === K.PropertyAccessExpression) {
    const access = callee as ts.PropertyAccessExpression;
    const owner = access.expression.kind === K.Identifier ? (access.expression as ts.Identifier).text : '';
    if (owner === 'JSON' && access.name.text === 'parse') return 'json';
    if (owner === 'Number' && (access.name.text === 'parseInt' || access.name.text === 'parseFloat')) return 'number';
  }
  return undefined;
}

function isEquality(operator: ts.SyntaxKind): boolean {
  return (
    operator === K.EqualsEqualsEqualsToken ||
    operator === K.ExclamationEqualsEqualsToken ||
    operator === K.EqualsEqualsToken ||
    operator === K.ExclamationEqualsToken
  );
}
