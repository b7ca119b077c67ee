// Recognises real-time fan-out in one call or access of the single traversal: socket.io
// broadcasts and adapters, live connections put in module collections (ws, socket.io, SSE),
// a ws server's own client set iterated, and module-level EventEmitters used as buses. The walk
// turns what these return into sites; nothing here walks a tree.
import { ts } from 'ts-morph';
import type { InitializerKind, ModuleBinding } from './app-model.js';
import { climbWrappers, dottedName, isFunctionLike, nodeText, skipWrappers, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

/** What the walk knows about a name at the point of use. */
export interface RealtimeNames {
  moduleBinding(name: string): ModuleBinding | undefined;
  /** The initializer of a module-level or local variable, as written. */
  initializer(name: string): ts.Expression | undefined;
  importOf(name: string): { module: string; name: string } | undefined;
}

/** Steps of a socket.io emit chain that only set flags or pick a namespace. */
const FLAG_STEPS = new Set(['sockets', 'of', 'volatile', 'compress', 'timeout']);
const ROOM_STEPS = new Set(['to', 'in', 'except']);
/** Sends (and queries) a socket.io server or room chain makes on every matching socket. */
const FAN_OUT = new Set(['emit', 'fetchSockets', 'socketsJoin', 'socketsLeave', 'disconnectSockets', 'serverSideEmit']);

/**
 * `io.to(room).emit(…)`, `socket.broadcast.emit(…)`, `io.of('/chat').emit(…)`, `io.emit(…)`: the
 * receiver the chain starts from and how it fans out. `.local` restricts a send to this server by
 * intent (socket.io's own flag), so it is left out.
 */
export function broadcastOf(call: ts.CallExpression): { root: string; shape: 'broadcast' | 'room' | 'direct'; text: string } | undefined {
  const callee = call.expression;
  if (callee.kind !== K.PropertyAccessExpression || !FAN_OUT.has((callee as ts.PropertyAccessExpression).name.text)) return undefined;
  let shape: 'broadcast' | 'room' | 'direct' = 'direct';
  let node: ts.Expression = (callee as ts.PropertyAccessExpression).expression;
  // Written back without arguments (`io.to(…).emit`): room names are often long template strings.
  const steps: string[] = [(callee as ts.PropertyAccessExpression).name.text];
  for (;;) {
    let step: string | undefined;
    if (node.kind === K.CallExpression && (node as ts.CallExpression).expression.kind === K.PropertyAccessExpression) {
      const inner = (node as ts.CallExpression).expression as ts.PropertyAccessExpression;
      step = inner.name.text;
      if (!ROOM_STEPS.has(step) && !FLAG_STEPS.has(step)) return undefined;
      steps.unshift(`${step}(…)`);
      node = inner.expression;
    } else if (node.kind === K.PropertyAccessExpression && (node as ts.PropertyAccessExpression).name.text !== 'server') {
      step = (node as ts.PropertyAccessExpression).name.text;
      if (step !== 'broadcast' && step !== 'local' && !FLAG_STEPS.has(step)) break;
      steps.unshift(step);
      node = (node as ts.PropertyAccessExpression).expression;
    } else {
      break;
    }
    if (step === 'local') return undefined;
    if (step === 'broadcast') shape = 'broadcast';
    else if (ROOM_STEPS.has(step) && shape === 'direct') shape = 'room';
  }
  const root = dottedName(node);
  if (root === undefined) return undefined;
  return { root, shape, text: [root, ...steps].join('.') };
}

/** `io.adapter(createAdapter(pub, sub))`: a socket.io adapter set after the server is made. */
export function isAdapterCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  return callee.kind === K.PropertyAccessExpression && (callee as ts.PropertyAccessExpression).name.text === 'adapter' && call.arguments.length > 0;
}

