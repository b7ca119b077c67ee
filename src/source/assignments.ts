// What an assignment to a tracked binding or field puts there, and whether it only runs while the
// target is empty: `client ??= new Redis()` and `if (!db) db = await connect()` create a value once
// per process on first use (a lazy singleton), `initialized = true` latches a flag.
import { ts } from 'ts-morph';
import type { InitializerKind } from './app-model.js';
import { initializerKind } from './initializers.js';
import { skipWrappers } from './syntax.js';

const K = ts.SyntaxKind;

export interface AssignmentShape {
  value: InitializerKind;
  lazy: boolean;
  /** `x += 1`, `x -= n`: arithmetic on the old value, a counter's step. */
  compound: boolean;
}

const ARITHMETIC = new Set([K.PlusEqualsToken, K.MinusEqualsToken, K.AsteriskEqualsToken]);

/** `assignment` is `target = value` (or `??=`, `||=`, `+=`…) with `target` the tracked reference. */
export function assignmentShape(assignment: ts.BinaryExpression): AssignmentShape {
  const operator = assignment.operatorToken.kind;
  const target = skipWrappers(assignment.left);
  let value = skipWrappers(assignment.right);
  if (value.kind === K.AwaitExpression) value = skipWrappers((value as ts.AwaitExpression).expression);
  if (operator === K.QuestionQuestionEqualsToken || operator === K.BarBarEqualsToken) return { value: initializerKind(value), lazy: true, compound: false };
  if (ARITHMETIC.has(operator)) return { value: initializerKind(value), lazy: false, compound: true };
  // `x = x ?? create()`
  if (value.kind === K.BinaryExpression) {
    const binary = value as ts.BinaryExpression;
    const fallback = binary.operatorToken.kind === K.QuestionQuestionToken || binary.operatorToken.kind === K.BarBarToken;
    if (fallback && sameTarget(skipWrappers(binary.left), target)) {
      let right = skipWrappers(binary.right);
      if (right.kind === K.AwaitExpression) right = skipWrappers((right as ts.AwaitExpression).expression);
      return { value: initializerKind(right), lazy: true, compound: false };
    }
  }
  const kind = operator === K.EqualsToken ? initializerKind(value) : 'other';
  // `if (!initialized) initialized = true` is a latch, not a value built on first use.
  return { value: kind, lazy: operator === K.EqualsToken && kind !== 'literal' && guardedByEmptiness(assignment, target), compound: false };
}

/**
 * `if (!x) x = …`, `if (x == null) { x = …; }`, `if (!x || expired) …`, or `if (x) return x;`
 * before the assignment in the same block (not `if (x) return;`: that is a guard, not a cache).
 */
function guardedByEmptiness(assignment: ts.BinaryExpression, target: ts.Expression): boolean {
  const statement = assignment.parent;
  if (statement === undefined || statement.kind !== K.ExpressionStatement) return false;
  let holder: ts.Node | undefined = statement.parent;
  let inner: ts.Node = statement;
  if (holder?.kind === K.Block) {
    const block = holder as ts.Block;
    // `if (x) return x;` earlier in the block.
    for (const sibling of block.statements) {
      if (sibling === statement) break;
      if (sibling.kind === K.IfStatement && returnsWhenSet(sibling as ts.IfStatement, target)) return true;
    }
    inner = block;
    holder = block.parent;
  }
  if (holder?.kind !== K.IfStatement || (holder as ts.IfStatement).thenStatement !== inner) return false;
  return testsEmpty((holder as ts.IfStatement).expression, target);
}

function returnsWhenSet(statement: ts.IfStatement, target: ts.Expression): boolean {
  if (!sameTarget(skipWrappers(statement.expression), target)) return false;
  const then = statement.thenStatement;
  const first = then.kind === K.Block ? (then as ts.Block).statements[0] : then;
  const returned = first !== undefined && first.kind === K.ReturnStatement ? (first as ts.ReturnStatement).expression : undefined;
  return returned !== undefined && sameTarget(skipWrappers(returned), target);
}

/** `!x`, `x == null`, `x === undefined`, `typeof x === 'undefined'`, or one of those `||`-ed with anything. */
function testsEmpty(condition: ts.Expression, target: ts.Expression): boolean {
  const node = skipWrappers(condition);
  if (node.kind === K.PrefixUnaryExpression) {
    const unary = node as ts.PrefixUnaryExpression;
    return unary.operator === K.ExclamationToken && sameTarget(skipWrappers(unary.operand), target);
  }
  if (node.kind !== K.BinaryExpression) return false;
  const binary = node as ts.BinaryExpression;
  const operator = binary.operatorToken.kind;
  if (operator === K.BarBarToken) return testsEmpty(binary.left, target) || testsEmpty(binary.right, target);
  if (operator !== K.EqualsEqualsToken && operator !== K.EqualsEqualsEqualsToken) return false;
  const left = skipWrappers(binary.left);
  const right = skipWrappers(binary.right);
  const empty = (side: ts.Expression): boolean =>
    side.kind === K.NullKeyword || (side.kind === K.Identifier && (side as ts.Identifier).text === 'undefined') || (side.kind === K.StringLiteral && (side as ts.StringLiteral).text === 'undefined');
  const subject = (side: ts.Expression): boolean =>
    sameTarget(side, target) || (side.kind === K.TypeOfExpression && sameTarget(skipWrappers((side as ts.TypeOfExpression).expression), target));
  return (subject(left) && empty(right)) || (subject(right) && empty(left));
}

/** `x` and `x`, `this.client` and `this.client`. */
function sameTarget(a: ts.Expression, b: ts.Expression): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === K.Identifier) return (a as ts.Identifier).text === (b as ts.Identifier).text;
  if (a.kind === K.ThisKeyword) return true;
  if (a.kind === K.PropertyAccessExpression) {
    const left = a as ts.PropertyAccessExpression;
    const right = b as ts.PropertyAccessExpression;
    return left.name.text === right.name.text && sameTarget(skipWrappers(left.expression), skipWrappers(right.expression));
  }
  return false;
}
