// Recognises, in one access or call of the single traversal, where a request's client address is
// read and what it is used for (a ban list or limiter key, a stored audit record), whether Express
// is told to trust the proxy in front of it, and NestJS methods given their own `@Throttle()`.
import { ts } from 'ts-morph';
import { climbWrappers, dottedName, isFunctionLike, nodeText, skipWrappers, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

const REQUEST = /^(req|request)$/;
/** Collection and store calls that look a key up or write it: `banned.has(ip)`, `redis.incr(key)`, `limiter.consume(ip)`. */
const KEY_METHODS = new Set([
  'has', 'get', 'set', 'add', 'delete', 'includes', 'indexOf', 'consume', 'penalty', 'block', 'reward',
  'incr', 'incrby', 'expire', 'setex', 'exists', 'ttl', 'hget', 'hset', 'hincrby', 'sadd', 'sismember', 'zadd', 'zincrby',
]);
/** Helpers named for what an address key does: `banIp(ip)`, `recordFailure(req.ip)`, `isBlocked(ip)`. */
const KEYED_HELPER = /ban|block|limit|attempt|throttl|fail|allow|deny|rate|lock|penal|strike/i;
/** Calls that store a record: `auditLog.create({ ip })`, `db.insert(…)`. */
const STORE_METHODS = /^(create|createMany|insert|insertOne|insertMany|save|upsert|update|updateOne|lpush|rpush|xadd|record|audit)$/;
/** A response or a logger given the address: it is shown or logged, not used to decide anything. */
const SHOWN = /^(res|reply|response|console|logger|log)$/;

/** `req.ip`, `req.socket.remoteAddress`, `req.connection.remoteAddress`, and where it goes. */
export function clientAddressRead(access: ts.PropertyAccessExpression, sourceFile: ts.SourceFile): { text: string; use: 'key' | 'stored'; by: string } | undefined {
  const name = access.name.text;
  let request: ts.Expression;
  if (name === 'ip') request = access.expression;
  else if (name === 'remoteAddress' && access.expression.kind === K.PropertyAccessExpression && ['socket', 'connection'].includes((access.expression as ts.PropertyAccessExpression).name.text)) {
    request = (access.expression as ts.PropertyAccessExpression).expression;
  } else return undefined;
  if (request.kind !== K.Identifier || !REQUEST.test((request as ts.Identifier).text)) return undefined;
  const text = nodeText(access, sourceFile);
  const use = addressUse(access, sourceFile);
  return use === undefined ? undefined : { text, ...use };
}

function addressUse(access: ts.Node, sourceFile: ts.SourceFile): { use: 'key' | 'stored'; by: string } | undefined {
  // `req.ip ?? ''`, `req.ip || req.socket.remoteAddress`, `` `rl:${req.ip}` ``: the same value.
  let node = climbWrappers(access);
  for (let parent = node.parent; parent !== undefined; parent = node.parent) {
    const fallback = parent.kind === K.BinaryExpression && [K.QuestionQuestionToken, K.BarBarToken].includes((parent as ts.BinaryExpression).operatorToken.kind);
    if (fallback) node = climbWrappers(parent);
    else if (parent.kind === K.TemplateSpan && parent.parent !== undefined) node = climbWrappers(parent.parent);
    else if (parent.kind === K.CallExpression && dottedName((parent as ts.CallExpression).expression) === 'String') node = climbWrappers(parent);
    else break;
  }
  const parent = node.parent;
  if (parent === undefined) return undefined;
  switch (parent.kind) {
    case K.CallExpression: {
      const call = parent as ts.CallExpression;
      const index = call.arguments.indexOf(node as ts.Expression);
      return index < 0 ? undefined : keyedBy(call, index);
    }
    case K.ElementAccessExpression:
      return (parent as ts.ElementAccessExpression).argumentExpression === node ? { use: 'key', by: `\`${nodeText((parent as ts.ElementAccessExpression).expression, sourceFile)}[…]\`` } : undefined;
    case K.PropertyAssignment:
      return storedBy(parent);
    case K.ArrowFunction:
    case K.ReturnStatement:
      return keyGeneratorOf(parent) ? { use: 'key', by: "a rate limiter's `keyGenerator`" } : undefined;
    case K.VariableDeclaration: {
      const declared = (parent as ts.VariableDeclaration).name;
      return declared.kind === K.Identifier ? aliasUse(parent, declared.text, sourceFile) : undefined;
    }
    default:
      return undefined;
  }
}

/** Redis hash and sorted-set commands take the member second: `hincrby('attempts', ip, 1)`. */
const MEMBER_SECOND = new Set(['hget', 'hset', 'hincrby', 'zadd', 'zincrby', 'sadd', 'sismember']);

/**
 * `banned.has(ip)`, `limiter.consume(ip)`, `recordFailure(ip)`: the address as the key a collection
 * or store is looked up by, not a value handed on (`form.set('remoteip', req.ip)`).
 */
function keyedBy(call: ts.CallExpression, index: number): { use: 'key'; by: string } | undefined {
  const callee = dottedName(call.expression);
  if (callee === undefined) return undefined;
  const parts = callee.split('.');
  const method = parts[parts.length - 1]!;
  if (SHOWN.test(parts[0]!)) return undefined;
  const keyPosition = index === 0 || (index === 1 && MEMBER_SECOND.has(method));
  if ((parts.length > 1 && KEY_METHODS.has(method) && keyPosition) || (KEYED_HELPER.test(method) && index === 0)) return { use: 'key', by: `\`${callee}()\`` };
  return undefined;
}

/** `{ ip: req.ip }` in the record of `auditLog.create(…)` (through nested objects such as Prisma's `data`). */
function storedBy(property: ts.Node): { use: 'stored'; by: string } | undefined {
  let node: ts.Node = property;
  for (let step = 0; step < 6 && node.parent !== undefined; step++) {
    const parent = node.parent;
    if (parent.kind === K.CallExpression) {
      const callee = dottedName((parent as ts.CallExpression).expression);
      const parts = callee?.split('.') ?? [];
      if (callee === undefined || SHOWN.test(parts[0]!) || !STORE_METHODS.test(parts[parts.length - 1]!)) return undefined;
      return { use: 'stored', by: `\`${callee}()\`` };
    }
    if (parent.kind !== K.ObjectLiteralExpression && parent.kind !== K.PropertyAssignment) return undefined;
    node = parent;
  }
  return undefined;
}

/** `keyGenerator: (req) => req.ip`, `keyGenerator(req) { return req.ip; }`. */
function keyGeneratorOf(node: ts.Node): boolean {
  let fn: ts.Node | undefined = node;
  while (fn !== undefined && !isFunctionLike(fn) && fn.kind !== K.MethodDeclaration) fn = fn.parent;
  if (fn === undefined) return false;
  if (fn.kind === K.MethodDeclaration) return (fn as ts.MethodDeclaration).name.kind === K.Identifier && ((fn as ts.MethodDeclaration).name as ts.Identifier).text === 'keyGenerator';
  const owner = climbWrappers(fn).parent;
  return owner?.kind === K.PropertyAssignment && (owner as ts.PropertyAssignment).name.kind === K.Identifier && ((owner as ts.PropertyAssignment).name as ts.Identifier).text === 'keyGenerator';
}

/**
 * `const ip = req.ip;` then `banned.has(ip)` or `attempts[ip]` later in the function: the alias
 * is followed by its text in the enclosing function, the one place it can be used.
 */
function aliasUse(declaration: ts.Node, alias: string, sourceFile: ts.SourceFile): { use: 'key'; by: string } | undefined {
  let fn: ts.Node | undefined = declaration.parent;
  while (fn !== undefined && !isFunctionLike(fn) && fn.kind !== K.FunctionDeclaration && fn.kind !== K.MethodDeclaration) fn = fn.parent;
  if (fn === undefined) return undefined;
  const body = sourceFile.text.slice(declaration.end, fn.end);
  const escaped = alias.replace(/[$]/g, '\\$');
  const keyCall = new RegExp(`([\\w$.]+)\\.(${[...KEY_METHODS].join('|')})\\(\\s*(?:\`[^\`]*)?\\$?\\{?\\s*${escaped}\\b`);
  const match = keyCall.exec(body);
  if (match !== null && !SHOWN.test(match[1]!.split('.')[0]!)) return { use: 'key', by: `\`${match[1]}.${match[2]}()\`` };
  const element = new RegExp(`([\\w$.]+)\\[\\s*${escaped}\\s*\\]`).exec(body);
  if (element !== null) return { use: 'key', by: `\`${element[1]}[…]\`` };
  const helper = new RegExp(`([\\w$.]*(?:${KEYED_HELPER.source})[\\w$]*)\\(\\s*${escaped}\\b`, 'i').exec(body);
  if (helper !== null) return { use: 'key', by: `\`${helper[1]}()\`` };
  return undefined;
}

/**
 * `app.set('trust proxy', 1)` → `1`, `app.enable('trust proxy')` → `true`: the value as written.
 * `app.set('trust proxy', false)` (or `0`) is the default restated: undefined.
 */
export function trustProxyValue(call: ts.CallExpression, sourceFile: ts.SourceFile): string | undefined {
  const callee = call.expression;
  if (callee.kind !== K.PropertyAccessExpression) return undefined;
  const method = (callee as ts.PropertyAccessExpression).name.text;
  if ((method !== 'set' && method !== 'enable') || stringValue(call.arguments[0]) !== 'trust proxy') return undefined;
  if (method === 'enable') return 'true';
  const value = call.arguments[1] === undefined ? undefined : skipWrappers(call.arguments[1]);
  if (value === undefined || value.kind === K.FalseKeyword || (value.kind === K.NumericLiteral && (value as ts.NumericLiteral).text === '0')) return undefined;
  return nodeText(value, sourceFile);
}

const ROUTE_DECORATORS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'All']);

/** `@Throttle({ default: { limit: 3, ttl: 60_000 } }) @Post('login') login()`: the method and its route. */
export function throttledMethod(method: ts.MethodDeclaration): { name: string; route?: string } | undefined {
  const decorators = ts.canHaveDecorators(method) ? ts.getDecorators(method) ?? [] : [];
  let throttled = false;
  let route: string | undefined;
  for (const decorator of decorators) {
    const expression = decorator.expression;
    if (expression.kind !== K.CallExpression) continue;
    const callee = (expression as ts.CallExpression).expression;
    const name = callee.kind === K.Identifier ? (callee as ts.Identifier).text : undefined;
    if (name === 'Throttle') throttled = true;
    else if (name !== undefined && ROUTE_DECORATORS.has(name)) route = stringValue((expression as ts.CallExpression).arguments[0]) ?? route;
  }
  if (!throttled || method.name.kind !== K.Identifier) return undefined;
  return route === undefined ? { name: method.name.text } : { name: method.name.text, route };
}