const ADDERS = new Set(['add', 'push', 'unshift', 'set']);
const COLLECTIONS: ReadonlySet<InitializerKind> = new Set(['array-literal', 'map', 'set', 'object-literal']);
const CONNECTION_EVENTS = new Set(['connection', 'connect']);

/**
 * `clients.add(ws)` / `sockets.set(userId, socket)` in a `'connection'` listener, or
 * `streams.push({ id, res })` in a route that answers with `text/event-stream`: a module
 * collection holding live connections of this process.
 */
export function connectionAdd(call: ts.CallExpression, names: RealtimeNames, sourceFile: ts.SourceFile): { binding: string; holds: 'socket' | 'sse'; connection: string } | undefined {
  const callee = call.expression;
  if (callee.kind !== K.PropertyAccessExpression || !ADDERS.has((callee as ts.PropertyAccessExpression).name.text)) return undefined;
  const receiver = skipWrappers((callee as ts.PropertyAccessExpression).expression);
  if (receiver.kind !== K.Identifier) return undefined;
  const binding = names.moduleBinding((receiver as ts.Identifier).text);
  if (binding === undefined || !COLLECTIONS.has(binding.initializer)) return undefined;
  for (const argument of call.arguments) {
    for (const name of passedNames(skipWrappers(argument))) {
      const holds = connectionParameter(call, name, names, sourceFile);
      if (holds !== undefined) return { binding: binding.name, holds, connection: name };
    }
  }
  return undefined;
}

/** `ws`, and the values of `{ id, res }` / `{ socket: ws }`. */
function passedNames(argument: ts.Expression): string[] {
  if (argument.kind === K.Identifier) return [(argument as ts.Identifier).text];
  if (argument.kind !== K.ObjectLiteralExpression) return [];
  const names: string[] = [];
  for (const property of (argument as ts.ObjectLiteralExpression).properties) {
    if (property.kind === K.ShorthandPropertyAssignment) names.push(property.name.text);
    else if (property.kind === K.PropertyAssignment && skipWrappers(property.initializer).kind === K.Identifier) names.push((skipWrappers(property.initializer) as ts.Identifier).text);
  }
  return names;
}

/**
 * Whether `name` is a parameter of a function around `node` that receives a connection: the
 * callback of `x.on('connection', …)`, or a handler that opens an event stream.
 */
function connectionParameter(node: ts.Node, name: string, names: RealtimeNames, sourceFile: ts.SourceFile): 'socket' | 'sse' | undefined {
  for (let current = node.parent; current !== undefined; current = current.parent) {
    if (!isFunctionLike(current) && current.kind !== K.FunctionDeclaration && current.kind !== K.MethodDeclaration) continue;
    const fn = current as ts.FunctionLikeDeclaration;
    if (!fn.parameters.some((parameter) => parameter.name.kind === K.Identifier && parameter.name.text === name)) continue;
    const registration = climbWrappers(fn).parent;
    if (registration?.kind === K.CallExpression) {
      const listen = registration as ts.CallExpression;
      const method = listen.expression.kind === K.PropertyAccessExpression ? (listen.expression as ts.PropertyAccessExpression).name.text : undefined;
      const event = stringValue(listen.arguments[0]);
      if ((method === 'on' || method === 'once') && event !== undefined && CONNECTION_EVENTS.has(event)) {
        return isHttpServer((listen.expression as ts.PropertyAccessExpression).expression, names) ? undefined : 'socket';
      }
    }
    // The parameter that declares the name is the one the value comes from: an inner function shadows outer ones.
    const body = fn.body === undefined ? '' : nodeText(fn.body, sourceFile);
    return body.includes('text/event-stream') || body.includes('.flushHeaders(') ? 'sse' : undefined;
  }
  return undefined;
}

/** The TCP sockets of an HTTP server, tracked to destroy them at shutdown, are not clients to push to. */
const HTTP_SERVER_FACTORIES = /(^|\.)(createServer|createSecureServer|listen)$/;

