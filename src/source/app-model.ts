// The facts source rules query. One traversal over the raw compiler nodes fills this model
// (see build-app-model.ts); rules never walk a syntax tree themselves.
import type { Span } from '../findings.js';

/** A package boundary: a folder with a package.json. */
export interface PackageInfo {
  /** POSIX path relative to the working directory ('.' for the root). */
  dir: string;
  /** `name` from package.json, when it has one. */
  name?: string;
  /** `main` and `scripts` from package.json: what `npm start` or `npm run x` runs in a container. */
  main?: string;
  scripts?: Readonly<Record<string, string>>;
}

/**
 * When a site runs. `init`: at module load — top level, or inside a function whose only
 * call sites (in its file and in the scanned files importing it) are at top level, or a
 * synchronous callback (forEach, IIFE) run from top level. `runtime`: anything else — route
 * handlers, queue processors, timers, exported functions no scanned file calls.
 */
export type SiteTime = 'init' | 'runtime';

/**
 * One entry point a site runs in. `via` names the functions the handler reached it through in
 * other files, outermost first: a route in `routes/login.ts` calling `recordFailure()` exported by
 * `security/ip-ban.ts` gives `{ name: 'POST /login/verify', via: ['recordFailure'] }`.
 */
export interface HandlerRef {
  name: string;
  via?: readonly string[];
}

export interface Site extends Span {
  time: SiteTime;
  /**
   * The handlers the site runs in, when known, sorted by how they read (`handlerText` renders
   * them: `POST /login/code`, `BullMQ worker "csv-import"`, `POST /login/verify → recordFailure()`).
   */
  handlers?: readonly HandlerRef[];
}

export type InitializerKind =
  | 'object-literal'
  | 'array-literal'
  | 'map'
  | 'set'
  | 'weak-collection'
  | 'new-instance'
  | 'call'
  | 'literal'
  | 'function'
  | 'class'
  | 'other'
  | 'none';

export type MutationKind =
  | 'reassign'
  | 'update'
  | 'property-write'
  | 'delete'
  | 'mutator-call'
  | 'object-assign';

export interface MutationSite extends Site {
  kind: MutationKind;
  /** The mutator method (`set`, `push`…) for `mutator-call`. */
  method?: string;
  /** For `reassign`: what the assigned value is (`true` is `literal`, `new Redis()` is `new-instance`). */
  value?: InitializerKind;
  /**
   * For `reassign`: the assignment only runs while the target is empty — `x ??= v`, `x ||= v`,
   * `x = x ?? v`, or inside `if (!x)` / `if (x == null)`: a value created once, on first use.
   */
  lazy?: boolean;
  /** For `reassign`: arithmetic on the old value (`x += 1`), a counter's step like `update`. */
  compound?: boolean;
}

/** A module-level `const`/`let`/`var` binding or a class static field. */
export interface ModuleBinding {
  name: string;
  declarationKind: 'const' | 'let' | 'var' | 'static-field';
  /** For static fields: the class that owns the field. */
  className?: string;
  /** Names this binding is exported under (empty when not exported). */
  exportedAs: string[];
  /** The declared name (the identifier), where a finding about the binding points. */
  location: Span;
  initializer: InitializerKind;
  /** The declared type when it is a named one: `cache` for `const CodeFixes: cache = {}`. */
  typeName?: string;
  /** `Object.freeze(...)`, `as const`, or a `Readonly*`/`readonly` type annotation. */
  readonly: boolean;
  /** Mutation sites, in this file and in files that import the binding. */
  mutations: MutationSite[];
  /** Reads of the binding outside its declaration, in this file and in importers. */
  reads: ReadSite[];
}

/** A read of a module binding, with what the code does with it when a rule asks (binding-uses.ts). */
export interface ReadSite extends Site {
  /** The method called on the binding: `cache.del(key)` → `del`, `mutex.runExclusive(…)` → `runExclusive`. */
  method?: string;
  /** `if (isExporting) return …`: the binding is the whole test of an `if` that leaves (return or throw). */
  exitGuard?: true;
  /** `mutex.runExclusive(() => client ??= connect())`: the callback only fills a variable that is unset. */
  lazyInit?: true;
}

