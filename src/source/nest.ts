// NestJS declares its entry points with decorators: `@Controller('otp')` + `@Post('send')` is the
// route `POST /otp/send`, `@SubscribeMessage('join')` a WebSocket message, `@Cron(…)` a job. It
// also decides how many instances a class has: providers, controllers and gateways are
// singletons unless they ask for `scope: Scope.REQUEST`/`TRANSIENT` or inject the request.
// Decorators are matched by what they were imported as from `@nestjs/*`, never by local name alone.
import { ts } from 'ts-morph';
import { nodeText, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

/** Class decorators that make a class a Nest-managed instance. */
const CLASS_DECORATORS = new Set(['Injectable', 'Controller', 'WebSocketGateway', 'Resolver', 'Processor']);
const ROUTE_DECORATORS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'All', 'Head', 'Options']);
/** Method decorators naming a message or event handler, with how the label reads. */
const MESSAGE_DECORATORS: Readonly<Record<string, string>> = {
  MessagePattern: 'message pattern',
  EventPattern: 'event pattern',
  SubscribeMessage: 'WebSocket message',
  OnEvent: 'event listener',
  Process: 'queue processor',
  Query: 'GraphQL query',
  Mutation: 'GraphQL mutation',
  Subscription: 'GraphQL subscription',
};
const SCHEDULE_DECORATORS = new Set(['Cron', 'Interval', 'Timeout']);
/** Hooks Nest calls once, at start-up or shutdown, never per request. */
const LIFECYCLE_HOOKS = new Set(['onModuleInit', 'onApplicationBootstrap', 'afterInit', 'onModuleDestroy', 'beforeApplicationShutdown', 'onApplicationShutdown']);
/** Gateway hooks that run per client. */
const GATEWAY_HOOKS: Readonly<Record<string, string>> = { handleConnection: 'WebSocket connection', handleDisconnect: 'WebSocket disconnect' };
/** Injection tokens that make a provider request-scoped (the scope bubbles up to whatever injects it). */
const REQUEST_TOKENS = new Set(['REQUEST', 'CONTEXT', 'INQUIRER']);

/** The module an identifier was imported from, if it was. */
export type ImportOf = (name: string) => string | undefined;

export interface NestClass {
  /** `@Controller('otp')` as written, cut to one line. */
  decorator: string;
  /** The controller's path prefix (`otp`), empty for none, undefined when it is not a literal. */
  prefix: string | undefined;
  /** Default scope: one instance per process. */
  singleton: boolean;
}

export interface NestHandler {
  /** `POST /otp/send`, `WebSocket message "join"`, `@Cron ReportService.cleanup()`. */
  label?: string;
  /** For routes: what `facts.routes` records. */
  route?: { method: string; path: string; node: ts.Node };
  /** Called by Nest once at start-up or shutdown. */
  lifecycle?: boolean;
}

export function decoratorsOf(node: ts.Node): readonly ts.Decorator[] {
  const modifiers = (node as { modifiers?: ts.NodeArray<ts.ModifierLike> }).modifiers;
  if (modifiers === undefined) return [];
  const decorators: ts.Decorator[] = [];
  for (const modifier of modifiers) if (modifier.kind === K.Decorator) decorators.push(modifier);
  return decorators;
}

/** The Nest role of a class, when one of its decorators is a Nest class decorator. */
export function nestClass(node: ts.ClassLikeDeclaration, importOf: ImportOf, sourceFile: ts.SourceFile): NestClass | undefined {
  for (const decorator of decoratorsOf(node)) {
    const called = nestDecorator(decorator, importOf);
    if (called === undefined || !CLASS_DECORATORS.has(called.name)) continue;
    const options = called.args.find((argument) => argument.kind === K.ObjectLiteralExpression) as ts.ObjectLiteralExpression | undefined;
    const scope = options === undefined ? undefined : property(options, 'scope');
    const scoped = scope !== undefined && /\b(REQUEST|TRANSIENT)\b/.test(nodeText(scope, sourceFile));
    let prefix: string | undefined = '';
    if (called.name === 'Controller') {
      const first = called.args[0];
      const path = first === undefined ? undefined : first.kind === K.ObjectLiteralExpression ? property(first as ts.ObjectLiteralExpression, 'path') : first;
      prefix = path === undefined ? '' : pathText(path);
    }
    return {
      decorator: nodeText(decorator, sourceFile).split('\n')[0]!,
      prefix,
      singleton: !scoped && !injectsRequest(node, importOf),
    };
  }
  return undefined;
}

