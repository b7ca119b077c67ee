// What a module-level binding starts as, and whether its declaration makes it immutable.
import { ts } from 'ts-morph';
import type { InitializerKind } from './app-model.js';
import { skipWrappers } from './syntax.js';

const K = ts.SyntaxKind;

/**
 * `new Array()`/`Array.from()` count as array literals and `new Object()`/`Object.create(…)` as
 * object literals: rules care about the shape of the collection, not how it was spelled.
 */
export function initializerKind(initializer: ts.Expression | undefined): InitializerKind {
  if (initializer === undefined) return 'none';
  const node = skipWrappers(initializer);
  switch (node.kind) {
    case K.ObjectLiteralExpression:
      return 'object-literal';
    case K.ArrayLiteralExpression:
      return 'array-literal';
    case K.NewExpression: {
      const callee = (node as ts.NewExpression).expression;
      const name = callee.kind === K.Identifier ? (callee as ts.Identifier).text : undefined;
      if (name === 'Map') return 'map';
      if (name === 'Set') return 'set';
      if (name === 'WeakMap' || name === 'WeakSet' || name === 'WeakRef') return 'weak-collection';
      if (name === 'Array') return 'array-literal';
      if (name === 'Object') return 'object-literal';
      return 'new-instance';
    }
    case K.CallExpression: {
      const call = node as ts.CallExpression;
      const callee = call.expression;
      if (callee.kind === K.PropertyAccessExpression) {
        const access = callee as ts.PropertyAccessExpression;
        const owner = access.expression.kind === K.Identifier ? (access.expression as ts.Identifier).text : '';
        if (owner === 'Object' && access.name.text === 'freeze' && call.arguments[0] !== undefined) {
          return initializerKind(call.arguments[0]);
        }
        if (owner === 'Object' && access.name.text === 'create') return 'object-literal';
        if (owner === 'Array' && (access.name.text === 'from' || access.name.text === 'of')) return 'array-literal';
      }
      if (callee.kind === K.Identifier && (callee as ts.Identifier).text === 'Array') return 'array-literal';
      return 'call';
    }
    case K.StringLiteral:
    case K.NumericLiteral:
    case K.BigIntLiteral:
    case K.NoSubstitutionTemplateLiteral:
    case K.TemplateExpression:
    case K.RegularExpressionLiteral:
    case K.TrueKeyword:
    case K.FalseKeyword:
    case K.NullKeyword:
      return 'literal';
    case K.PrefixUnaryExpression:
      return (node as ts.PrefixUnaryExpression).operand.kind === K.NumericLiteral ? 'literal' : 'other';
    case K.Identifier:
      return (node as ts.Identifier).text === 'undefined' ? 'literal' : 'other';
    case K.ArrowFunction:
    case K.FunctionExpression:
      return 'function';
    case K.ClassExpression:
      return 'class';
    default:
      return 'other';
  }
}

const READONLY_TYPES = new Set(['Readonly', 'ReadonlyArray', 'ReadonlyMap', 'ReadonlySet']);

/** `Object.freeze(…)`, `… as const`, or a `Readonly…`/`readonly T[]` annotation. */
export function isReadonlyDeclaration(type: ts.TypeNode | undefined, initializer: ts.Expression | undefined): boolean {
  if (type !== undefined && isReadonlyType(type)) return true;
  let node: ts.Expression | undefined = initializer;
  while (node !== undefined) {
    switch (node.kind) {
      case K.AsExpression:
      case K.SatisfiesExpression:
      case K.TypeAssertionExpression: {
        const assertion = node as ts.AsExpression;
        if (isConstType(assertion.type) || isReadonlyType(assertion.type)) return true;
        node = assertion.expression;
        continue;
      }
      case K.ParenthesizedExpression:
      case K.NonNullExpression:
        node = (node as ts.ParenthesizedExpression).expression;
        continue;
      case K.CallExpression: {
        const callee = (node as ts.CallExpression).expression;
        return (
          callee.kind === K.PropertyAccessExpression &&
          (callee as ts.PropertyAccessExpression).name.text === 'freeze' &&
          (callee as ts.PropertyAccessExpression).expression.kind === K.Identifier &&
          ((callee as ts.PropertyAccessExpression).expression as ts.Identifier).text === 'Object'
        );
      }
      default:
        return false;
    }
  }
  return false;
}

function isConstType(type: ts.TypeNode): boolean {
  return (
    type.kind === K.TypeReference &&
    (type as ts.TypeReferenceNode).typeName.kind === K.Identifier &&
    ((type as ts.TypeReferenceNode).typeName as ts.Identifier).text === 'const'
  );
}

function isReadonlyType(type: ts.TypeNode): boolean {
  if (type.kind === K.TypeOperator) return (type as ts.TypeOperatorNode).operator === K.ReadonlyKeyword;
  if (type.kind === K.TypeReference) {
    const name = (type as ts.TypeReferenceNode).typeName;
    return name.kind === K.Identifier && READONLY_TYPES.has(name.text);
  }
  return false;
}