/** Where a filesystem path points, folded from template strings, `path.join`/`resolve` and concatenation. */
export type PathRoot = 'tmp' | 'env' | 'repo' | 'absolute' | 'dynamic';

export interface PathInfo {
  root: PathRoot;
  /** For `env` roots: the variable the path starts from. */
  envVar?: string;
  /** For `absolute` roots: the leading literal directory, e.g. `/data/results`. */
  prefix?: string;
  /** The path expression as written. */
  text: string;
  /** The file name when the path ends in a literal one (`path.join(DATA_DIR, 'products.json')`); undefined for a folder or a computed name. */
  file?: string;
}

export type FsAccess = 'write' | 'read' | 'delete';

export interface FsCall extends Site {
  /** The API as called, normalised: `fs.writeFile`, `fs.createWriteStream`, `fs.promises.mkdir`. */
  api: string;
  access: FsAccess;
  /** Undefined when the call has no path argument. */
  path?: PathInfo;
}

export type EnvCoercion = 'number' | 'boolean' | 'json' | 'url' | 'split';

export interface EnvRead extends Site {
  name: string;
  hasDefault: boolean;
  /** The default as written (`'6379'`, `3000`), when there is one. */
  defaultText?: string;
  coercion?: EnvCoercion;
  /** The option the value is passed as, when it is a property of an object given to a call: `concurrency` of `new Worker()`. */
  option?: { name: string; callee: string };
  /** Tested by an `if` that throws or exits when the variable is missing: `if (!process.env.X) throw …`. */
  guardedByThrow?: boolean;
  /** `Number(process.env.X) || 3000`: the fallback also applies when the value is not a number. */
  fallbackCatchesNaN?: boolean;
}

/**
 * A network peer the code connects to, named where it is written: a URL literal
 * (`'redis://redis:6379'`) or a `host` option (`{ host: process.env.REDIS_HOST ?? 'redis', port: 6379 }`).
 */
export interface Connection extends Site {
  /** The literal host, or the fallback used when `hostEnv` is unset. */
  host?: string;
  /** The variable the host is read from, when it is. */
  hostEnv?: string;
  /** The literal port, or the port's numeric fallback. */
  port?: number;
  /** The variable the port is read from, when it is. */
  portEnv?: string;
  /** The expression as written, for messages. */
  text: string;
}

/**
 * The interface a `listen` call binds, as written: `absent` (no host given), a literal
 * (`'127.0.0.1'`), a variable with its literal fallback (`process.env.HOST ?? '0.0.0.0'`), or an
 * expression this reader does not follow (a parameter, a conditional, a unix socket path).
 */
export type ListenHost =
  | { kind: 'absent' }
  | { kind: 'literal'; value: string }
  | { kind: 'env'; name: string; fallback?: string }
  | { kind: 'other' };

/** `app.listen(port)`, `server.listen({ port })`: where the process accepts connections. */
export interface Listen extends Site {
  /** The literal port, or the fallback used when `portEnv` is unset. */
  port?: number;
  portEnv?: string;
  /** The host argument or `host` option. */
  host: ListenHost;
  /** Where the host is written, when it is. */
  hostLocation?: Span;
  /**
   * The receiver is a Fastify instance: `fastify()`/`Fastify()` from the `fastify` module (resolved
   * by import, never by local name), or a Nest app created over `new FastifyAdapter()`. Fastify
   * binds loopback when no host is given.
   */
  fastify?: boolean;
}

/** A route the code registers (`GET /healthz`), or a mount point (`USE /api`) that serves everything under it. */
export interface Route extends Span {
  method: string;
  path: string;
}

/** The conditional a site sits in a branch of: `LOG_TO_CONSOLE ? new Console() : new File()` puts File under `false`. */
export interface Branch {
  /** The condition as written (cut at 80 characters). */
  condition: string;
  line: number;
  /** Which outcome of the condition runs the site. */
  taken: 'true' | 'false';
  /** The variables the condition reads, directly or through a const it names. */
  env: string[];
}

/**
 * A call or `new` of something imported from a package (`session({ … })` with `session` from
 * `express-session`, `new RateLimiterMemory()`), keyed by module and export, never by local name.
 * Only the packages in `library-modules.ts` are recorded.
 */
