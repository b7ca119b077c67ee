// What surrounds a `process.env.X` read: the fallback it gets and the type it is coerced to.
import { ts } from 'ts-morph';
import type { EnvCoercion } from './app-model.js';
import { climbWrappers, dottedName, nodeText, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

export interface EnvContext {
  hasDefault: boolean;
  defaultText?: string;
  coercion?: EnvCoercion;
  option?: { name: string; callee: string };
  guardedByThrow?: boolean;
}

const NUMBER_FUNCTIONS = new Set(['Number', 'parseInt', 'parseFloat']);
const BOOLEAN_WORDS = new Set(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']);
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
        if (!context.hasDefault) {
          context.hasDefault = true;
          context.defaultText = nodeText(binary.right, sourceFile);
        }
        node = parent;
        continue;
      }
      if (context.coercion === undefined && isEquality(operator)) {
        const other = binary.left === node ? binary.right : binary.left;
        const word = stringValue(other);
        if (word !== undefined && BOOLEAN_WORDS.has(word.toLowerCase())) context.coercion = 'boolean';
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
  return context;
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

/** `if (!process.env.X) throw new Error(…)` or `… process.exit(1)`: the process stops when X is missing. */
function isGuardedByThrow(read: ts.Node): boolean {
  let node = climbWrappers(read);
  // Climb through `!X`, `X === undefined`, `!X || !Y` to the statement that tests it.
  for (let step = 0; step < 6 && node.parent !== undefined; step++) {
    const parent = node.parent;
    if (parent.kind === K.IfStatement) return (parent as ts.IfStatement).expression === node && stops((parent as ts.IfStatement).thenStatement);
    if (parent.kind !== K.PrefixUnaryExpression && parent.kind !== K.BinaryExpression && parent.kind !== K.ParenthesizedExpression) return false;
    node = parent;
  }
  return false;
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