/** What a method of a Nest class is to Nest: a route, a message handler, a scheduled job, a lifecycle hook. */
export function nestHandler(method: ts.ClassElement, className: string, owner: NestClass, importOf: ImportOf, sourceFile: ts.SourceFile): NestHandler | undefined {
  const name = method.name !== undefined && method.name.kind === K.Identifier ? method.name.text : undefined;
  for (const decorator of decoratorsOf(method)) {
    const called = nestDecorator(decorator, importOf);
    if (called === undefined) continue;
    if (ROUTE_DECORATORS.has(called.name)) {
      const verb = called.name.toUpperCase();
      const own = called.args[0] === undefined ? '' : pathText(called.args[0]);
      const path = joinPath(owner.prefix ?? '…', own ?? '…');
      // A path held in a constant is not read: the route is recorded as serving anything (`USE *`), so no probe is judged against a guess.
      const known = owner.prefix !== undefined && own !== undefined;
      return { label: `${verb} ${path}`, route: known ? { method: verb, path, node: decorator } : { method: 'USE', path: '*', node: decorator } };
    }
    const kind = MESSAGE_DECORATORS[called.name];
    if (kind !== undefined) {
      const first = called.args[0];
      const subject = first === undefined ? `${className}.${name ?? 'handler'}()` : stringValue(first) !== undefined ? `"${stringValue(first)}"` : nodeText(first, sourceFile);
      return { label: `${kind} ${subject}` };
    }
    if (SCHEDULE_DECORATORS.has(called.name)) return { label: `@${called.name} ${className}.${name ?? 'job'}()` };
  }
  if (name === undefined) return undefined;
  if (LIFECYCLE_HOOKS.has(name)) return { lifecycle: true };
  const hook = GATEWAY_HOOKS[name];
  return hook === undefined ? undefined : { label: hook };
}

/** `@Post('send')` → `{ name: 'Post', args }` when `Post` comes from a `@nestjs/*` package. */
function nestDecorator(decorator: ts.Decorator, importOf: ImportOf): { name: string; args: readonly ts.Expression[] } | undefined {
  const expression = decorator.expression;
  const callee = expression.kind === K.CallExpression ? (expression as ts.CallExpression).expression : expression;
  if (callee.kind !== K.Identifier) return undefined;
  const name = (callee as ts.Identifier).text;
  if (importOf(name)?.startsWith('@nestjs/') !== true) return undefined;
  return { name, args: expression.kind === K.CallExpression ? (expression as ts.CallExpression).arguments : [] };
}

/** `constructor(@Inject(REQUEST) private req: Request)`: the provider is rebuilt per request. */
function injectsRequest(node: ts.ClassLikeDeclaration, importOf: ImportOf): boolean {
  for (const member of node.members) {
    if (member.kind !== K.Constructor) continue;
    for (const parameter of (member as ts.ConstructorDeclaration).parameters) {
      for (const decorator of decoratorsOf(parameter)) {
        const called = nestDecorator(decorator, importOf);
        const token = called?.name === 'Inject' ? called.args[0] : undefined;
        if (token !== undefined && token.kind === K.Identifier && REQUEST_TOKENS.has((token as ts.Identifier).text)) return true;
      }
    }
  }
  return false;
}

function property(object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const element of object.properties) {
    if (element.kind === K.PropertyAssignment && element.name.kind === K.Identifier && element.name.text === name) return element.initializer;
  }
  return undefined;
}

/** A path argument: a string, or the first string of an array of them. */
function pathText(node: ts.Expression | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (node.kind === K.ArrayLiteralExpression) return pathText((node as ts.ArrayLiteralExpression).elements[0]);
  return stringValue(node);
}

/** `otp` + `send` → `/otp/send`; `` + `` → `/`. */
function joinPath(prefix: string, path: string): string {
  const parts = [prefix, path].flatMap((part) => part.split('/')).filter((part) => part !== '');
  return `/${parts.join('/')}`;
}

/**
 * `app.setGlobalPrefix('api')` mounts every controller under `/api` (`USE /api`); with `exclude`
 * options, or `app.enableVersioning()` (`/v1/…`), where a route is served is not read (`USE *`).
 */
export function nestAppRoute(call: ts.CallExpression): { method: string; path: string } | undefined {
  const callee = call.expression;
  if (callee.kind !== K.PropertyAccessExpression) return undefined;
  const method = (callee as ts.PropertyAccessExpression).name.text;
  if (method === 'enableVersioning') return { method: 'USE', path: '*' };
  if (method !== 'setGlobalPrefix') return undefined;
  const prefix = stringValue(call.arguments[0]);
  return prefix === undefined || call.arguments.length > 1 ? { method: 'USE', path: '*' } : { method: 'USE', path: joinPath(prefix, '') };
}
