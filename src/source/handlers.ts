// Names the entry points code runs in at runtime — routes, queue workers, timers, listeners —
// and recognises the callbacks that run synchronously where they are passed.
import { ts } from 'ts-morph';
import { dottedName, isFunctionLike, skipWrappers, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'all', 'use', 'head', 'options']);
const TIMERS = new Set(['setInterval', 'setTimeout', 'setImmediate']);
const LISTENER_METHODS = new Set(['on', 'once', 'addListener', 'addEventListener', 'prependListener']);
const LABELLED_METHODS = new Set([...ROUTE_METHODS, ...TIMERS, ...LISTENER_METHODS, 'schedule', 'scheduleJob', 'process']);
const APP_LIKE = /(^|\.)(app|router|server|api|fastify|koa)$/i;

/** Array callbacks that run before the call returns. */
const SYNC_ITERATION = new Set([
  'forEach', 'map', 'flatMap', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex',
  'findLast', 'findLastIndex', 'sort',
]);
/**
 * Promise continuations run once, soon after the call: at top level they are part of start-up
 * (`loadConfig().then(c => …)`), not of serving requests. A deliberate widening of "init".
 */
const CONTINUATIONS = new Set(['then', 'catch', 'finally']);

/**
 * A route the call registers: `app.get('/healthz', …)` → `GET /healthz`, `router.route('/x').post(…)`,
 * and `app.use('/api', router)` → `USE /api` (everything under a mount point).
 */
export function routeRegistration(call: ts.CallExpression): { method: string; path: string } | undefined {
  const callee = skipWrappers(call.expression);
  if (callee.kind !== K.PropertyAccessExpression) return undefined;
  const method = (callee as ts.PropertyAccessExpression).name.text;
  if (!ROUTE_METHODS.has(method)) return undefined;
  const path = stringValue(call.arguments[0]);
  if (path !== undefined && (path.startsWith('/') || path === '*') && hasFunctionArgument(call, 1)) return { method: method.toUpperCase(), path };
  // `app.use(express.static('public'))` serves whatever the folder holds, `/` included (its index.html).
  if (method === 'use' && call.arguments.some(isStaticMiddleware)) return { method: 'USE', path: path !== undefined && path.startsWith('/') ? path : '/' };
  const routed = (callee as ts.PropertyAccessExpression).expression;
  const route = routed.kind === K.CallExpression ? routedPath(routed as ts.CallExpression) : undefined;
  return route === undefined ? undefined : { method: method.toUpperCase(), path: route };
}

/**
 * `express.static(dir)`: a middleware that answers any path naming a file of its folder. Matched on
 * the member name: `static` is a reserved word, so no local binding can be called that.
 */
function isStaticMiddleware(argument: ts.Expression): boolean {
  if (argument.kind !== K.CallExpression) return false;
  const callee = (argument as ts.CallExpression).expression;
  return callee.kind === K.PropertyAccessExpression && (callee as ts.PropertyAccessExpression).name.text === 'static';
}

/** The handler a call registers its function arguments as, e.g. `POST /login/code`. */
export function callHandlerLabel(call: ts.CallExpression): string | undefined {
  const callee = skipWrappers(call.expression);
  if (callee.kind === K.Identifier) {
    const name = (callee as ts.Identifier).text;
    return TIMERS.has(name) ? `${name} callback` : undefined;
  }
  if (callee.kind !== K.PropertyAccessExpression) return undefined;
  const access = callee as ts.PropertyAccessExpression;
  const method = access.name.text;
  // Most calls are none of these: decide on the method name before building the receiver's name.
  if (!LABELLED_METHODS.has(method)) return undefined;
  const receiver = dottedName(access.expression);
  const first = call.arguments[0];
  if (ROUTE_METHODS.has(method)) {
    const path = stringValue(first);
    if (path !== undefined && (path.startsWith('/') || path === '*') && hasFunctionArgument(call, 1)) {
      return `${method.toUpperCase()} ${path}`;
    }
    // router.route('/x').get(handler)
    const routed = access.expression;
    if (routed.kind === K.CallExpression) {
      const route = routedPath(routed as ts.CallExpression);
      if (route !== undefined) return `${method.toUpperCase()} ${route}`;
    }
    if (method === 'use' && receiver !== undefined && APP_LIKE.test(receiver)) return 'middleware';
    return undefined;
  }
  if (TIMERS.has(method) && (receiver === 'timers' || receiver === 'global' || receiver === 'globalThis')) {
    return `${method} callback`;
  }
  if (method === 'schedule' && receiver !== undefined && /cron/i.test(receiver)) return 'cron.schedule callback';
  if (method === 'scheduleJob') return 'scheduleJob callback';
  if (LISTENER_METHODS.has(method)) {
    const event = stringValue(first);
    if (event !== undefined) return `'${event}' listener`;
  }
  if (method === 'process' && receiver !== undefined && hasFunctionArgument(call, 0)) {
    const queue = stringValue(first);
    return queue !== undefined ? `queue processor "${queue}"` : `${receiver}.process processor`;
  }
  return undefined;
}

