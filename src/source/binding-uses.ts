// What the code does with a read of a module binding, for the rules that care how a shared object
// is used rather than whether it changes: the method called on it (`cache.del(key)`,
// `mutex.runExclusive(…)`), a flag tested by an `if` that leaves (`if (isExporting) return`), and a
// critical section that only fills an unset variable (`mutex.runExclusive(() => client ??= connect())`).
import { ts } from 'ts-morph';
import type { ReadSite } from './app-model.js';
import { climbWrappers, dottedName, isFunctionLike, skipWrappers } from './syntax.js';

const K = ts.SyntaxKind;

/** Methods whose function argument is a critical section: async-mutex, async-lock. */
const CRITICAL_SECTION_METHODS = new Set(['runExclusive', 'acquire']);

/** Sets `method`, `exitGuard` and `lazyInit` on the read site of `reference`, when they apply. */
export function describeRead(site: ReadSite, reference: ts.Node): void {
  const outer = climbWrappers(reference);
  const parent = outer.parent;
  if (parent === undefined) return;
  if (parent.kind === K.PropertyAccessExpression && (parent as ts.PropertyAccessExpression).expression === outer) {
    const callee = climbWrappers(parent);
    const call = callee.parent;
    if (call?.kind !== K.CallExpression || (call as ts.CallExpression).expression !== callee) return;
    const method = (parent as ts.PropertyAccessExpression).name.text;
    site.method = method;
    if (CRITICAL_SECTION_METHODS.has(method) && isLazyInitSection(call as ts.CallExpression)) site.lazyInit = true;
    return;
  }
  if (isExitGuard(outer, parent)) site.exitGuard = true;
}

/** `if (flag) return …;`, `if (flag === true) { …; return; }`, `if (flag) throw …`. */
function isExitGuard(outer: ts.Node, parent: ts.Node): boolean {
  let test: ts.Node = outer;
  let owner: ts.Node | undefined = parent;
  if (owner.kind === K.BinaryExpression) {
    const binary = owner as ts.BinaryExpression;
    const operator = binary.operatorToken.kind;
    if ((operator !== K.EqualsEqualsEqualsToken && operator !== K.EqualsEqualsToken) || binary.left !== outer || skipWrappers(binary.right).kind !== K.TrueKeyword) return false;
    test = climbWrappers(binary);
    owner = test.parent;
  }
  if (owner?.kind !== K.IfStatement || (owner as ts.IfStatement).expression !== test) return false;
  return leaves((owner as ts.IfStatement).thenStatement, dottedName(outer));
}

/**
 * The branch ends in `return` or `throw`, and does not hand the tested value back: `if (publisher)
 * return publisher` and `if (initPromise) return initPromise` memoise a lazily made object (aks-store's
 * order service); they do not keep a second run out.
 */
function leaves(statement: ts.Statement, tested: string | undefined): boolean {
  const last = statement.kind === K.Block ? (statement as ts.Block).statements.at(-1) : statement;
  if (last === undefined) return false;
  if (last.kind === K.ThrowStatement) return true;
  if (last.kind !== K.ReturnStatement) return false;
  const value = (last as ts.ReturnStatement).expression;
  return value === undefined || tested === undefined || dottedName(skipWrappers(value)) !== tested;
}

/**
 * The only function argument of the call fills an unset variable and does nothing else:
 * `() => client ??= connect()`, `async () => { if (!client) client = await connect(); return client; }`.
 * A lock around a lazy initialisation protects this process's own object, which is per pod by design.
 */
function isLazyInitSection(call: ts.CallExpression): boolean {
  const fns = call.arguments.map((argument) => skipWrappers(argument)).filter(isFunctionLike);
  if (fns.length !== 1) return false;
  const body = fns[0]!.body;
  if (body.kind !== K.Block) return isLazyAssignment(skipAwait(body as ts.Expression));
  const statements = (body as ts.Block).statements;
  let fills = false;
  for (const statement of statements) {
    if (statement.kind === K.ReturnStatement) {
      const value = (statement as ts.ReturnStatement).expression;
      if (value === undefined || dottedName(skipWrappers(value)) !== undefined) continue;
      if (!isLazyAssignment(skipAwait(value))) return false;
      fills = true;
      continue;
    }
    if (statement.kind === K.ExpressionStatement) {
      const expression = skipAwait((statement as ts.ExpressionStatement).expression);
      if (!isLazyAssignment(expression) && !isPlainAssignment(expression)) return false;
      fills ||= isLazyAssignment(expression);
      continue;
    }
    if (statement.kind === K.IfStatement) {
      const branch = statement as ts.IfStatement;
      if (branch.elseStatement !== undefined || !testsUnset(branch.expression)) return false;
      const then = branch.thenStatement;
      const inner = then.kind === K.Block ? (then as ts.Block).statements : [then];
      if (!inner.every((child) => child.kind === K.ReturnStatement || (child.kind === K.ExpressionStatement && isPlainAssignment(skipAwait((child as ts.ExpressionStatement).expression))))) return false;
      fills = true;
      continue;
    }
    return false;
  }
  return fills;
}

function skipAwait(node: ts.Expression): ts.Expression {
  const bare = skipWrappers(node);
  return bare.kind === K.AwaitExpression ? skipWrappers((bare as ts.AwaitExpression).expression) : bare;
}

/** `client ??= connect()`, `this.client ||= …`. */
function isLazyAssignment(node: ts.Expression): boolean {
  if (node.kind !== K.BinaryExpression) return false;
  const binary = node as ts.BinaryExpression;
  const operator = binary.operatorToken.kind;
  return (operator === K.QuestionQuestionEqualsToken || operator === K.BarBarEqualsToken) && dottedName(skipWrappers(binary.left)) !== undefined;
}

/** `client = await connect()`. */
function isPlainAssignment(node: ts.Expression): boolean {
  return node.kind === K.BinaryExpression && (node as ts.BinaryExpression).operatorToken.kind === K.EqualsToken && dottedName(skipWrappers((node as ts.BinaryExpression).left)) !== undefined;
}

/** `!client`, `client`, `client === undefined`, `client == null`. */
function testsUnset(condition: ts.Expression): boolean {
  const bare = skipWrappers(condition);
  if (dottedName(bare) !== undefined) return true;
  if (bare.kind === K.PrefixUnaryExpression && (bare as ts.PrefixUnaryExpression).operator === K.ExclamationToken) {
    return dottedName(skipWrappers((bare as ts.PrefixUnaryExpression).operand)) !== undefined;
  }
  if (bare.kind !== K.BinaryExpression) return false;
  const binary = bare as ts.BinaryExpression;
  const right = skipWrappers(binary.right);
  const unset = right.kind === K.NullKeyword || (right.kind === K.Identifier && (right as ts.Identifier).text === 'undefined');
  return unset && dottedName(skipWrappers(binary.left)) !== undefined;
}
