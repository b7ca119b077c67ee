// How a `listen` call binds: its port and host arguments, and whether its receiver is a Fastify
// instance. Node's `server.listen(port)` (so Express's and Koa's) binds every interface when no
// host is given; Fastify binds loopback instead (fastify lib/server.js: `listenOptions = { port: 0,
// host: 'localhost' }`, and its test "listen works without arguments" asserts the loopback address;
// the NestJS docs, "Performance (Fastify)": "By default, Fastify listens only on the localhost
// 127.0.0.1 interface"), so the receiver decides what an absent host means.
import { ts } from 'ts-morph';
import type { ListenHost } from './app-model.js';
import { valueSource } from './connections.js';
import type { PathScope } from './path-roots.js';
import { isFunctionLike, requireSpecifier, skipWrappers, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

export interface ListenArguments {
  /** The port expression, when the call gives one. */
  port?: ts.Expression;
  host: ListenHost;
  /** The host argument or `host` property, where a finding about it points. */
  hostNode?: ts.Node;
}

/**
 * `listen(port)`, `listen(port, host, cb)`, `listen({ port, host })`, `listen(options)` with
 * `options` a const of this file; a unix socket (`listen('/tmp/app.sock')`, `{ path }`) binds no host.
 */
export function listenArguments(call: ts.CallExpression, scope: PathScope, depth: number): ListenArguments {
  const [first, second] = call.arguments;
  let options = first === undefined ? undefined : skipWrappers(first);
  if (options?.kind === K.Identifier) {
    const init = scope.constInitializer((options as ts.Identifier).text, depth)?.init;
    if (init !== undefined && skipWrappers(init).kind === K.ObjectLiteralExpression) options = skipWrappers(init);
  }
  if (options?.kind === K.ObjectLiteralExpression) {
    const object = options as ts.ObjectLiteralExpression;
    if (propertyOf(object, 'path') !== undefined) return { host: { kind: 'other' } };
    const port = propertyOf(object, 'port');
    const host = propertyOf(object, 'host');
    return {
      ...(port === undefined ? {} : { port: port.value }),
      host: host === undefined ? { kind: 'absent' } : hostSource(host.value, scope, depth),
      ...(host === undefined ? {} : { hostNode: host.node }),
    };
  }
  if (first === undefined) return { host: { kind: 'absent' } };
  const firstString = stringValue(skipWrappers(first));
  if (firstString !== undefined && !/^\d+$/.test(firstString)) return { host: { kind: 'other' } };
  const port = isFunctionLike(skipWrappers(first)) ? undefined : first;
  const hostArgument = second === undefined ? undefined : skipWrappers(second);
  // `listen(port, () => …)` and `listen(port, backlog)` give no host.
  if (hostArgument === undefined || isFunctionLike(hostArgument) || hostArgument.kind === K.NumericLiteral) {
    return { ...(port === undefined ? {} : { port }), host: { kind: 'absent' } };
  }
  return { ...(port === undefined ? {} : { port }), host: hostSource(hostArgument, scope, depth), hostNode: second };
}

/** `'127.0.0.1'`, `process.env.HOST ?? '0.0.0.0'`, or a const of this file holding either. */
function hostSource(expression: ts.Expression, scope: PathScope, depth: number): ListenHost {
  let node = skipWrappers(expression);
  if (node.kind === K.Identifier) {
    const init = scope.constInitializer((node as ts.Identifier).text, depth)?.init;
    if (init === undefined) return { kind: 'other' };
    node = skipWrappers(init);
  }
  const source = valueSource(node);
  if (source === undefined) return { kind: 'other' };
  if (source.env !== undefined) return { kind: 'env', name: source.env, ...(source.literal === undefined ? {} : { fallback: source.literal }) };
  return source.literal === undefined ? { kind: 'other' } : { kind: 'literal', value: source.literal };
}

function propertyOf(object: ts.ObjectLiteralExpression, name: string): { node: ts.Node; value: ts.Expression } | undefined {
  for (const property of object.properties) {
    if (property.name === undefined || property.name.kind !== K.Identifier || property.name.text !== name) continue;
    if (property.kind === K.PropertyAssignment) return { node: property, value: property.initializer };
    if (property.kind === K.ShorthandPropertyAssignment) return { node: property, value: property.name };
  }
  return undefined;
}

/**
 * The receiver of `.listen` is made by `fastify()`/`Fastify()`/`require('fastify')()` (the callee
 * resolved to the `fastify` module by import), or by `NestFactory.create(AppModule, new FastifyAdapter())`:
 * written in place or as the initializer of a const the receiver names.
 */
export function isFastifyReceiver(receiver: ts.Expression, scope: PathScope, depth: number): boolean {
  let node = skipAwait(receiver);
  let scopeDepth = depth;
  if (node.kind === K.Identifier) {
    const found = scope.constInitializer((node as ts.Identifier).text, depth);
    if (found === undefined) return false;
    node = skipAwait(found.init);
    scopeDepth = found.depth;
  }
  if (node.kind !== K.CallExpression) return false;
  const call = node as ts.CallExpression;
  return isFastifyFactory(call.expression, scope, scopeDepth) || isNestOverFastify(call, scope, scopeDepth);
}

function skipAwait(expression: ts.Expression): ts.Expression {
  let node = skipWrappers(expression);
  while (node.kind === K.AwaitExpression) node = skipWrappers((node as ts.AwaitExpression).expression);
  return node;
}

/** `Fastify`, `fastify.fastify`, `fastify.default`, `require('fastify')`, with the names imported from `fastify`. */
function isFastifyFactory(callee: ts.Expression, scope: PathScope, depth: number): boolean {
  const node = skipWrappers(callee);
  if (requireSpecifier(node) === 'fastify') return true;
  if (node.kind === K.Identifier) {
    const imported = scope.importOf((node as ts.Identifier).text, depth);
    return imported?.module === 'fastify' && ['default', '*', 'fastify'].includes(imported.name);
  }
  if (node.kind === K.PropertyAccessExpression) {
    const access = node as ts.PropertyAccessExpression;
    if (access.name.text !== 'default' && access.name.text !== 'fastify') return false;
    const owner = skipWrappers(access.expression);
    if (requireSpecifier(owner) === 'fastify') return true;
    return owner.kind === K.Identifier && scope.importOf((owner as ts.Identifier).text, depth)?.module === 'fastify';
  }
  return false;
}

/** `NestFactory.create(AppModule, new FastifyAdapter())` with both names imported from Nest's packages. */
function isNestOverFastify(call: ts.CallExpression, scope: PathScope, depth: number): boolean {
  const callee = skipWrappers(call.expression);
  if (callee.kind !== K.PropertyAccessExpression || (callee as ts.PropertyAccessExpression).name.text !== 'create') return false;
  const factory = skipWrappers((callee as ts.PropertyAccessExpression).expression);
  if (factory.kind !== K.Identifier || scope.importOf((factory as ts.Identifier).text, depth)?.module !== '@nestjs/core') return false;
  return call.arguments.some((argument) => {
    const bare = skipWrappers(argument);
    if (bare.kind !== K.NewExpression) return false;
    const adapter = skipWrappers((bare as ts.NewExpression).expression);
    return adapter.kind === K.Identifier && scope.importOf((adapter as ts.Identifier).text, depth)?.module === '@nestjs/platform-fastify';
  });
}