export interface LibraryCall extends Site {
  module: string;
  /** The export called: `default`, a named export, or `*` for a namespace or `require()` value. */
  imported: string;
  /** `session.MemoryStore` → `MemoryStore`, `winston.transports.File` → `transports.File`: the member of the import that is called. */
  member?: string;
  /** The first argument when it is a string literal: `pino.destination('./app.log')`. */
  firstArgument?: string;
  isNew: boolean;
  /** The keys of the first object-literal argument, with each value's source text (cut at 200 characters); a spread is kept under the key `...`. */
  options?: Readonly<Record<string, string>>;
  /** Arguments were given, but none is an object literal this file spells out: the options cannot be read. */
  optionsUnknown?: boolean;
  /** The binding the result is assigned to: `const loginLimiter = rateLimit(…)`. */
  assignedTo?: string;
  /** The option the result is passed as: `insuranceLimiter: new RateLimiterMemory()`. */
  passedAs?: string;
  /** The conditional the call sits in a branch of, when it does. */
  branch?: Branch;
  /** How many arguments are written: `new Queue('emails')` passes no options at all. */
  argumentCount: number;
  /** BullMQ `new Worker(q, processor)`: the long-running work the processor does in this file (`spawn` of child_process, a `for await` loop). */
  longWork?: string;
  /** The module binding the result is stored in: `running.set(id, child)` with `const child = spawn(…)`. */
  storedIn?: string;
  /** `assignedTo` is a module-level binding (`const cache = new NodeCache()` at the top of a file), shared by every request. */
  moduleLevel?: true;
  /** The method called on the result right away: `multer().none()` → `none`. */
  calledMember?: string;
}

/**
 * `setTimeout(fn, ms)` (global, `timers`, or `timers/promises`' `setTimeout(ms)`) and
 * `setInterval`, with the delay folded where the code spells it out (timers.ts).
 */
export interface TimerCall extends Site {
  api: 'setTimeout' | 'setInterval';
  /** The delay in milliseconds, folded from literals, products and constants: `15 * 60 * 1000` → 900000. */
  delayMs?: number;
  /** The delay is computed from a date: `expiresAt.getTime() - Date.now()`. */
  delayFromDate?: true;
  /** The delay as written, for messages. */
  delayText?: string;
  /** What the timer runs, when it is a named call: `expireReservation()`. */
  callback?: string;
  /** The collection the timer handle is kept in: `timers.set(id, setTimeout(…))`, `timers[id] = setTimeout(…)`. */
  storedIn?: string;
  /**
   * `.unref()`ed, a callback that only rejects, resolves or aborts, or a `timers/promises` sleep:
   * a timeout bounding the work in flight, not work of its own.
   */
  bounded?: true;
}

/** A key of an env schema (`DATABASE_URL: z.string()`); required unless `.optional()`, `.default()`… */
export interface EnvSchemaKey extends Span {
  name: string;
  required: boolean;
}

/** A module-level zod object schema of environment variables, by the name it is bound to, or envalid's `cleanEnv(process.env, {…})`. */
export interface EnvSchema {
  name: string;
  /** What a missing required key does: zod's `parse` throws, envalid's default reporter exits with status 1. */
  library: 'zod' | 'envalid';
  keys: EnvSchemaKey[];
}

/** `schema.parse(process.env)`: throws on the first required key that is missing. */
export interface EnvSchemaParse extends Site {
  /** The identifier parsed: a schema of this file, or one imported under that name. */
  schema: string;
}

/**
 * `process.on('SIGTERM', handler)`, with what the handler does when its function can be read
 * (inline, or a module-level function of the file, following one call into the file's own functions).
 */
export interface SignalHandler extends Site {
  signal: string;
  /** The handler was read; the fields below are undefined otherwise. */
  read?: boolean;
  /** Calls `process.exit()`. */
  exits?: boolean;
  /** Calls something that may close or drain (anything but logging, timers and `process.exit`). */
  closes?: boolean;
  /** Calls `.close()` before any delay: the server stops accepting as soon as SIGTERM arrives. */
  closesAtOnce?: boolean;
  /** `setTimeout(() => process.exit(1), 30000)`: the forced exit's delay in milliseconds, and where. */
  forceExitMs?: number;
  forceExitLocation?: Span;
}