/**
 * `new Worker('csv-import', async job => …)` (BullMQ) and `new CronJob('* * * * *', fn)`.
 * `constant` gives the value of a string constant the queue is named by, when the caller knows it.
 */
export function newHandlerLabel(expression: ts.NewExpression, constant: (node: ts.Expression) => string | undefined): string | undefined {
  const queue = workerQueue(expression);
  if (queue !== undefined) {
    const name = stringValue(queue) ?? constant(skipWrappers(queue));
    if (name !== undefined) return workerLabel(name);
    // `new Worker(IMPORT_QUEUE, process)` with the constant unknown: name the queue by the constant.
    const text = dottedName(queue);
    if (text !== undefined) return `BullMQ worker ${text}`;
  }
  const callee = dottedName(expression.expression);
  if (callee !== undefined && callee.slice(callee.lastIndexOf('.') + 1) === 'CronJob') return 'CronJob callback';
  return undefined;
}

export function workerLabel(queue: string): string {
  return `BullMQ worker "${queue}"`;
}

/** The queue argument of `new Worker(queue, processor)`. */
export function workerQueue(expression: ts.NewExpression): ts.Expression | undefined {
  const args = expression.arguments;
  if (args === undefined || args.length < 2) return undefined;
  const callee = expression.expression;
  const last = callee.kind === K.Identifier ? (callee as ts.Identifier).text : callee.kind === K.PropertyAccessExpression ? (callee as ts.PropertyAccessExpression).name.text : undefined;
  return last === 'Worker' ? args[0] : undefined;
}

const UPLOAD_MIDDLEWARE = new Set(['single', 'array', 'fields', 'any', 'none']);

/** `upload.single('file')` (multer's middleware factories): the identifier of the multer instance. */
export function uploadMiddlewareOwner(argument: ts.Expression): ts.Identifier | undefined {
  if (argument.kind !== K.CallExpression) return undefined;
  const callee = (argument as ts.CallExpression).expression;
  if (callee.kind !== K.PropertyAccessExpression || !UPLOAD_MIDDLEWARE.has((callee as ts.PropertyAccessExpression).name.text)) return undefined;
  const owner = skipWrappers((callee as ts.PropertyAccessExpression).expression);
  return owner.kind === K.Identifier ? (owner as ts.Identifier) : undefined;
}

export type CallbackRole = 'sync' | 'unknown';

/** Whether the function arguments of `call` run synchronously while the call runs. */
export function callbackRole(call: ts.CallExpression): CallbackRole {
  const callee = skipWrappers(call.expression);
  if (callee.kind === K.PropertyAccessExpression) {
    const method = (callee as ts.PropertyAccessExpression).name.text;
    if (SYNC_ITERATION.has(method) || CONTINUATIONS.has(method)) return 'sync';
  }
  return 'unknown';
}

/** `(() => { … })()`, `(async function () { … })()`. */
export function isImmediatelyInvoked(fn: ts.Node): boolean {
  let node: ts.Node = fn;
  while (node.parent !== undefined && node.parent.kind === K.ParenthesizedExpression) node = node.parent;
  return node.parent !== undefined && node.parent.kind === K.CallExpression && (node.parent as ts.CallExpression).expression === node;
}

function hasFunctionArgument(call: ts.CallExpression, from: number): boolean {
  for (let index = from; index < call.arguments.length; index++) {
    const argument = call.arguments[index]!;
    if (isFunctionLike(argument) || argument.kind === K.Identifier || argument.kind === K.CallExpression) return true;
    // Fastify's shorthand with the handler in the options: `fastify.get('/x', { schema, handler })`.
    if (argument.kind === K.ObjectLiteralExpression && (argument as ts.ObjectLiteralExpression).properties.some((property) => property.name?.kind === K.Identifier && property.name.text === 'handler')) return true;
  }
  return false;
}

/** A route object registered by `route()`: its label, and the routes it serves. */
export interface RouteObject {
  object: ts.ObjectLiteralExpression;
  label: string;
  routes: { method: string; path: string }[];
}

