// Classifies one reference to a module binding: how it changes the binding, if it does.
import { ts } from 'ts-morph';
import type { InitializerKind, MutationKind } from './app-model.js';
import { climbWrappers, isAssignmentOperator } from './syntax.js';

const K = ts.SyntaxKind;

export const MUTATOR_METHODS = new Set([
  'set', 'add', 'delete', 'clear',
  'push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin',
]);

/** Methods that hand back an element of the collection, so writing into their result writes into the collection. */
const ELEMENT_GETTERS = new Set(['get', 'at', 'find', 'findLast']);

/** Which mutator names each receiver kind really has; a name it lacks is the object's own method, a read. */
const MUTATORS_BY_KIND: Partial<Record<InitializerKind, Set<string>>> = {
  'object-literal': new Set(),
  'array-literal': new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin']),
  map: new Set(['set', 'delete', 'clear']),
  set: new Set(['add', 'delete', 'clear']),
  'weak-collection': new Set(['set', 'add', 'delete']),
};

export interface Use {
  /** The expression a site points at: the whole mutation, or the reference for a read. */
  node: ts.Node;
  mutation?: {
    kind: MutationKind;
    method?: string;
    /** How many property/element steps separate the binding from the mutated object (0: the binding itself). */
    depth: number;
    /** Reached through an element getter (`codes.get(k).attempts++`): a write into an element the collection holds. */
    throughElement?: true;
  };
}

export function classifyUse(reference: ts.Node): Use {
  let node = climbWrappers(reference);
  let parent = node.parent;
  if (parent === undefined) return { node: reference };
  if (parent.kind === K.BinaryExpression) {
    const binary = parent as ts.BinaryExpression;
    if (binary.left === node && isAssignmentOperator(binary.operatorToken.kind)) {
      return { node: parent, mutation: { kind: 'reassign', depth: 0 } };
    }
  }
  if (isUpdate(parent)) return { node: parent, mutation: { kind: 'update', depth: 0 } };
  const assigned = objectAssignTarget(parent, node);
  if (assigned !== undefined) return { node: parent, mutation: { kind: assigned, depth: 0 } };

  let depth = 0;
  let throughElement = false;
  for (;;) {
    if ((parent.kind === K.PropertyAccessExpression || parent.kind === K.ElementAccessExpression) &&
        (parent as ts.PropertyAccessExpression).expression === node) {
      depth++;
      node = climbWrappers(parent);
      parent = node.parent;
      if (parent === undefined) return { node: reference };
      continue;
    }
    // `codes.get(k).attempts++` writes into an element the collection holds.
    if (depth > 0 && parent.kind === K.CallExpression && (parent as ts.CallExpression).expression === node &&
        node.kind === K.PropertyAccessExpression && ELEMENT_GETTERS.has((node as ts.PropertyAccessExpression).name.text)) {
      const grand = climbWrappers(parent).parent;
      if (grand !== undefined && (grand.kind === K.PropertyAccessExpression || grand.kind === K.ElementAccessExpression) &&
          (grand as ts.PropertyAccessExpression).expression === climbWrappers(parent)) {
        node = climbWrappers(parent);
        parent = node.parent;
        throughElement = true;
        continue;
      }
    }
    break;
  }
  const mark = <M extends NonNullable<Use['mutation']>>(mutation: M): M => (throughElement ? { ...mutation, throughElement: true } : mutation);
  if (depth === 0) return { node: reference };
  if (parent.kind === K.BinaryExpression) {
    const binary = parent as ts.BinaryExpression;
    if (binary.left === node && isAssignmentOperator(binary.operatorToken.kind)) {
      return { node: parent, mutation: mark({ kind: 'property-write', depth }) };
    }
  }
  if (isUpdate(parent)) return { node: parent, mutation: mark({ kind: 'property-write', depth }) };
  if (parent.kind === K.DeleteExpression) return { node: parent, mutation: mark({ kind: 'delete', depth }) };
  if (parent.kind === K.CallExpression && (parent as ts.CallExpression).expression === node &&
      node.kind === K.PropertyAccessExpression && MUTATOR_METHODS.has((node as ts.PropertyAccessExpression).name.text)) {
    return { node: parent, mutation: mark({ kind: 'mutator-call', method: (node as ts.PropertyAccessExpression).name.text, depth }) };
  }
  const nested = objectAssignTarget(parent, node);
  if (nested !== undefined) return { node: parent, mutation: mark({ kind: nested, depth }) };
  return { node: reference };
}

/**
 * Drops a mutator call the receiver does not have (`config.set()` on an object literal is its own
 * method), and a write through an element getter of something not known to be a collection:
 * `collection.find(q).sort(…)` on a database handle sorts a query cursor, not an element (robot-shop).
 */
export function confirmMutation(initializer: InitializerKind, mutation: Use['mutation']): Use['mutation'] {
  if (mutation?.throughElement === true && MUTATORS_BY_KIND[initializer] === undefined) return undefined;
  if (mutation === undefined || mutation.kind !== 'mutator-call' || mutation.depth !== 1) return mutation;
  const methods = MUTATORS_BY_KIND[initializer];
  if (methods === undefined || methods.has(mutation.method ?? '')) return mutation;
  return undefined;
}

function isUpdate(node: ts.Node): boolean {
  if (node.kind !== K.PrefixUnaryExpression && node.kind !== K.PostfixUnaryExpression) return false;
  const operator = (node as ts.PrefixUnaryExpression).operator;
  return operator === K.PlusPlusToken || operator === K.MinusMinusToken;
}

/** `Object.assign(x, …)`, `Reflect.set(x, …)`, `Reflect.deleteProperty(x, …)` with `x` first. */
function objectAssignTarget(parent: ts.Node, node: ts.Node): MutationKind | undefined {
  if (parent.kind !== K.CallExpression) return undefined;
  const call = parent as ts.CallExpression;
  if (call.arguments[0] !== node || call.expression.kind !== K.PropertyAccessExpression) return undefined;
  const callee = call.expression as ts.PropertyAccessExpression;
  if (callee.expression.kind !== K.Identifier) return undefined;
  const owner = (callee.expression as ts.Identifier).text;
  const method = callee.name.text;
  if (owner === 'Object' && (method === 'assign' || method === 'defineProperty')) return 'object-assign';
  if (owner === 'Reflect' && method === 'set') return 'property-write';
  if (owner === 'Reflect' && method === 'deleteProperty') return 'delete';
  return undefined;
}