/**
 * An instance field of a class that has one instance per process (see `SingletonClass`), with the
 * uses of `this.<name>` inside the class. Sites in the constructor and in field initialisers are
 * `init`: the one instance is built at start-up.
 */
export interface InstanceField {
  name: string;
  location: Span;
  /** The field initialiser, or the value the constructor assigns when the declaration has none. */
  initializer: InitializerKind;
  readonly: boolean;
  mutations: MutationSite[];
  reads: Site[];
}

/**
 * A class with one instance per process: a NestJS provider, controller or gateway in the default
 * (singleton) scope, or a class of this file instantiated at module level (`export default new JobRegistry()`).
 */
export interface SingletonClass {
  name: string;
  /** The class name. */
  location: Span;
  /** How it gets one instance, as written: `@Injectable()`, `export default new JobRegistry()`. */
  instantiation: string;
  fields: InstanceField[];
  /** Each method's name and extent, so a site the call graph leaves unnamed can be named by its method. */
  methods: (Span & { name: string })[];
}

/**
 * `global.x`, `globalThis.x` or `app.locals.x` (`app`, `req.app`…): one slot of process-wide
 * state, with every write and read of it in the file.
 */
export interface GlobalSlot {
  /** `global.onlineUsers`, `app.locals.onlineUsers` — the root as written (`req.app.locals` is `app.locals`). */
  text: string;
  /** The property name: `onlineUsers`. */
  name: string;
  mutations: MutationSite[];
  reads: Site[];
}

/** A database the code keeps in a local file: SQLite, lowdb, NeDB, LevelDB, node-json-db (in-memory ones are not recorded). */
export interface EmbeddedDatabase extends Site {
  /** The package that keeps the file: `better-sqlite3`, `lowdb`, `typeorm`. */
  library: string;
  /** How the code opens it, as messages name it: `new Database()`, `JSONFilePreset()`. */
  api: string;
  /** The file or folder, when the code names one. */
  path?: PathInfo;
}

export interface SourceFileFacts {
  /** POSIX path relative to the working directory. */
  path: string;
  /** The folder of the package the file belongs to. */
  packageDir?: string;
  bindings: ModuleBinding[];
  fsCalls: FsCall[];
  envReads: EnvRead[];
  connections: Connection[];
  envSchemas: EnvSchema[];
  envSchemaParses: EnvSchemaParse[];
  listens: Listen[];
  routes: Route[];
  libraryCalls: LibraryCall[];
  /** `process.on('SIGTERM', …)` and the like: the signals the file handles. */
  signalHandlers: SignalHandler[];
  /** Every module specifier the file imports, requires or re-exports, as written. */
  moduleSpecifiers: string[];
  /** The scanned files those specifiers resolve to (relative ones only), filled by the join. */
  localImports: string[];
  /** Receivers of `.on('error' | 'close' | 'end', …)` as written (`db`, `this.connection`): connections whose failure the code handles. */
  failureListeners: string[];
  /** Module-level values made of random bytes at load: `const JWT_SECRET = randomBytes(32).toString('hex')`. */
  generatedKeys: GeneratedKey[];
  /** Arguments passed where a stable key, secret or IV belongs: `jwt.sign(payload, KEY)`, `session({ secret })`. */
  keySinks: KeySink[];
  /** `setTimeout`/`setInterval` calls. */
  timers: TimerCall[];
  /** socket.io broadcasts, connection registries and in-process event buses (see realtime.ts). */
  realtime: RealtimeFacts;
  /** Where the client's address is read, and whether Express is told to trust the proxy (see client-address.ts). */
  clientAddress: ClientAddressFacts;
  singletons: SingletonClass[];
  globalSlots: GlobalSlot[];
  embeddedDatabases: EmbeddedDatabase[];
}