/**
 * Fastify `fastify.route({ method: 'GET', url: '/x', handler })`, hapi `server.route({ method,
 * path, handler })` and `server.route([{ … }, { … }])`. Express's `router.route('/x')` takes a
 * path, not an object, and is read by `routedPath`.
 */
export function routeObjects(call: ts.CallExpression): RouteObject[] | undefined {
  const callee = skipWrappers(call.expression);
  if (callee.kind !== K.PropertyAccessExpression || (callee as ts.PropertyAccessExpression).name.text !== 'route') return undefined;
  const argument = call.arguments[0] === undefined ? undefined : skipWrappers(call.arguments[0]);
  const candidates = argument?.kind === K.ObjectLiteralExpression ? [argument]
    : argument?.kind === K.ArrayLiteralExpression ? (argument as ts.ArrayLiteralExpression).elements.map(skipWrappers)
      : [];
  const found: RouteObject[] = [];
  for (const candidate of candidates) {
    if (candidate.kind !== K.ObjectLiteralExpression) continue;
    const object = candidate as ts.ObjectLiteralExpression;
    const methods = routeMethods(propertyNamed(object, 'method'));
    const path = stringValue(propertyNamed(object, 'url') ?? propertyNamed(object, 'path'));
    if (methods === undefined || path === undefined || !path.startsWith('/')) continue;
    const normalised = hapiPath(path);
    found.push({ object, label: `${methods.join('|')} ${normalised}`, routes: methods.map((method) => ({ method, path: normalised })) });
  }
  return found.length === 0 ? undefined : found;
}

/**
 * `fastify.register(routes, { prefix: '/api' })`, hapi `server.register(plugin, { routes: { prefix } })`:
 * the plugin's routes are relative to the prefix, so the prefix is a mount point (`USE /api`).
 */
export function pluginMount(call: ts.CallExpression): string | undefined {
  const callee = skipWrappers(call.expression);
  if (callee.kind !== K.PropertyAccessExpression || (callee as ts.PropertyAccessExpression).name.text !== 'register') return undefined;
  const options = call.arguments[1] === undefined ? undefined : skipWrappers(call.arguments[1]);
  if (options?.kind !== K.ObjectLiteralExpression) return undefined;
  const routes = propertyNamed(options as ts.ObjectLiteralExpression, 'routes');
  const holder = routes !== undefined && skipWrappers(routes).kind === K.ObjectLiteralExpression ? (skipWrappers(routes) as ts.ObjectLiteralExpression) : (options as ts.ObjectLiteralExpression);
  const prefix = stringValue(propertyNamed(holder, 'prefix'));
  return prefix !== undefined && prefix.startsWith('/') ? prefix : undefined;
}

/** `'GET'`, `['GET', 'HEAD']`, hapi's `'*'` (every method). */
function routeMethods(node: ts.Expression | undefined): string[] | undefined {
  if (node === undefined) return undefined;
  const bare = skipWrappers(node);
  const values = bare.kind === K.ArrayLiteralExpression ? (bare as ts.ArrayLiteralExpression).elements.map((element) => stringValue(element)) : [stringValue(bare)];
  if (values.length === 0 || values.some((value) => value === undefined)) return undefined;
  return values.map((value) => (value === '*' ? 'ALL' : value!.toUpperCase()));
}

/** hapi's `/users/{id}`, `/files/{path*}` as the `:id` / `*` patterns the route matcher reads. */
function hapiPath(path: string): string {
  return path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)(\*\d*)?(\?)?\}/g, (_match, name: string, star: string | undefined, optional: string | undefined) =>
    star !== undefined ? '*' : `:${name}${optional ?? ''}`);
}

function propertyNamed(object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const property of object.properties) {
    if (property.name === undefined || property.name.kind !== K.Identifier || property.name.text !== name) continue;
    if (property.kind === K.PropertyAssignment) return property.initializer;
    if (property.kind === K.ShorthandPropertyAssignment) return property.name;
  }
  return undefined;
}

function routedPath(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  if (callee.kind === K.PropertyAccessExpression) {
    const access = callee as ts.PropertyAccessExpression;
    if (access.name.text === 'route') return stringValue(call.arguments[0]);
    // router.route('/x').get(a).post(b): the receiver of `.post` is the `.get(...)` call.
    if (ROUTE_METHODS.has(access.name.text) && access.expression.kind === K.CallExpression) {
      return routedPath(access.expression as ts.CallExpression);
    }
  }
  return undefined;
}
