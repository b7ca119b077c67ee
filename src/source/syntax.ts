// Small predicates over raw compiler nodes shared by the extractors.
import { ts } from 'ts-morph';

const K = ts.SyntaxKind;

/** Steps through `( … )`, `x as T`, `x!`, `<T>x` and `x satisfies T`, which do not change what a value is. */
export function skipWrappers(node: ts.Expression): ts.Expression {
  let current = node;
  for (;;) {
    switch (current.kind) {
      case K.ParenthesizedExpression:
      case K.AsExpression:
      case K.NonNullExpression:
      case K.TypeAssertionExpression:
      case K.SatisfiesExpression:
        current = (current as ts.ParenthesizedExpression).expression;
        continue;
      default:
        return current;
    }
  }
}

/** The outermost wrapper around `node` (see skipWrappers), so its parent is the real context. */
export function climbWrappers(node: ts.Node): ts.Node {
  let current = node;
  for (;;) {
    const parent = current.parent;
    if (parent === undefined) return current;
    switch (parent.kind) {
      case K.ParenthesizedExpression:
      case K.AsExpression:
      case K.NonNullExpression:
      case K.TypeAssertionExpression:
      case K.SatisfiesExpression:
        current = parent;
        continue;
      default:
        return current;
    }
  }
}

/** The text of a string literal or a template without substitutions. */
export function stringValue(node: ts.Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (node.kind === K.StringLiteral || node.kind === K.NoSubstitutionTemplateLiteral) {
    return (node as ts.StringLiteral).text;
  }
  return undefined;
}

export function isFunctionLike(node: ts.Node): node is ts.ArrowFunction | ts.FunctionExpression {
  return node.kind === K.ArrowFunction || node.kind === K.FunctionExpression;
}

export function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= K.FirstAssignment && kind <= K.LastAssignment;
}

/** `a.b.c` for an identifier or a chain of property accesses, else undefined. */
export function dottedName(node: ts.Node): string | undefined {
  if (node.kind === K.Identifier) return (node as ts.Identifier).text;
  if (node.kind === K.ThisKeyword) return 'this';
  if (node.kind === K.PropertyAccessExpression) {
    const access = node as ts.PropertyAccessExpression;
    const left = dottedName(access.expression);
    return left === undefined ? undefined : `${left}.${access.name.text}`;
  }
  return undefined;
}

/** `process.env` written literally. */
export function isProcessEnv(node: ts.Node): boolean {
  return (
    node.kind === K.PropertyAccessExpression &&
    (node as ts.PropertyAccessExpression).name.text === 'env' &&
    (node as ts.PropertyAccessExpression).expression.kind === K.Identifier &&
    ((node as ts.PropertyAccessExpression).expression as ts.Identifier).text === 'process'
  );
}

/** `require('m')` → 'm'. */
export function requireSpecifier(node: ts.Node | undefined): string | undefined {
  if (node === undefined || node.kind !== K.CallExpression) return undefined;
  const call = node as ts.CallExpression;
  if (call.expression.kind !== K.Identifier || (call.expression as ts.Identifier).text !== 'require') return undefined;
  return stringValue(call.arguments[0]);
}

export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  const modifiers = (node as { modifiers?: ts.NodeArray<ts.ModifierLike> }).modifiers;
  if (modifiers === undefined) return false;
  for (const modifier of modifiers) if (modifier.kind === kind) return true;
  return false;
}

/** The source text of a node, without leading trivia. */
export function nodeText(node: ts.Node, sourceFile: ts.SourceFile): string {
  return sourceFile.text.slice(node.getStart(sourceFile), node.end);
}