/** `io.to(room).emit(…)`, `socket.broadcast.emit(…)`, `io.emit(…)`: a send meant for clients other than the caller. */
export interface Broadcast extends Site {
  /** The receiver the chain starts from: `io`, `socket`, `this.server`. */
  root: string;
  /** `broadcast`: through `.broadcast`; `room`: through `.to()`/`.in()`/`.except()`; `direct`: on the receiver itself (`io.emit`, `io.sockets.emit`). */
  shape: 'broadcast' | 'room' | 'direct';
  text: string;
}

/** `clients.add(ws)` in a `'connection'` listener, `streams.push(res)` in an SSE route: a module collection holding live connections. */
export interface ConnectionAdd extends Site {
  binding: string;
  /** `socket`: a WebSocket or socket.io connection; `sse`: a response kept open as an event stream. */
  holds: 'socket' | 'sse';
  /** The name the connection has where it is added: `ws`, `res`. */
  connection: string;
}

/** `bus.emit(…)` / `bus.on(…)` on a module binding of this file or one imported from a relative module. */
export interface EmitterCall extends Site {
  method: string;
  /** A module binding of this file. */
  binding?: string;
  /** An import of a relative module. */
  imported?: { specifier: string; name: string };
}

export interface RealtimeFacts {
  broadcasts: Broadcast[];
  /** `io.adapter(createAdapter(…))`: an adapter set on a server after it is made. */
  adapterCalls: Site[];
  connectionAdds: ConnectionAdd[];
  /** `wss.clients.forEach(…)`, `for (const c of wss.clients)`: a ws server's own client set iterated. */
  clientSetLoops: (Site & { server: string })[];
  /** Module bindings of this file made by `new EventEmitter()` (node:events). */
  emitters: string[];
  emitterCalls: EmitterCall[];
}

/** `req.ip`, `req.socket.remoteAddress`, used as a key (ban list, limiter, attempts map) or stored (audit record). */
export interface ClientAddressRead extends Site {
  text: string;
  use: 'key' | 'stored';
  /** What it keys or is stored by, for the message: `banned.has()`, `keyGenerator`, `auditLog.create()`. */
  by: string;
}

export interface ClientAddressFacts {
  reads: ClientAddressRead[];
  /** `app.set('trust proxy', …)` (not false) or `app.enable('trust proxy')`, with the value as written (`1`, `'loopback'`, `true`). */
  trustProxy: (Site & { value: string })[];
  /** NestJS methods decorated with `@Throttle(…)`: the method name and the route its `@Post('…')`/`@Get('…')` gives. */
  throttled: (Span & { method: string; route?: string })[];
}

/** A random value written where a module binding (or a property of one) is declared. */
export interface GeneratedKey extends Span {
  /** The module binding it initialises. */
  binding: string;
  /** `jwt.secret` for `const config = { jwt: { secret: randomBytes(32) } }`. */
  path?: string;
  /** The generating call as written: `crypto.randomBytes(32)`. */
  source: string;
  /** `process.env.JWT_SECRET || randomBytes(32)…`: the variable whose absence lets the random value in. */
  envFallback?: string;
}

/** What a key passed to a sink protects: signed tokens, signed cookies, encrypted data, MACs. */
export type KeyPurpose = 'token' | 'cookie' | 'cipher' | 'hmac';

/** An argument passed as a key, secret or IV. */
export interface KeySink extends Site {
  /** The API as called: `jwt.sign`, `createCipheriv`, `express-session \`secret\``. */
  api: string;
  purpose: KeyPurpose;
  role: 'key' | 'iv';
  /** The argument as written (cut at 200 characters). */
  text: string;
  /** The argument is itself random (inline, or a local const): `session({ secret: randomBytes(32).toString('hex') })`. */
  generated?: { source: string; envFallback?: string };
}

/** A Prisma schema whose datasource is SQLite, at its `provider` line. */
export interface PrismaSqlite extends Span {
  /** A literal `url = "file:./dev.db"`. */
  url?: string;
  /** `url = env("DATABASE_URL")`. */
  urlEnv?: string;
  packageDir?: string;
}

export interface AppModel {
  packages: PackageInfo[];
  files: SourceFileFacts[];
  /** SQLite datasources of the Prisma schemas found (absent when none was read). */
  prismaSqlite?: PrismaSqlite[];
}