/** `server` of `const server = http.createServer(app)` / `app.listen(3000)`. */
function isHttpServer(receiver: ts.Expression, names: RealtimeNames): boolean {
  let node = skipWrappers(receiver);
  if (node.kind === K.Identifier) {
    const init = names.initializer((node as ts.Identifier).text);
    if (init === undefined) return false;
    node = skipWrappers(init);
  }
  if (node.kind === K.AwaitExpression) node = skipWrappers((node as ts.AwaitExpression).expression);
  if (node.kind !== K.CallExpression && node.kind !== K.NewExpression) return false;
  const callee = dottedName((node as ts.CallExpression).expression);
  return callee !== undefined && HTTP_SERVER_FACTORIES.test(callee);
}

/** `wss.clients.forEach(…)`, `for (const c of wss.clients)`, `[...wss.clients]`: the server behind `.clients`, when it is a module binding. */
export function clientSetLoop(access: ts.PropertyAccessExpression, names: RealtimeNames): string | undefined {
  if (access.name.text !== 'clients' || access.expression.kind !== K.Identifier) return undefined;
  const server = names.moduleBinding((access.expression as ts.Identifier).text);
  if (server === undefined || server.initializer !== 'new-instance') return undefined;
  const outer = climbWrappers(access);
  const parent = outer.parent;
  if (parent === undefined) return undefined;
  const iterated =
    (parent.kind === K.ForOfStatement && (parent as ts.ForOfStatement).expression === outer) ||
    parent.kind === K.SpreadElement ||
    (parent.kind === K.PropertyAccessExpression && ['forEach', 'values'].includes((parent as ts.PropertyAccessExpression).name.text)) ||
    (parent.kind === K.CallExpression && dottedName((parent as ts.CallExpression).expression) === 'Array.from');
  return iterated ? server.name : undefined;
}

const EMITTER_METHODS = new Set(['emit', 'on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);

/** `bus.emit('order', …)` / `bus.on('order', …)` on a module binding or on an import of a relative module. */
export function emitterCall(call: ts.CallExpression, names: RealtimeNames): { method: string; binding?: string; imported?: { specifier: string; name: string } } | undefined {
  const callee = call.expression;
  if (callee.kind !== K.PropertyAccessExpression || !EMITTER_METHODS.has((callee as ts.PropertyAccessExpression).name.text)) return undefined;
  const method = (callee as ts.PropertyAccessExpression).name.text;
  const receiver = skipWrappers((callee as ts.PropertyAccessExpression).expression);
  if (receiver.kind !== K.Identifier) return undefined;
  const name = (receiver as ts.Identifier).text;
  const binding = names.moduleBinding(name);
  if (binding !== undefined) return binding.initializer === 'new-instance' ? { method, binding: binding.name } : undefined;
  const imported = names.importOf(name);
  return imported !== undefined && imported.module.startsWith('.') ? { method, imported: { specifier: imported.module, name: imported.name } } : undefined;
}

const EVENTS_MODULES = new Set(['events', 'node:events']);

/** `new EventEmitter()` with the class from node's `events` (named, default, or a CommonJS `require('events')`). */
export function isEventEmitterNew(expression: ts.NewExpression, names: RealtimeNames): boolean {
  const callee = skipWrappers(expression.expression);
  if (callee.kind === K.Identifier) {
    const imported = names.importOf((callee as ts.Identifier).text);
    return imported !== undefined && EVENTS_MODULES.has(imported.module) && ['EventEmitter', 'default', '*'].includes(imported.name);
  }
  if (callee.kind === K.PropertyAccessExpression && (callee as ts.PropertyAccessExpression).name.text === 'EventEmitter') {
    const owner = (callee as ts.PropertyAccessExpression).expression;
    const imported = owner.kind === K.Identifier ? names.importOf((owner as ts.Identifier).text) : undefined;
    return imported !== undefined && EVENTS_MODULES.has(imported.module);
  }
  return false;
}
