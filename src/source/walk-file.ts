// The single traversal of one file over raw compiler nodes. It resolves names through a scope
// stack, tracks when each site runs (module load or runtime, and in which handler), and records
// module bindings with their mutations and reads, filesystem calls and env reads in one pass.
// Sites inside module-level functions wait for the join (call-graph.ts): their callers may be
// routes in other files.
import { ts } from 'ts-morph';
import type {
  Connection,
  EmbeddedDatabase,
  EnvRead,
  EnvSchemaParse,
  GeneratedKey,
  KeySink,
  LibraryCall,
  Listen,
  FsCall,
  GlobalSlot,
  HandlerRef,
  InstanceField,
  ModuleBinding,
  MutationSite,
  SignalHandler,
  Site,
  SiteTime,
  SourceFileFacts,
  TimerCall,
} from './app-model.js';
import type { Span } from '../findings.js';
import { assignmentShape } from './assignments.js';
import { hostOption, parseClientUrl, valueSource } from './connections.js';
import { declaredKeys, generatedArgument, isStableArgument, mayBeSink, sinkArguments, type Lookup } from './crypto-keys.js';
import { describeRead } from './binding-uses.js';
import { recogniseEmbeddedDatabase } from './embedded-databases.js';
import { envContext } from './env-reads.js';
import { enclosingBranch } from './branches.js';
import { envalidKeys, parsedSchemaName, schemaKeys, type SchemaKey } from './env-schemas.js';
import { globalSlotAccess } from './global-slots.js';
import { multerStorage, patternFolder, recogniseFsCall, recogniseUploadDestination, type FsImport } from './fs-calls.js';
import { callbackRole, callHandlerLabel, isImmediatelyInvoked, newHandlerLabel, pluginMount, routeObjects, routeRegistration, uploadMiddlewareOwner, workerQueue, type RouteObject } from './handlers.js';
import { initializerKind, isReadonlyDeclaration } from './initializers.js';
import { isRecordedLibrary } from './library-modules.js';
import { moduleImportCalls } from './nest-modules.js';
import { isFastifyReceiver, listenArguments } from './listen-host.js';
import { describeHandler, handlerFunction } from './signal-handlers.js';
import { classifyUse, confirmMutation, type Use } from './mutations.js';
import { decoratorsOf, nestAppRoute, nestClass, nestHandler, type NestClass } from './nest.js';
import { foldPath, type PathScope } from './path-roots.js';
import { processorLongWork, promisifiedImport, storedValues } from './queue-workers.js';
import { broadcastOf, clientSetLoop, connectionAdd, emitterCall, isAdapterCall, isEventEmitterNew, type RealtimeNames } from './realtime.js';
import { clientAddressRead, throttledMethod, trustProxyValue } from './client-address.js';
import { ScopeStack, type CallContext, type ClassEntry, type FunctionInfo } from './scopes.js';
import { injectedParameters, instanceFields, moduleInstance } from './singletons.js';
import { callbackName, delayText, exportedNumbers, foldDelay, isBoundingTimer, isDateDelay, recogniseTimer, storedIdentifier, timerStore, type DelayLinks } from './timers.js';
import {
  climbWrappers,
  dottedName,
  hasModifier,
  isFunctionLike,
  isProcessEnv,
  nodeText,
  requireSpecifier,
  skipWrappers,
  stringValue,
} from './syntax.js';

const K = ts.SyntaxKind;

/** What an export name of a file stands for (functions are in `FileWalk.functionExports`). */
export type ExportTarget =
  | { binding: ModuleBinding; methods?: Map<string, FunctionInfo> }
  | { staticFields: Map<string, ModuleBinding>; staticMethods: Map<string, FunctionInfo>; instanceMethods?: Map<string, FunctionInfo> };

/** `export { a as b } from './x'` (`name` `*` for `export * from`). */
export interface ReExport {
  specifier: string;
  name: string;
  as: string;
}

export interface SiteUse {
  site: Site;
  mutation?: Use['mutation'];
}

/**
 * A use of something imported from a relative module, attached to the exporting file's binding
 * once every file is walked. `member` is the use of `imported.member` — a namespace member
 * (`s.jobs`) or a static field of an imported class (`Store.sessions`).
 */
export interface CrossFileUse {
  specifier: string;
  /** The export name, `default`, or `*` for a namespace / whole `require()`. */
  name: string;
  use: SiteUse;
  member?: { name: string; use: SiteUse };
  /** A namespace or whole `require()` passed or stored as a value: any of its functions may run any time. */
  whole?: boolean;
}

/**
 * A call of something imported from a relative module (`recordFailure(ip)`, `ns.f()`,
 * `Store.create()`), or its registration as a handler (`router.post('/x', rejectBanned)`):
 * joined to the exported function once every file is walked.
 */
export interface CrossFileCall {
  specifier: string;
  /** The export name, `default`, or `*` for a namespace / whole `require()`. */
  name: string;
  /** `ns.member()` or `Class.member()`. */
  member?: string;
  /** `this.otp.issue()` with `otp` an injected `OtpService`: `member` is an instance method of the class. */
  instance?: boolean;
  call: CallContext;
}

/** `router.post('/x', upload.single('file'), …)` with `upload` imported: the route stores uploads there. */
export interface CrossFileUploadRoute {
  specifier: string;
  name: string;
  route: string;
}

/** `multer({ dest })` assigned to a module binding, and the routes using it as middleware. */
export interface UploadSite {
  site: FsCall;
  routes: Set<string>;
}

/** `new Worker(IMPORT_QUEUE, …)` with the queue name imported: its label waits for the constant. */
export interface PendingQueueLabel {
  specifier: string;
  name: string;
  /** The stand-in function the worker's processor runs as; its label is rewritten in the join. */
  fn: FunctionInfo;
}

export interface FileWalk {
  facts: SourceFileFacts;
  exports: Map<string, ExportTarget>;
  /** Exported module-level functions by export name. */
  functionExports: Map<string, FunctionInfo>;
  /** Exported `const X = 'literal'` by export name: queue names and the like. */
  stringExports: Map<string, string>;
  reexports: ReExport[];
  crossFileUses: CrossFileUse[];
  crossFileCalls: CrossFileCall[];
  /** Every module-level function, resolved in the join (call-graph.ts). */
  functions: FunctionInfo[];
  uploads: Map<ModuleBinding, UploadSite>;
  crossFileUploadRoutes: CrossFileUploadRoute[];
  pendingQueueLabels: PendingQueueLabel[];
  /** Exported numeric constants and timers whose delay is one imported from a relative module (timers.ts). */
  delays: DelayLinks;
}

interface Context {
  time: SiteTime;
  /** Inside a module-level function whose time is decided by its call sites after the walk. */
  deferred?: FunctionInfo;
  /** The handler the context runs in directly, shared by every site in it. */
  label?: { handlers: readonly HandlerRef[] };
}

function handlerContext(label: string): Context {
  return { time: 'runtime', label: { handlers: [{ name: label }] } };
}

/** Receivers whose `listen(port)` starts an HTTP server: `app`, `server`, `httpServer`, `this.app`. */
const LISTENING_RECEIVER = /(?:^|\.)(?:app|server|httpServer|httpsServer|api|application)$/i;

/** Events a connection emits when its peer fails or goes away. */
const FAILURE_EVENTS = new Set(['error', 'close', 'end']);

const INIT: Context = { time: 'init' };
const RUNTIME: Context = { time: 'runtime' };

/** The one instance `this` refers to inside a singleton class's methods: its fields and methods. */
interface InstanceOwner {
  fields: Map<string, InstanceField>;
  methods: Map<string, FunctionInfo>;
  /** Constructor parameter properties by name, with their type name: `private readonly otp: OtpService`. */
  injected: Map<string, string>;
}

/** What a reference's uses are recorded on: a module binding, an instance field or a global slot. */
type Tracked = Pick<ModuleBinding, 'initializer' | 'mutations' | 'reads'>;

export function walkFile(sourceFile: ts.SourceFile, file: string): FileWalk {
  return new FileWalker(sourceFile, file).run();
}

class FileWalker {
  private readonly scopes = new ScopeStack();
  /** Names worth resolving when referenced: module-level names and aliases. Everything else is skipped cheaply. */
  private readonly interesting = new Set<string>();
  private readonly facts: SourceFileFacts;
  private readonly exports = new Map<string, ExportTarget>();
  private readonly reexports: ReExport[] = [];
  private readonly crossFileUses: CrossFileUse[] = [];
  private readonly crossFileCalls: CrossFileCall[] = [];
  private readonly functions: FunctionInfo[] = [];
  private readonly functionExports = new Map<string, FunctionInfo>();
  /** Anonymous functions exported as the module's value (`export default () => …`), by node. */
  private readonly exportedFunctionNodes = new Map<ts.Node, FunctionInfo>();
  private readonly stringExports = new Map<string, string>();
  private readonly uploads = new Map<ModuleBinding, UploadSite>();
  private readonly crossFileUploadRoutes: CrossFileUploadRoute[] = [];
  private readonly pendingQueueLabels: PendingQueueLabel[] = [];
  /** Timers assigned to a variable, so a later `timers.set(id, handle)` marks where they are kept. */
  private readonly timerHandles = new Map<ts.Node, TimerCall>();
  private readonly importedDelays: DelayLinks['imported'] = [];
  /** Env schemas of this file by binding name, so `schema.superRefine(…)` keeps their keys. */
  private readonly schemaKeys = new Map<string, readonly SchemaKey[]>();
  private readonly classes = new Map<ts.Node, ClassEntry>();
  /** `export { a as b }`, `export default a`, `module.exports = { a }`: bound after the walk. */
  private readonly localExports: { local: string; as: string }[] = [];
  private context: Context = INIT;
  /** The node whose children are being visited: the parent linked to each visited node. */
  private current: ts.Node;
  private readonly lineStarts: readonly number[];
  /** The class whose static members `this` refers to, inside static methods and blocks. */
  private staticClass: ClassEntry | undefined;
  /** The singleton instance `this` refers to, inside the instance members of a singleton class. */
  private instanceOwner: InstanceOwner | undefined;
  /** Classes of this file instantiated at module level: `export default new JobRegistry()`. */
  private readonly moduleInstances = new Map<string, string>();
  /** `export default new X()`, `module.exports = new X()`, `export const x = new X()`: bound after the walk. */
  private readonly instanceExports: { as: string; className: string }[] = [];
  private readonly globalSlots = new Map<string, GlobalSlot>();
  /** `const handler = wrap(async (req, res) => …)`: the wrapped callback belongs to `handler`. */
  private wrapper: { call: ts.Node; fn: FunctionInfo } | undefined;
  /** `app.post('/x', wrap(async (req, res) => …))`: the wrapped callback runs as the route. */
  private wrappedRoute: { call: ts.Node; label: string } | undefined;
  /** `items.forEach(load)`: a function passed to a synchronous callback is called there, not escaped. */
  private syncArgument: ts.Node | undefined;

  constructor(
    private readonly sourceFile: ts.SourceFile,
    private readonly file: string,
  ) {
    this.facts = { path: file, bindings: [], fsCalls: [], envReads: [], connections: [], envSchemas: [], envSchemaParses: [], listens: [], routes: [], libraryCalls: [], signalHandlers: [], moduleSpecifiers: [], localImports: [], failureListeners: [], generatedKeys: [], keySinks: [], timers: [],
      realtime: { broadcasts: [], adapterCalls: [], connectionAdds: [], clientSetLoops: [], emitters: [], emitterCalls: [] },
      clientAddress: { reads: [], trustProxy: [], throttled: [] }, singletons: [], globalSlots: [], embeddedDatabases: [] };
    this.current = sourceFile;
    this.lineStarts = sourceFile.getLineStarts();
  }

  run(): FileWalk {
    this.scopes.push();
    this.predeclare(this.sourceFile.statements, true);
    for (const statement of this.sourceFile.statements) this.visit(statement);
    this.bindLocalExports();
    this.bindInstanceExports();
    // Function times are resolved in the join: a function exported here may be called by a route elsewhere.
    return {
      facts: this.facts,
      exports: this.exports,
      functionExports: this.functionExports,
      stringExports: this.stringExports,
      reexports: this.reexports,
      crossFileUses: this.crossFileUses,
      crossFileCalls: this.crossFileCalls,
      functions: this.functions,
      uploads: this.uploads,
      crossFileUploadRoutes: this.crossFileUploadRoutes,
      pendingQueueLabels: this.pendingQueueLabels,
      delays: { exported: exportedNumbers(this.exports, this.constantInitializer), imported: this.importedDelays },
    };
  }

  // ---- the traversal -------------------------------------------------------------------------

  /**
   * Files are parsed without parent pointers (the parser's extra pass costs a quarter of the
   * parse); the walk links each node it enters to its parent instead, which is all the upward
   * look-ups (mutation and env-read context) need: they only climb through visited ancestors.
   */
  private readonly visit = (node: ts.Node): void => {
    const kind = node.kind;
    // Types say nothing about runtime state; tokens, literals and keywords (but identifiers and
    // `this`) have no children and are only ever read top-down.
    if (kind === K.StringLiteral || kind === K.NoSubstitutionTemplateLiteral) {
      (node as Mutable<ts.Node>).parent = this.current;
      this.onStringLiteral(node as ts.StringLiteral);
      return;
    }
    if ((kind >= K.FirstTypeNode && kind <= K.LastTypeNode) || (kind < K.FirstNode && kind !== K.Identifier && kind !== K.ThisKeyword)) return;
    (node as Mutable<ts.Node>).parent = this.current;
    const saved = this.current;
    this.current = node;
    this.dispatch(node, kind);
    this.current = saved;
  };

  private dispatch(node: ts.Node, kind: ts.SyntaxKind): void {
    switch (kind) {
      case K.Identifier:
        this.onReference(node as ts.Identifier);
        return;
      case K.ThisKeyword:
        this.onThis(node);
        return;
      case K.PropertyAccessExpression:
        this.onPropertyAccess(node as ts.PropertyAccessExpression);
        return;
      case K.ElementAccessExpression:
        this.onElementAccess(node as ts.ElementAccessExpression);
        return;
      case K.CallExpression:
        this.onCall(node as ts.CallExpression);
        return;
      case K.NewExpression:
        this.onNew(node as ts.NewExpression);
        return;
      case K.VariableDeclaration:
        this.onVariable(node as ts.VariableDeclaration);
        return;
      case K.FunctionDeclaration:
      case K.FunctionExpression:
      case K.ArrowFunction:
      case K.MethodDeclaration:
      case K.Constructor:
      case K.GetAccessor:
      case K.SetAccessor:
        this.onFunction(node as ts.FunctionLikeDeclaration, this.functionContext(node as ts.FunctionLikeDeclaration), this.staticClass);
        return;
      case K.ClassDeclaration:
      case K.ClassExpression:
        this.onClass(node as ts.ClassLikeDeclaration);
        return;
      case K.Block:
        this.onBlock((node as ts.Block).statements);
        return;
      case K.CaseBlock:
        this.scopes.push();
        for (const clause of (node as ts.CaseBlock).clauses) this.predeclare(clause.statements, false);
        ts.forEachChild(node, this.visit);
        this.scopes.pop();
        return;
      case K.ForStatement:
      case K.ForInStatement:
      case K.ForOfStatement: {
        this.scopes.push();
        const initializer = (node as ts.ForStatement).initializer;
        if (initializer !== undefined && initializer.kind === K.VariableDeclarationList) {
          const list = initializer as ts.VariableDeclarationList;
          const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
          for (const declaration of list.declarations) this.declareVariable(declaration, isConst ? 'const' : 'let', false, false);
        }
        ts.forEachChild(node, this.visit);
        this.scopes.pop();
        return;
      }
      case K.CatchClause: {
        this.scopes.push();
        const clause = node as ts.CatchClause;
        if (clause.variableDeclaration !== undefined) this.declarePattern(clause.variableDeclaration.name);
        this.visit(clause.block);
        this.scopes.pop();
        return;
      }
      case K.PropertyAssignment: {
        const property = node as ts.PropertyAssignment;
        this.onHostOption(property);
        if (property.name.kind === K.ComputedPropertyName) this.visit(property.name);
        this.visit(property.initializer);
        return;
      }
      case K.ShorthandPropertyAssignment: {
        const property = node as ts.ShorthandPropertyAssignment;
        (property.name as Mutable<ts.Identifier>).parent = property;
        this.onReference(property.name);
        if (property.objectAssignmentInitializer !== undefined) this.visit(property.objectAssignmentInitializer);
        return;
      }
      case K.PropertyDeclaration: {
        const property = node as ts.PropertyDeclaration;
        if (property.name.kind === K.ComputedPropertyName) this.visit(property.name);
        if (property.initializer !== undefined) this.visit(property.initializer);
        return;
      }
      case K.BindingElement: {
        const element = node as ts.BindingElement;
        if (element.propertyName?.kind === K.ComputedPropertyName) this.visit(element.propertyName);
        if (element.name.kind !== K.Identifier) this.visit(element.name);
        if (element.initializer !== undefined) this.visit(element.initializer);
        return;
      }
      case K.BinaryExpression:
        this.onCommonJsExport(node as ts.BinaryExpression);
        this.recordStoredChild(node as ts.BinaryExpression);
        ts.forEachChild(node, this.visit);
        return;
      case K.LabeledStatement:
        this.visit((node as ts.LabeledStatement).statement);
        return;
      case K.JsxAttribute: {
        const initializer = (node as ts.JsxAttribute).initializer;
        if (initializer !== undefined) this.visit(initializer);
        return;
      }
      case K.ImportDeclaration:
      case K.ExportDeclaration: {
        const specifier = stringValue((node as ts.ImportDeclaration | ts.ExportDeclaration).moduleSpecifier);
        if (specifier !== undefined) this.facts.moduleSpecifiers.push(specifier);
        return;
      }
      case K.ImportEqualsDeclaration: {
        const reference = (node as ts.ImportEqualsDeclaration).moduleReference;
        const specifier = reference.kind === K.ExternalModuleReference ? stringValue(reference.expression) : undefined;
        if (specifier !== undefined) this.facts.moduleSpecifiers.push(specifier);
        return;
      }
      case K.InterfaceDeclaration:
      case K.TypeAliasDeclaration:
      case K.TypeParameter:
      case K.EnumDeclaration:
      case K.ModuleDeclaration:
      case K.IndexSignature:
      case K.MetaProperty:
      case K.QualifiedName:
      case K.BreakStatement:
      case K.ContinueStatement:
        return;
      case K.Decorator:
        // Not walked (metadata, not code that runs), but `@Module({ imports: [TypeOrmModule.forRoot(…)] })` opens databases.
        this.recordDecoratorDatabases(node);
        return;
      default:
        ts.forEachChild(node, this.visit);
    }
  }

  private onBlock(statements: ts.NodeArray<ts.Statement>): void {
    this.scopes.push();
    this.predeclare(statements, false);
    for (const statement of statements) this.visit(statement);
    this.scopes.pop();
  }

  private onFunction(fn: ts.FunctionLikeDeclaration, context: Context, staticClass: ClassEntry | undefined, instanceOwner?: InstanceOwner): void {
    if (fn.name !== undefined && fn.name.kind === K.ComputedPropertyName) this.visit(fn.name);
    const savedContext = this.context;
    const savedStatic = this.staticClass;
    const savedOwner = this.instanceOwner;
    const savedCurrent = this.current;
    this.context = context;
    // Arrow functions keep the `this` of where they are written; other functions get their own.
    if (fn.kind !== K.ArrowFunction) {
      this.staticClass = staticClass;
      this.instanceOwner = instanceOwner;
    }
    this.scopes.push();
    if (fn.kind === K.FunctionExpression && fn.name !== undefined) this.scopes.declare(fn.name.text);
    for (const parameter of fn.parameters) this.declarePattern(parameter.name);
    for (const parameter of fn.parameters) {
      (parameter as Mutable<ts.ParameterDeclaration>).parent = fn;
      this.current = parameter;
      if (parameter.name.kind !== K.Identifier) this.visit(parameter.name);
      if (parameter.initializer !== undefined) this.visit(parameter.initializer);
    }
    this.current = fn;
    if (fn.body !== undefined) this.visit(fn.body);
    this.scopes.pop();
    this.current = savedCurrent;
    this.context = savedContext;
    this.staticClass = savedStatic;
    this.instanceOwner = savedOwner;
  }

  /** The time of a function met in the generic walk (not as a known callback). */
  private functionContext(fn: ts.FunctionLikeDeclaration): Context {
    if (fn.kind === K.FunctionDeclaration && this.scopes.depth === 1 && fn.name !== undefined) {
      const entry = this.scopes.moduleEntry(fn.name.text);
      if (entry?.kind === 'function') return { time: 'init', deferred: entry.fn };
    }
    const exported = this.exportedFunctionNodes.get(fn);
    if (exported !== undefined) return { time: 'init', deferred: exported };
    if ((fn.kind === K.ArrowFunction || fn.kind === K.FunctionExpression) && isImmediatelyInvoked(fn)) return this.context;
    // `export function verify() { return (req, res) => … }`: the returned function runs whenever its
    // caller calls it (a route), not when the factory runs, even if that is at start-up.
    if ((fn.kind === K.ArrowFunction || fn.kind === K.FunctionExpression) && isReturned(fn)) return RUNTIME;
    return this.nestedContext();
  }

  /** A callback handed to code we do not know: at module load it may run any time later; inside a function it runs with it. */
  private nestedContext(): Context {
    return this.context.time === 'init' && this.context.deferred === undefined ? RUNTIME : this.context;
  }

  private onClass(node: ts.ClassLikeDeclaration): void {
    const entry = this.classes.get(node);
    for (const call of moduleImportCalls(node)) this.recordLibraryCall(call, false);
    for (const modifier of node.modifiers ?? []) if (modifier.kind === K.Decorator) this.visit(modifier);
    for (const clause of node.heritageClauses ?? []) {
      for (const type of clause.types) this.visit(type.expression);
    }
    const classContext = this.context;
    const className = node.name?.text ?? 'default';
    const nest = decoratorsOf(node).length === 0 ? undefined : nestClass(node, this.importOf, this.sourceFile);
    const instantiation = nest?.singleton === true ? nest.decorator : node.name === undefined || this.scopes.depth !== 1 ? undefined : this.moduleInstances.get(node.name.text);
    const owner = instantiation === undefined ? undefined : this.singletonOwner(node, className, instantiation);
    // The one instance of a singleton is built at start-up; any other class may be built at any time.
    const memberContext = this.nestedContext();
    const constructionContext = owner === undefined ? memberContext : INIT;
    const savedContext = this.context;
    const savedStatic = this.staticClass;
    const savedOwner = this.instanceOwner;
    const savedCurrent = this.current;
    for (const member of node.members) {
      (member as Mutable<ts.ClassElement>).parent = node;
      this.current = member;
      const isStatic = hasModifier(member, K.StaticKeyword);
      switch (member.kind) {
        case K.PropertyDeclaration: {
          const property = member as ts.PropertyDeclaration;
          if (property.name.kind === K.ComputedPropertyName) this.visit(property.name);
          if (property.initializer === undefined) break;
          // Static initializers run when the class is evaluated; instance ones when it is constructed.
          this.context = isStatic ? classContext : constructionContext;
          this.staticClass = isStatic ? entry : undefined;
          this.instanceOwner = isStatic ? undefined : owner;
          this.visit(property.initializer);
          this.context = savedContext;
          this.staticClass = savedStatic;
          this.instanceOwner = savedOwner;
          break;
        }
        case K.MethodDeclaration:
        case K.GetAccessor:
        case K.SetAccessor: {
          const throttled = member.kind === K.MethodDeclaration ? throttledMethod(member as ts.MethodDeclaration) : undefined;
          if (throttled !== undefined) this.facts.clientAddress.throttled.push({ ...this.span(member.name!), method: throttled.name, ...(throttled.route === undefined ? {} : { route: throttled.route }) });
          const staticMethod = isStatic && member.name !== undefined && member.name.kind === K.Identifier
            ? entry?.staticMethods.get(member.name.text)
            : undefined;
          let context: Context = staticMethod !== undefined && member.kind === K.MethodDeclaration ? { time: 'init' as const, deferred: staticMethod } : memberContext;
          if (!isStatic) context = this.instanceMethodContext(member, className, nest, owner) ?? context;
          this.onFunction(member as ts.FunctionLikeDeclaration, context, isStatic ? entry : undefined, isStatic ? undefined : owner);
          break;
        }
        case K.Constructor:
          this.onFunction(member as ts.ConstructorDeclaration, constructionContext, undefined, owner);
          break;
        case K.ClassStaticBlockDeclaration:
          this.context = classContext;
          this.staticClass = entry;
          this.visit((member as ts.ClassStaticBlockDeclaration).body);
          this.context = savedContext;
          this.staticClass = savedStatic;
          break;
        default:
          break;
      }
    }
    this.current = savedCurrent;
  }

  /**
   * Records a singleton class: its instance fields, and its methods as functions whose time the
   * call graph decides (`this.helper()` from a route runs in that route; a public method may be
   * called from anywhere, so it runs at runtime).
   */
  private singletonOwner(node: ts.ClassLikeDeclaration, className: string, instantiation: string): InstanceOwner {
    const owner: InstanceOwner = { fields: new Map(), methods: this.classes.get(node)?.instanceMethods ?? new Map(), injected: injectedParameters(node) };
    const fields: InstanceField[] = [];
    for (const declared of instanceFields(node).values()) {
      const field: InstanceField = {
        name: declared.name,
        location: this.span(declared.node),
        initializer: initializerKind(declared.initializer),
        readonly: isReadonlyDeclaration(declared.type, declared.initializer),
        mutations: [],
        reads: [],
      };
      owner.fields.set(field.name, field);
      fields.push(field);
    }
    const methods: (Span & { name: string })[] = [];
    for (const member of node.members) {
      if ((member.kind !== K.MethodDeclaration && member.kind !== K.GetAccessor && member.kind !== K.SetAccessor) || hasModifier(member, K.StaticKeyword)) continue;
      if (member.name === undefined || (member.name.kind !== K.Identifier && member.name.kind !== K.PrivateIdentifier)) continue;
      const name = member.name.text;
      const hidden = member.name.kind === K.PrivateIdentifier || hasModifier(member, K.PrivateKeyword) || hasModifier(member, K.ProtectedKeyword);
      if (!owner.methods.has(name)) owner.methods.set(name, this.newFunction(`${className}.${name}`, !hidden));
      methods.push({ ...this.span(member), name });
    }
    const name = node.name ?? node;
    this.facts.singletons.push({ name: className, location: this.span(name), instantiation, fields, methods });
    return owner;
  }

  /** The context of an instance method: a Nest handler runs as its route; a singleton's method as the call graph decides. */
  private instanceMethodContext(member: ts.ClassElement, className: string, nest: NestClass | undefined, owner: InstanceOwner | undefined): Context | undefined {
    const handler = nest === undefined ? undefined : nestHandler(member, className, nest, this.importOf, this.sourceFile);
    if (handler?.route !== undefined) this.facts.routes.push({ ...this.span(handler.route.node), method: handler.route.method, path: handler.route.path });
    const fn = owner === undefined || member.name === undefined || (member.name.kind !== K.Identifier && member.name.kind !== K.PrivateIdentifier) ? undefined : owner.methods.get(member.name.text);
    if (fn === undefined) return handler?.label === undefined ? undefined : handlerContext(handler.label);
    if (handler?.label !== undefined && !fn.handlerLabels.includes(handler.label)) fn.handlerLabels.push(handler.label);
    if (handler?.lifecycle === true) {
      // Nest calls it once, at start-up or shutdown.
      fn.exported = false;
      fn.calls.push({ time: 'init' });
    }
    return { time: 'init', deferred: fn };
  }

  private readonly importOf = (name: string): string | undefined => {
    const entry = this.scopes.moduleEntry(name);
    return entry?.kind === 'import' ? entry.module : undefined;
  };

  private onVariable(declaration: ts.VariableDeclaration): void {
    const initializer = declaration.initializer;
    const bare = initializer === undefined ? undefined : skipWrappers(initializer);
    if (declaration.name.kind === K.ObjectBindingPattern && bare !== undefined && isProcessEnv(bare)) {
      this.recordEnvDestructuring(declaration.name);
    }
    if (declaration.name.kind !== K.Identifier) this.visit(declaration.name);
    if (initializer === undefined || bare === undefined) return;
    if (this.scopes.depth === 1 && declaration.name.kind === K.Identifier) this.recordEnvSchema(declaration.name.text, initializer);
    if (this.scopes.depth === 1) this.recordGeneratedKeys(declaration);
    if (this.scopes.depth === 1 && declaration.name.kind === K.Identifier) this.recordPromisified(declaration.name.text, bare);
    if (this.scopes.depth === 1 && declaration.name.kind === K.Identifier) {
      const entry = this.scopes.moduleEntry(declaration.name.text);
      if (entry?.kind === 'binding' && entry.fn !== undefined) {
        if (isFunctionLike(bare)) {
          linkWrappers(initializer, declaration);
          this.onFunction(bare, { time: 'init', deferred: entry.fn }, undefined);
          return;
        }
        const savedWrapper = this.wrapper;
        this.wrapper = { call: bare, fn: entry.fn };
        this.visit(initializer);
        this.wrapper = savedWrapper;
        return;
      }
    }
    this.visit(initializer);
  }

  private onCall(call: ts.CallExpression): void {
    this.recordLibraryCall(call, false);
    this.recordEmbeddedDatabase(call);
    this.recordKeySinks(call);
    this.recordStoredChild(call);
    this.recordSignalHandler(call);
    this.recordListen(call);
    this.recordRealtimeCall(call);
    this.recordTimer(call);
    if (this.timerHandles.size > 0) this.recordStoredTimer(call);
    const route = routeRegistration(call) ?? nestAppRoute(call);
    if (route !== undefined) this.facts.routes.push({ ...this.span(call), ...route });
    const routeObjectList = routeObjects(call);
    for (const { object, routes } of routeObjectList ?? []) for (const served of routes) this.facts.routes.push({ ...this.span(object), ...served });
    const mount = pluginMount(call);
    if (mount !== undefined) this.facts.routes.push({ ...this.span(call), method: 'USE', path: mount });
    const parsed = parsedSchemaName(call) ?? this.recordEnvalidSchema(call);
    if (parsed !== undefined) {
      const site = this.site(call) as EnvSchemaParse;
      site.schema = parsed;
      this.facts.envSchemaParses.push(site);
    }
    const specifier = requireSpecifier(call) ?? (call.expression.kind === K.ImportKeyword ? stringValue(call.arguments[0]) : undefined);
    if (specifier !== undefined) this.facts.moduleSpecifiers.push(specifier);
    const recognised = recogniseFsCall(call, this.fsLookup);
    if (recognised !== undefined) {
      const site = this.site(call) as FsCall;
      site.api = recognised.api;
      site.access = recognised.access;
      if (recognised.pathArgument !== undefined) {
        site.path = { ...foldPath(recognised.pathArgument, this.pathScope), text: nodeText(recognised.pathArgument, this.sourceFile) };
        if (recognised.pattern === true) site.path = patternFolder(site.path, recognised.patternInCwd);
      }
      this.facts.fsCalls.push(site);
    }
    const destination = recogniseUploadDestination(call, this.fsLookup);
    if (destination !== undefined) {
      // Configured at load, written on every upload request: named by the routes using it (join step).
      const site = this.span(call) as FsCall;
      site.time = 'runtime';
      site.api = 'multer';
      site.access = 'write';
      site.path = { ...foldPath(destination, this.pathScope), text: nodeText(destination, this.sourceFile) };
      this.facts.fsCalls.push(site);
      const owner = this.declaredBinding(call);
      if (owner !== undefined) this.uploads.set(owner, { site, routes: new Set() });
    } else {
      // `multer({ storage })` with `storage = multer.diskStorage({ destination })`: the same upload site.
      const storage = this.uploads.size === 0 ? undefined : multerStorage(call, this.fsLookup);
      const storageBinding = storage === undefined ? undefined : this.moduleBindingOf(storage);
      const upload = storageBinding === undefined ? undefined : this.uploads.get(storageBinding);
      const owner = upload === undefined ? undefined : this.declaredBinding(call);
      if (upload !== undefined && owner !== undefined) this.uploads.set(owner, upload);
    }
    const label = callHandlerLabel(call) ?? (this.wrappedRoute?.call === call ? this.wrappedRoute.label : undefined);
    const role = label === undefined ? callbackRole(call) : 'unknown';
    this.visit(call.expression);
    for (const argument of call.arguments) {
      const bare = skipWrappers(argument);
      if (routeObjectList !== undefined && argument === call.arguments[0]) {
        this.visitRouteObjects(argument, routeObjectList);
        continue;
      }
      if (label !== undefined && bare.kind === K.ObjectLiteralExpression) {
        // `fastify.get('/x', { preHandler, handler })`: the options' functions run per request.
        this.visitRouteObjects(argument, [{ object: bare as ts.ObjectLiteralExpression, label, routes: [] }]);
        continue;
      }
      if (isFunctionLike(bare)) {
        linkWrappers(argument, call);
        let context: Context;
        if (label !== undefined) context = handlerContext(label);
        else if (role === 'sync') context = this.context;
        else if (this.wrapper?.call === call) context = { time: 'init', deferred: this.wrapper.fn };
        else context = this.nestedContext();
        this.onFunction(bare, context, this.staticClass);
        continue;
      }
      if (label !== undefined) {
        if (bare.kind === K.Identifier) this.registerHandler(bare as ts.Identifier, label);
        const upload = uploadMiddlewareOwner(bare);
        if (upload !== undefined) this.registerUploadRoute(upload, label);
      }
      const savedRoute = this.wrappedRoute;
      const savedSync = this.syncArgument;
      if (label !== undefined && bare.kind === K.CallExpression) this.wrappedRoute = { call: bare, label };
      if (role === 'sync' && bare.kind === K.Identifier) this.syncArgument = bare;
      this.visit(argument);
      this.wrappedRoute = savedRoute;
      this.syncArgument = savedSync;
    }
  }

  /**
   * Route objects (`{ method, url, handler }`, alone or in an array): the functions they hold —
   * `handler`, Fastify's hooks, hapi's `options.handler` — run as the route; other values are
   * visited as usual.
   */
  private visitRouteObjects(argument: ts.Expression, objects: readonly RouteObject[]): void {
    const saved = this.current;
    (argument as Mutable<ts.Expression>).parent = saved;
    const bare = skipWrappers(argument);
    linkWrappers(argument, saved);
    const route = objects.find((candidate) => candidate.object === bare);
    if (route !== undefined) this.visitRouteObject(route.object, route.label);
    else if (bare.kind === K.ArrayLiteralExpression) {
      this.current = bare;
      for (const element of (bare as ts.ArrayLiteralExpression).elements) {
        const object = objects.find((candidate) => candidate.object === skipWrappers(element));
        if (object === undefined) {
          this.visit(element);
          continue;
        }
        linkWrappers(element, bare);
        this.visitRouteObject(object.object, object.label);
      }
    } else this.visit(argument);
    this.current = saved;
  }

  private visitRouteObject(object: ts.ObjectLiteralExpression, label: string): void {
    const saved = this.current;
    for (const property of object.properties) {
      (property as Mutable<ts.ObjectLiteralElementLike>).parent = object;
      this.current = property;
      if (property.kind === K.MethodDeclaration) {
        this.onFunction(property, handlerContext(label), this.staticClass);
        continue;
      }
      const value = property.kind === K.PropertyAssignment ? skipWrappers(property.initializer) : undefined;
      if (property.kind === K.PropertyAssignment && value !== undefined && isFunctionLike(value)) {
        linkWrappers(property.initializer, property);
        this.onFunction(value, handlerContext(label), this.staticClass);
        continue;
      }
      // hapi's `options: { handler }` (`config` before v17).
      const key = property.name?.kind === K.Identifier ? property.name.text : undefined;
      if (property.kind === K.PropertyAssignment && value?.kind === K.ObjectLiteralExpression && (key === 'options' || key === 'config')) {
        linkWrappers(property.initializer, property);
        this.visitRouteObject(value as ts.ObjectLiteralExpression, label);
        continue;
      }
      if (property.kind === K.PropertyAssignment && value?.kind === K.Identifier) this.registerHandler(value as ts.Identifier, label);
      if (property.kind === K.ShorthandPropertyAssignment) this.registerHandler(property.name, label);
      this.current = object;
      this.visit(property);
    }
    this.current = saved;
  }

  private onNew(expression: ts.NewExpression): void {
    const library = this.recordLibraryCall(expression, true);
    if (library?.module === 'bullmq' && (library.imported === 'Worker' || library.member === 'Worker')) {
      const work = processorLongWork(expression, this.lookup, this.sourceFile);
      if (work !== undefined) library.longWork = work;
    }
    this.recordKeySinks(expression);
    if (isEventEmitterNew(expression, this.realtimeNames)) {
      const owner = this.declaredBinding(expression);
      if (owner !== undefined) this.facts.realtime.emitters.push(owner.name);
    }
    this.recordEmbeddedDatabase(expression);
    const label = newHandlerLabel(expression, this.constantString);
    // `new Worker(IMPORT_QUEUE, …)` with the queue name imported: the processor runs in a stand-in
    // function whose label is rewritten once the exporting file's constant is known.
    const queue = label === undefined ? undefined : workerQueue(expression);
    const importedQueue = queue === undefined || stringValue(queue) !== undefined ? undefined : this.relativeImport(skipWrappers(queue));
    let worker: Context | undefined;
    if (importedQueue !== undefined && label !== undefined) {
      const fn = this.newFunction('worker', false);
      fn.handlerLabels.push(label);
      this.pendingQueueLabels.push({ specifier: importedQueue.module, name: importedQueue.name, fn });
      worker = { time: 'init', deferred: fn };
    }
    // A promise executor runs synchronously inside `new Promise`.
    const synchronous = expression.expression.kind === K.Identifier && (expression.expression as ts.Identifier).text === 'Promise';
    this.visit(expression.expression);
    for (const argument of expression.arguments ?? []) {
      const bare = skipWrappers(argument);
      if (isFunctionLike(bare)) {
        linkWrappers(argument, expression);
        const context = worker ?? (label !== undefined ? handlerContext(label) : synchronous ? this.context : this.nestedContext());
        this.onFunction(bare, context, this.staticClass);
        continue;
      }
      if (worker !== undefined && argument !== queue && bare.kind === K.Identifier) {
        // `new Worker(QUEUE, processImport)`: the processor is called by the stand-in function.
        const savedContext = this.context;
        const savedSync = this.syncArgument;
        this.context = worker;
        this.syncArgument = bare;
        this.visit(argument);
        this.context = savedContext;
        this.syncArgument = savedSync;
        continue;
      }
      if (label !== undefined && bare.kind === K.Identifier) this.registerHandler(bare as ts.Identifier, label);
      this.visit(argument);
    }
  }

  /** The value of a module-level string constant: `const IMPORT_QUEUE = 'csv-import'`. */
  private readonly constantString = (node: ts.Expression): string | undefined => {
    if (node.kind !== K.Identifier || !this.interesting.has((node as ts.Identifier).text)) return undefined;
    const entry = this.scopes.lookup((node as ts.Identifier).text);
    return entry?.kind === 'binding' && entry.isConst && entry.init !== undefined ? stringValue(skipWrappers(entry.init)) : undefined;
  };

  /** What an identifier was imported as from a relative module. */
  private relativeImport(node: ts.Expression): { module: string; name: string } | undefined {
    if (node.kind !== K.Identifier || !this.interesting.has((node as ts.Identifier).text)) return undefined;
    const entry = this.scopes.lookup((node as ts.Identifier).text);
    return entry?.kind === 'import' && entry.module.startsWith('.') ? entry : undefined;
  }

  /** The module binding an identifier resolves to. */
  private moduleBindingOf(node: ts.Expression): ModuleBinding | undefined {
    if (node.kind !== K.Identifier || !this.interesting.has((node as ts.Identifier).text)) return undefined;
    const entry = this.scopes.lookup((node as ts.Identifier).text);
    return entry?.kind === 'binding' ? entry.binding : undefined;
  }

  /** `const upload = multer(…)` at module level: the binding `node` initialises. */
  private declaredBinding(node: ts.Node): ModuleBinding | undefined {
    const parent = climbWrappers(node).parent;
    if (this.scopes.depth !== 1 || parent === undefined || parent.kind !== K.VariableDeclaration) return undefined;
    const name = (parent as ts.VariableDeclaration).name;
    if (name.kind !== K.Identifier) return undefined;
    const entry = this.scopes.moduleEntry(name.text);
    return entry?.kind === 'binding' ? entry.binding : undefined;
  }

  /** `router.post('/jobs', upload.single('file'), …)`: uploads through `upload` are stored in that route. */
  private registerUploadRoute(owner: ts.Identifier, route: string): void {
    const binding = this.moduleBindingOf(owner);
    if (binding !== undefined) {
      this.uploads.get(binding)?.routes.add(route);
      return;
    }
    const imported = this.relativeImport(owner);
    if (imported !== undefined) this.crossFileUploadRoutes.push({ specifier: imported.module, name: imported.name, route });
  }

  private onPropertyAccess(access: ts.PropertyAccessExpression): void {
    const object = access.expression;
    if (isProcessEnv(object) || this.isEnvAlias(object)) {
      this.recordEnvRead(access.name.text, access);
      return;
    }
    this.recordAddressOrClients(access);
    const slot = globalSlotAccess(access);
    if (slot !== undefined && (slot.root === 'app.locals' || this.scopes.lookup(slot.root) === undefined)) this.recordGlobalUse(`${slot.root}.${slot.name}`, slot.name, access);
    this.visit(object);
  }

  private onElementAccess(access: ts.ElementAccessExpression): void {
    const object = access.expression;
    if (isProcessEnv(object) || this.isEnvAlias(object)) {
      const name = stringValue(access.argumentExpression);
      if (name !== undefined) {
        this.recordEnvRead(name, access);
        return;
      }
    }
    this.visit(object);
    this.visit(access.argumentExpression);
  }

  private isEnvAlias(node: ts.Node): boolean {
    if (node.kind !== K.Identifier || !this.interesting.has((node as ts.Identifier).text)) return false;
    return this.scopes.lookup((node as ts.Identifier).text)?.kind === 'process-env';
  }

  // ---- references ----------------------------------------------------------------------------

  private onReference(identifier: ts.Identifier): void {
    const name = identifier.text;
    if (!this.interesting.has(name)) return;
    const entry = this.scopes.lookup(name);
    if (entry === undefined) return;
    switch (entry.kind) {
      case 'binding': {
        this.recordUse(entry.binding, identifier);
        if (entry.fn !== undefined) this.recordFunctionReference(entry.fn, identifier);
        const member = entry.instanceOf === undefined ? undefined : memberAccess(identifier);
        if (member !== undefined && isCallee(member.node)) this.recordInstanceCall(entry.instanceOf!, member.name, member.node);
        return;
      }
      case 'function':
        this.recordFunctionReference(entry.fn, identifier);
        return;
      case 'local':
        if (entry.alias !== undefined) this.recordUse(entry.alias, identifier);
        return;
      case 'class':
        this.onStaticMember(entry, identifier);
        return;
      case 'import':
        if (entry.module.startsWith('.')) this.recordCrossFileUse(entry.module, entry.name, identifier);
        return;
      default:
        return;
    }
  }

  private onThis(node: ts.Node): void {
    if (this.staticClass !== undefined) this.onStaticMember(this.staticClass, node);
    else if (this.instanceOwner !== undefined) this.onInstanceMember(this.instanceOwner, node);
  }

  /** `this.jobs…` and `this.helper()` inside a singleton's instance members. */
  private onInstanceMember(owner: InstanceOwner, object: ts.Node): void {
    const member = memberAccess(object);
    if (member === undefined) return;
    const field = owner.fields.get(member.name);
    if (field !== undefined) {
      this.recordUse(field, member.node);
      return;
    }
    const method = owner.methods.get(member.name);
    if (method !== undefined) {
      this.recordFunctionReference(method, member.node);
      return;
    }
    const type = owner.injected.get(member.name);
    const called = type === undefined ? undefined : memberAccess(member.node);
    if (type !== undefined && called !== undefined && isCallee(called.node)) this.recordInstanceCall(type, called.name, called.node);
  }

  /** `this.otp.issue()` with `otp: OtpService` injected, or `registry.add()` on a module-level instance. */
  private recordInstanceCall(className: string, method: string, node: ts.Node): void {
    const entry = this.scopes.moduleEntry(className);
    if (entry?.kind === 'class') {
      const fn = entry.instanceMethods.get(method);
      if (fn !== undefined) this.recordFunctionReference(fn, node);
    } else if (entry?.kind === 'import' && entry.module.startsWith('.')) {
      this.crossFileCalls.push({ specifier: entry.module, name: entry.name, member: method, instance: true, call: this.callContext() });
    }
  }

  /** `Store.sessions…` / `this.sessions…` in a static context, and calls of static methods. */
  private onStaticMember(entry: ClassEntry, object: ts.Node): void {
    const member = memberAccess(object);
    if (member === undefined) return;
    const field = entry.staticFields.get(member.name);
    if (field !== undefined) {
      this.recordUse(field, member.node);
      return;
    }
    const method = entry.staticMethods.get(member.name);
    if (method !== undefined) this.recordFunctionReference(method, member.node);
  }

  private recordUse(binding: Tracked, reference: ts.Node): void {
    if (binding.initializer === 'function' && isCallee(reference)) return;
    const use = classifyUse(reference);
    const confirmed = confirmMutation(binding.initializer, use.mutation);
    const site = this.site(confirmed === undefined ? reference : use.node);
    if (confirmed === undefined) {
      describeRead(site, reference);
      binding.reads.push(site);
      return;
    }
    const mutation = site as MutationSite;
    mutation.kind = confirmed.kind;
    if (confirmed.method !== undefined) mutation.method = confirmed.method;
    if (confirmed.kind === 'reassign' && use.node.kind === K.BinaryExpression) {
      const shape = assignmentShape(use.node as ts.BinaryExpression);
      mutation.value = shape.value;
      if (shape.lazy) mutation.lazy = true;
      if (shape.compound) mutation.compound = true;
    }
    binding.mutations.push(mutation);
  }

  /** `global.onlineUsers…`, `req.app.locals.onlineUsers…`: a use of a process-wide slot. */
  private recordGlobalUse(text: string, name: string, access: ts.Node): void {
    let slot = this.globalSlots.get(text);
    if (slot === undefined) {
      slot = { text, name, mutations: [], reads: [] };
      this.globalSlots.set(text, slot);
      this.facts.globalSlots.push(slot);
    }
    this.recordUse({ initializer: 'other', mutations: slot.mutations, reads: slot.reads }, access);
  }

  private recordCrossFileUse(specifier: string, name: string, identifier: ts.Identifier): void {
    // `helper()` / `items.forEach(helper)`: calling an import neither reads nor changes state a
    // rule tracks, but the helper runs here: the join hands it this call's time and handler.
    if (isCallee(identifier) || this.syncArgument === identifier || this.calledWhereListed(identifier)) {
      this.crossFileCalls.push({ specifier, name, call: this.callContext() });
      return;
    }
    const use = classifyUse(identifier);
    const record: CrossFileUse = { specifier, name, use: { site: this.site(use.node), mutation: use.mutation } };
    if (use.mutation === undefined) describeRead(record.use.site, identifier);
    const member = memberAccess(identifier);
    if (member === undefined) {
      if (name === '*') record.whole = true;
    } else if (isCallee(member.node)) {
      this.crossFileCalls.push({ specifier, name, member: member.name, call: this.callContext() });
    } else {
      const memberUse = classifyUse(member.node);
      record.member = { name: member.name, use: { site: this.site(memberUse.node), mutation: memberUse.mutation } };
    }
    this.crossFileUses.push(record);
  }

  private callContext(): CallContext {
    const context = this.context;
    const call: CallContext = { time: context.time };
    if (context.deferred !== undefined) call.deferred = context.deferred;
    if (context.label !== undefined) call.handlers = context.label.handlers;
    return call;
  }

  /**
   * Two ways of handing a function over that call it right there, in this context:
   * `timed('seed', seed)()` — a wrapper invoked at once (juice-shop's start-up steps) — and a list
   * of steps in a function's own local, `const steps = [createUsers, createProducts]`, which the
   * function then runs (juice-shop's data creator). A list at module level may be handed anywhere.
   */
  private calledWhereListed(identifier: ts.Node): boolean {
    const outer = climbWrappers(identifier);
    const parent = outer.parent;
    if (parent === undefined) return false;
    if (parent.kind === K.CallExpression && (parent as ts.CallExpression).expression !== outer) return isCallee(parent);
    if (parent.kind !== K.ArrayLiteralExpression || this.scopes.depth <= 1) return false;
    const list = climbWrappers(parent);
    return list.parent?.kind === K.VariableDeclaration && (list.parent as ts.VariableDeclaration).initializer === list;
  }

  private recordFunctionReference(fn: FunctionInfo, identifier: ts.Node): void {
    const node = climbWrappers(identifier);
    const parent = node.parent;
    if (parent === undefined) return;
    if ((parent.kind === K.CallExpression && (parent as ts.CallExpression).expression === node) || this.syncArgument === identifier || this.calledWhereListed(identifier)) {
      fn.calls.push(this.callContext());
    } else if (!isExportedValue(node)) {
      fn.escapes = true;
    }
  }

  private registerHandler(identifier: ts.Identifier, label: string): void {
    if (!this.interesting.has(identifier.text)) return;
    const entry = this.scopes.lookup(identifier.text);
    if (entry?.kind === 'import') {
      // `router.post('/login/code', rejectBanned, …)` with `rejectBanned` imported: joined after the walk.
      if (entry.module.startsWith('.')) {
        this.crossFileCalls.push({ specifier: entry.module, name: entry.name, call: { time: 'runtime', handlers: [{ name: label }] } });
      }
      return;
    }
    const fn = entry?.kind === 'function' ? entry.fn : entry?.kind === 'binding' ? entry.fn : undefined;
    if (fn !== undefined && !fn.handlerLabels.includes(label)) fn.handlerLabels.push(label);
  }

  // ---- network peers -------------------------------------------------------------------------

  /** `'redis://redis:6379'`: a client URL written in the code. */
  private onStringLiteral(literal: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral): void {
    const peer = parseClientUrl(literal.text);
    if (peer === undefined) return;
    const connection = this.site(literal) as Connection;
    connection.host = peer.host;
    if (peer.port !== undefined) connection.port = peer.port;
    connection.text = literal.text;
    // `process.env.REDIS_URL ?? 'redis://redis:6379'`: the literal is only the fallback.
    const fallbackOf = climbWrappers(literal).parent;
    const source = fallbackOf?.kind === K.BinaryExpression && (fallbackOf as ts.BinaryExpression).right === climbWrappers(literal) ? valueSource(fallbackOf as ts.BinaryExpression) : undefined;
    if (source?.env !== undefined) {
      connection.hostEnv = source.env;
      connection.text = nodeText(fallbackOf!, this.sourceFile);
    } else {
      const guard = this.envGuardOf(literal);
      if (guard !== undefined) connection.hostEnv = guard;
    }
    this.facts.connections.push(connection);
  }

  /** `process.on('SIGTERM', …)`, and `db.on('error', …)` on anything else (see `failureListeners`). */
  private recordSignalHandler(call: ts.CallExpression): void {
    const callee = call.expression;
    if (callee.kind !== K.PropertyAccessExpression) return;
    const method = (callee as ts.PropertyAccessExpression).name.text;
    if (method !== 'on' && method !== 'once' && method !== 'addListener' && method !== 'prependListener') return;
    const event = stringValue(call.arguments[0]);
    if (event === undefined) return;
    const receiver = dottedName((callee as ts.PropertyAccessExpression).expression);
    if (receiver !== 'process') {
      if (receiver !== undefined && FAILURE_EVENTS.has(event) && !this.facts.failureListeners.includes(receiver)) this.facts.failureListeners.push(receiver);
      return;
    }
    if (!event.startsWith('SIG')) return;
    const handler: SignalHandler = { ...this.span(call), time: this.context.time, signal: event };
    const fn = event === 'SIGTERM' || event === 'SIGINT' ? handlerFunction(call.arguments[1], this.sourceFile) : undefined;
    if (fn !== undefined) {
      const behaviour = describeHandler(fn, this.sourceFile);
      Object.assign(handler, { read: true, exits: behaviour.exits, closes: behaviour.closes, closesAtOnce: behaviour.closesAtOnce });
      if (behaviour.forceExit !== undefined) Object.assign(handler, { forceExitMs: behaviour.forceExit.ms, forceExitLocation: this.span(behaviour.forceExit.node) });
    }
    this.facts.signalHandlers.push(handler);
  }

  /** `session({ secret })`, `new session.MemoryStore()`, `rateLimit({ windowMs })` with the callee imported from a package. */
  private recordLibraryCall(call: ts.CallExpression | ts.NewExpression, isNew: boolean): LibraryCall | undefined {
    // `session(…)`, `session.MemoryStore`, `winston.transports.File`: the leftmost name is the import.
    // Most calls are not of an import: find the leftmost name and test it before building anything.
    const callee = skipWrappers(call.expression);
    let leftmost: ts.Expression = callee;
    while (leftmost.kind === K.PropertyAccessExpression) leftmost = (leftmost as ts.PropertyAccessExpression).expression;
    // `require('socket.io')(server)`: the module is called where it is required.
    const required = leftmost === callee ? requireSpecifier(leftmost) : undefined;
    if (required === undefined && (leftmost.kind !== K.Identifier || !this.interesting.has((leftmost as ts.Identifier).text))) return undefined;
    const found = required === undefined ? this.scopes.lookup((leftmost as ts.Identifier).text) : { kind: 'import' as const, module: required, name: '*' };
    // `const execAsync = promisify(exec)`: its calls are calls of `exec`.
    const entry = found?.kind === 'binding' ? this.promisified.get(found.binding) : found;
    if (entry?.kind !== 'import' || !isRecordedLibrary(entry.module)) return undefined;
    const members = dottedName(callee)?.split('.').slice(1) ?? [];
    const site = this.site(call) as LibraryCall;
    site.module = entry.module;
    site.imported = entry.name;
    site.isNew = isNew;
    site.argumentCount = call.arguments?.length ?? 0;
    if (members.length > 0) site.member = members.join('.');
    const firstString = call.arguments?.[0] === undefined ? undefined : stringValue(skipWrappers(call.arguments[0]));
    if (firstString !== undefined) site.firstArgument = firstString;
    // `session(sess)` with `const sess = { store: … }` in this file: the options are the const's object.
    const argumentsGiven = (call.arguments ?? []).map((argument) => {
      const bare = skipWrappers(argument);
      return bare.kind === K.Identifier ? (this.pathScope.constInitializer((bare as ts.Identifier).text, this.scopes.depth)?.init ?? bare) : bare;
    });
    const options = argumentsGiven.map((argument) => skipWrappers(argument)).find((argument) => argument.kind === K.ObjectLiteralExpression) as ts.ObjectLiteralExpression | undefined;
    // `ThrottlerModule.forRoot([{ ttl, limit }])`: a list spelled out here is read as options with none of the named keys.
    const list = options === undefined && argumentsGiven[0] !== undefined && skipWrappers(argumentsGiven[0]).kind === K.ArrayLiteralExpression;
    if (list) site.options = {};
    else if (options === undefined && argumentsGiven.length > 0) site.optionsUnknown = true;
    if (options !== undefined) {
      const values: Record<string, string> = {};
      for (const property of options.properties) {
        if (property.kind === K.SpreadAssignment) values['...'] = nodeText(property.expression, this.sourceFile).slice(0, 200);
        const name = property.name === undefined ? undefined : property.name.kind === K.Identifier ? property.name.text : stringValue(property.name);
        if (name === undefined) continue;
        values[name] = property.kind === K.PropertyAssignment ? nodeText(property.initializer, this.sourceFile).slice(0, 200) : name;
      }
      site.options = values;
    }
    // `const conn = await amqp.connect(url)`, `const cache = await caching('memory')` and `client = new Client()` assign the result too.
    let outer = climbWrappers(call);
    if (outer.parent?.kind === K.AwaitExpression) outer = climbWrappers(outer.parent);
    const parent = outer.parent;
    if (parent?.kind === K.VariableDeclaration && (parent as ts.VariableDeclaration).name.kind === K.Identifier) {
      site.assignedTo = ((parent as ts.VariableDeclaration).name as ts.Identifier).text;
      if (this.scopes.depth === 1) site.moduleLevel = true;
    }
    if (parent?.kind === K.BinaryExpression && (parent as ts.BinaryExpression).operatorToken.kind === K.EqualsToken && (parent as ts.BinaryExpression).right === outer) {
      const target = dottedName((parent as ts.BinaryExpression).left);
      if (target !== undefined) site.assignedTo = target;
    }
    if (parent?.kind === K.PropertyAssignment && (parent as ts.PropertyAssignment).name.kind === K.Identifier) site.passedAs = ((parent as ts.PropertyAssignment).name as ts.Identifier).text;
    if (parent?.kind === K.PropertyAccessExpression && (parent as ts.PropertyAccessExpression).expression === outer) site.calledMember = (parent as ts.PropertyAccessExpression).name.text;
    const constText = (name: string): string | undefined => {
      const constant = this.pathScope.constInitializer(name, this.scopes.depth);
      return constant === undefined ? undefined : nodeText(constant.init, this.sourceFile);
    };
    const branch = enclosingBranch(call, this.sourceFile, constText);
    if (branch !== undefined) site.branch = branch;
    const storedIn = this.pendingStores.get(call);
    if (storedIn !== undefined) site.storedIn = storedIn;
    this.libraryCallSites.set(call, site);
    this.facts.libraryCalls.push(site);
    return site;
  }

  private readonly realtimeNames: RealtimeNames = {
    moduleBinding: (name) => {
      const entry = this.interesting.has(name) ? this.scopes.lookup(name) : undefined;
      return entry?.kind === 'binding' && entry.fn === undefined ? entry.binding : undefined;
    },
    importOf: (name) => this.fsLookup(name),
    initializer: (name) => {
      const entry = this.scopes.lookup(name);
      return entry?.kind === 'binding' || entry?.kind === 'local' ? entry.init : undefined;
    },
  };

  /** Real-time fan-out (realtime.ts) and `trust proxy` (client-address.ts) in one call; sites are patched in place by the join, so they are extended, not copied. */
  private recordRealtimeCall(call: ts.CallExpression): void {
    if (call.expression.kind !== K.PropertyAccessExpression) return;
    const realtime = this.facts.realtime;
    const broadcast = broadcastOf(call);
    if (broadcast !== undefined) realtime.broadcasts.push(Object.assign(this.site(call), broadcast));
    if (isAdapterCall(call)) realtime.adapterCalls.push(this.site(call));
    const added = connectionAdd(call, this.realtimeNames, this.sourceFile);
    if (added !== undefined) realtime.connectionAdds.push(Object.assign(this.site(call), added));
    const emitter = emitterCall(call, this.realtimeNames);
    if (emitter !== undefined) realtime.emitterCalls.push(Object.assign(this.site(call), emitter));
    const trust = trustProxyValue(call, this.sourceFile);
    if (trust !== undefined) this.facts.clientAddress.trustProxy.push(Object.assign(this.site(call), { value: trust }));
  }

  /** `req.ip` used as a key or stored, and `wss.clients` iterated. */
  private recordAddressOrClients(access: ts.PropertyAccessExpression): void {
    const name = access.name.text;
    if (name === 'ip' || name === 'remoteAddress') {
      const read = clientAddressRead(access, this.sourceFile);
      if (read !== undefined) this.facts.clientAddress.reads.push(Object.assign(this.site(access), read));
    } else if (name === 'clients') {
      const server = clientSetLoop(access, this.realtimeNames);
      if (server !== undefined) this.facts.realtime.clientSetLoops.push(Object.assign(this.site(access), { server }));
    }
  }

  // ---- keys and child processes --------------------------------------------------------------

  /** Scope lookups for the extractors in crypto-keys.ts and queue-workers.ts. */
  private readonly lookup: Lookup = (name) => this.scopes.lookup(name);
  /** Library calls by node, so a later `running.set(id, child)` finds the call `child` holds. */
  private readonly libraryCallSites = new Map<ts.Node, LibraryCall>();
  /** `running.set(id, spawn(…))`: the call is recorded after the `set`, so the binding waits here. */
  private readonly pendingStores = new Map<ts.Node, string>();

  /** Module bindings holding a promisified library function, as the import they stand for. */
  private readonly promisified = new Map<ModuleBinding, { kind: 'import'; module: string; name: string }>();

  /** `const execAsync = promisify(exec)`, `util.promisify(cp.execFile)`. */
  private recordPromisified(name: string, initializer: ts.Expression): void {
    const target = promisifiedImport(initializer, this.lookup);
    const entry = target === undefined ? undefined : this.scopes.moduleEntry(name);
    if (target !== undefined && entry?.kind === 'binding') this.promisified.set(entry.binding, { kind: 'import', ...target });
  }

  /** `const JWT_SECRET = randomBytes(32).toString('hex')` at module level. */
  private recordGeneratedKeys(declaration: ts.VariableDeclaration): void {
    for (const key of declaredKeys(declaration, this.lookup, this.sourceFile)) {
      const generated = this.span(key.node) as GeneratedKey;
      generated.binding = key.binding;
      if (key.path !== undefined) generated.path = key.path;
      generated.source = key.source;
      if (key.envFallback !== undefined) generated.envFallback = key.envFallback;
      this.facts.generatedKeys.push(generated);
    }
  }

  /** `jwt.sign(payload, KEY)`, `session({ secret })`, `createCipheriv(alg, key, iv)`: the arguments passed as keys. */
  private recordKeySinks(call: ts.CallExpression | ts.NewExpression): void {
    if (!mayBeSink(call, this.interesting)) return;
    for (const sink of sinkArguments(call, this.lookup)) {
      if (isStableArgument(sink.node, this.lookup)) continue;
      const site = this.site(sink.node) as KeySink;
      site.api = sink.api;
      site.purpose = sink.purpose;
      site.role = sink.role;
      site.text = nodeText(sink.node, this.sourceFile).slice(0, 200);
      const generated = generatedArgument(sink.node, this.lookup, this.sourceFile);
      if (generated !== undefined) site.generated = generated.envFallback === undefined ? { source: generated.source } : { source: generated.source, envFallback: generated.envFallback };
      this.facts.keySinks.push(site);
    }
  }

  /** `running.set(id, child)` with `child` a library call's result, into a module binding: the call's `storedIn`. */
  private recordStoredChild(node: ts.CallExpression | ts.BinaryExpression): void {
    if (this.context === INIT) return;
    const stored = storedValues(node);
    const binding = stored === undefined ? undefined : this.moduleBindingOf(stored.container);
    if (stored === undefined || binding === undefined) return;
    for (const value of stored.values) {
      let source: ts.Expression | undefined = value;
      if (value.kind === K.Identifier) {
        const entry = this.scopes.lookup((value as ts.Identifier).text);
        source = entry?.kind === 'local' && entry.init !== undefined ? entry.init : undefined;
      }
      if (source === undefined) continue;
      let call = skipWrappers(source);
      if (call.kind === K.AwaitExpression) call = skipWrappers((call as ts.AwaitExpression).expression);
      const site = this.libraryCallSites.get(call);
      if (site !== undefined) site.storedIn ??= binding.name;
      else this.pendingStores.set(call, binding.name);
    }
  }

  /** `new Database('data/app.db')`, `JSONFilePreset('db.json', {})`: a database in a local file. */
  private recordEmbeddedDatabase(node: ts.CallExpression | ts.NewExpression): void {
    const recognised = recogniseEmbeddedDatabase(node, this.fsLookup, this.constInitializerOf);
    if (recognised === undefined) return;
    const database = this.site(node) as EmbeddedDatabase;
    database.library = recognised.library;
    database.api = recognised.api;
    if (recognised.pathArgument !== undefined) {
      database.path = { ...foldPath(recognised.pathArgument, this.pathScope), text: nodeText(recognised.pathArgument, this.sourceFile) };
    } else if (recognised.pathLiteral !== undefined) {
      database.path = { ...foldPath(ts.factory.createStringLiteral(recognised.pathLiteral), this.pathScope), text: `'${recognised.pathLiteral}'` };
    }
    this.facts.embeddedDatabases.push(database);
  }

  private recordDecoratorDatabases(node: ts.Node): void {
    if (node.kind === K.CallExpression || node.kind === K.NewExpression) this.recordEmbeddedDatabase(node as ts.CallExpression | ts.NewExpression);
    ts.forEachChild(node, (child) => this.recordDecoratorDatabases(child));
  }

  private readonly constInitializerOf = (name: string): ts.Expression | undefined => this.pathScope.constInitializer(name, this.scopes.depth)?.init;

  /** `setTimeout(fn, ms)` and `setInterval`, with the delay folded through this file's constants. */
  private recordTimer(call: ts.CallExpression): void {
    const timer = recogniseTimer(call, this.timerLookup);
    if (timer === undefined) return;
    const site = this.site(call) as TimerCall;
    site.api = timer.api;
    if (timer.delay !== undefined) {
      const ms = foldDelay(timer.delay, this.constantInitializer);
      if (ms !== undefined) site.delayMs = ms;
      const imported = ms === undefined ? this.relativeImport(skipWrappers(timer.delay)) : undefined;
      if (imported !== undefined) this.importedDelays.push({ timer: site, specifier: imported.module, name: imported.name });
      if (isDateDelay(timer.delay)) site.delayFromDate = true;
      site.delayText = delayText(timer.delay, this.sourceFile);
    } else {
      // `setTimeout(fn)`: no delay argument means the next turn of the event loop.
      site.delayMs = 0;
    }
    const callback = callbackName(timer.callback);
    if (callback !== undefined) site.callback = callback;
    const store = timerStore(call);
    if (store !== undefined) site.storedIn = store;
    if (timer.promise || isBoundingTimer(call, timer.callback)) site.bounded = true;
    this.facts.timers.push(site);
    if (climbWrappers(call).parent?.kind === K.VariableDeclaration) this.timerHandles.set(call, site);
  }

  /** `const handle = setTimeout(…); timers.set(id, handle)`: the timer is kept in `timers`. */
  private recordStoredTimer(call: ts.CallExpression): void {
    const stored = storedIdentifier(call);
    const entry = stored === undefined ? undefined : this.scopes.lookup(stored.value.text);
    if (stored === undefined || entry?.kind !== 'local' || entry.init === undefined) return;
    const timer = this.timerHandles.get(skipWrappers(entry.init));
    if (timer !== undefined) timer.storedIn ??= stored.store;
  }

  private readonly timerLookup = (name: string): { module: string; name: string } | 'local' | undefined => {
    const entry = this.scopes.lookup(name);
    if (entry === undefined) return undefined;
    return entry.kind === 'import' ? { module: entry.module, name: entry.name } : 'local';
  };

  private readonly constantInitializer = (name: string): ts.Expression | undefined => {
    const entry = this.scopes.lookup(name);
    return (entry?.kind === 'binding' || entry?.kind === 'local') && entry.isConst ? entry.init : undefined;
  };

  /**
   * `app.listen(port)`, `app.listen(Number(process.env.PORT ?? 3000))`, `fastify.listen({ port })`,
   * with `port` a const of this file followed to its initializer; the host it binds and whether the
   * receiver is a Fastify instance are read in listen-host.ts.
   */
  private recordListen(call: ts.CallExpression): void {
    if (call.expression.kind !== K.PropertyAccessExpression || (call.expression as ts.PropertyAccessExpression).name.text !== 'listen') return;
    const { port: portArgument, host, hostNode } = listenArguments(call, this.pathScope, this.scopes.depth);
    let argument = portArgument === undefined ? undefined : skipWrappers(portArgument);
    if (argument?.kind === K.Identifier) argument = this.pathScope.constInitializer((argument as ts.Identifier).text, this.scopes.depth)?.init;
    const source = argument === undefined ? undefined : valueSource(argument);
    const port = source?.literal === undefined ? undefined : Number(source.literal);
    const fastify = isFastifyReceiver((call.expression as ts.PropertyAccessExpression).expression, this.pathScope, this.scopes.depth);
    const listen = this.site(call) as Listen;
    if (port !== undefined && Number.isInteger(port)) listen.port = port;
    if (source?.env !== undefined) listen.portEnv = source.env;
    // A call with neither a port nor a host nor a Fastify receiver is some other `listen`, unless an
    // app or server is told to listen on a port this walk cannot read (`app.listen(config.port)`).
    const serverLike = portArgument !== undefined && LISTENING_RECEIVER.test(dottedName((call.expression as ts.PropertyAccessExpression).expression) ?? '');
    if (listen.port === undefined && listen.portEnv === undefined && host.kind !== 'literal' && host.kind !== 'env' && !fastify && !serverLike) return;
    listen.host = host;
    if (hostNode !== undefined) listen.hostLocation = this.span(hostNode);
    if (fastify) listen.fastify = true;
    this.facts.listens.push(listen);
  }

  /** `new Redis({ host: process.env.REDIS_HOST ?? 'redis', port: 6379 })`. */
  private onHostOption(property: ts.PropertyAssignment): void {
    const option = hostOption(property);
    if (option === undefined) return;
    const connection = this.site(property) as Connection;
    if (option.host.literal !== undefined) connection.host = option.host.literal;
    if (option.host.env !== undefined) connection.hostEnv = option.host.env;
    const port = option.port?.literal === undefined ? undefined : Number(option.port.literal);
    if (port !== undefined && Number.isInteger(port)) connection.port = port;
    if (option.port?.env !== undefined) connection.portEnv = option.port.env;
    connection.text = nodeText(property, this.sourceFile);
    if (connection.hostEnv === undefined) {
      const guard = this.envGuardOf(property);
      if (guard !== undefined) connection.hostEnv = guard;
    }
    this.facts.connections.push(connection);
  }

  /**
   * `REDIS_URL ? new IORedis(REDIS_URL) : new IORedis({ host: 'redis' })`: the literal host is only
   * the fallback for an unset variable. The variable, when the `else` branch holding `node` is chosen
   * by testing one (`process.env.X`, or a name destructured from `process.env`).
   */
  private envGuardOf(node: ts.Node): string | undefined {
    let child: ts.Node = node;
    for (let parent = node.parent, step = 0; parent !== undefined && step < 8; child = parent, parent = parent.parent, step++) {
      if (parent.kind !== K.ConditionalExpression || (parent as ts.ConditionalExpression).whenFalse !== child) continue;
      const condition = skipWrappers((parent as ts.ConditionalExpression).condition);
      if (condition.kind === K.Identifier) {
        const name = (condition as ts.Identifier).text;
        return this.facts.envReads.some((read) => read.name === name) ? name : undefined;
      }
      return valueSource(condition)?.env;
    }
    return undefined;
  }

  // ---- env reads -----------------------------------------------------------------------------

  /** `const env = z.object({ DATABASE_URL: z.string(), … })`, or a schema derived from one of this file. */
  private recordEnvSchema(name: string, initializer: ts.Expression): void {
    const isZod = (identifier: string): boolean => {
      const entry = this.scopes.lookup(identifier);
      return entry?.kind === 'import' ? entry.module === 'zod' : identifier === 'z' && entry === undefined;
    };
    const known = (identifier: string): readonly SchemaKey[] | undefined => this.schemaKeys.get(identifier);
    const keys = schemaKeys(initializer, isZod, known, this.sourceFile);
    if (keys === undefined || keys.length === 0) return;
    this.schemaKeys.set(name, keys);
    this.facts.envSchemas.push({ name, library: 'zod', keys: keys.map((key) => ({ ...this.span(key.node), name: key.name, required: key.required })) });
  }

  /** envalid's `cleanEnv(process.env, {…})`: records its keys as a schema named after the call, and returns that name. */
  private recordEnvalidSchema(call: ts.CallExpression): string | undefined {
    const isCleanEnv = (callee: ts.Expression): boolean => {
      const name = dottedName(callee);
      if (name === undefined || !name.endsWith('cleanEnv')) return false;
      const entry = this.scopes.lookup(name.split('.')[0]!);
      return entry?.kind === 'import' && entry.module === 'envalid';
    };
    const keys = envalidKeys(call, isCleanEnv);
    if (keys === undefined || keys.length === 0) return undefined;
    const name = 'cleanEnv(process.env, …)';
    this.facts.envSchemas.push({ name, library: 'envalid', keys: keys.map((key) => ({ ...this.span(key.node), name: key.name, required: key.required })) });
    return name;
  }

  private recordEnvRead(name: string, node: ts.Node): void {
    const outer = climbWrappers(node);
    const parent = outer.parent;
    if (parent === undefined) return;
    // `process.env.X ? process.env.X : 'd'`: the condition already records the read and its fallback.
    if (parent.kind === K.ConditionalExpression && (parent as ts.ConditionalExpression).whenTrue === outer &&
        nodeText((parent as ts.ConditionalExpression).condition, this.sourceFile) === nodeText(node, this.sourceFile)) {
      return;
    }
    const context = envContext(node, this.sourceFile);
    const read = this.site(node) as EnvRead;
    read.name = name;
    read.hasDefault = context.hasDefault;
    if (context.defaultText !== undefined) read.defaultText = context.defaultText;
    if (context.coercion !== undefined) read.coercion = context.coercion;
    if (context.option !== undefined) read.option = context.option;
    if (context.guardedByThrow === true) read.guardedByThrow = true;
    if (context.fallbackCatchesNaN === true) read.fallbackCatchesNaN = true;
    this.facts.envReads.push(read);
  }

  private recordEnvDestructuring(pattern: ts.ObjectBindingPattern): void {
    for (const element of pattern.elements) {
      if (element.dotDotDotToken !== undefined) continue;
      const key = element.propertyName ?? element.name;
      const name = key.kind === K.Identifier ? key.text : stringValue(key);
      if (name === undefined) continue;
      const read = this.site(element) as EnvRead;
      read.name = name;
      read.hasDefault = element.initializer !== undefined || (element.name.kind === K.Identifier && everyUseFallsBack(element.name.text, element.end, this.sourceFile.text));
      if (element.initializer !== undefined) read.defaultText = nodeText(element.initializer, this.sourceFile);
      this.facts.envReads.push(read);
    }
  }

  // ---- declarations --------------------------------------------------------------------------

  /**
   * Declares a block's names before its statements are walked, so a use before the declaration
   * (a function calling a helper declared below) resolves. `var` is declared in the block it is
   * written in rather than hoisted to its function: an approximation that only matters for a
   * `var` read outside the block that declares it.
   */
  private predeclare(statements: ts.NodeArray<ts.Statement>, moduleLevel: boolean): void {
    for (const statement of statements) {
      const instance = moduleLevel ? moduleInstance(statement) : undefined;
      if (instance !== undefined && !this.moduleInstances.has(instance.className)) this.moduleInstances.set(instance.className, instance.text);
      if (instance?.exportedAs !== undefined) this.instanceExports.push({ as: instance.exportedAs, className: instance.className });
      switch (statement.kind) {
        case K.VariableStatement: {
          const list = (statement as ts.VariableStatement).declarationList;
          const kind = (list.flags & (ts.NodeFlags.Const | ts.NodeFlags.Using)) !== 0 ? 'const' : (list.flags & ts.NodeFlags.Let) !== 0 ? 'let' : 'var';
          const exported = moduleLevel && hasModifier(statement, K.ExportKeyword);
          for (const declaration of list.declarations) this.declareVariable(declaration, kind, moduleLevel, exported);
          break;
        }
        case K.FunctionDeclaration: {
          const fn = statement as ts.FunctionDeclaration;
          const exported = hasModifier(fn, K.ExportKeyword);
          if (!moduleLevel) {
            if (fn.name !== undefined) this.scopes.declare(fn.name.text);
            break;
          }
          const info = this.newFunction(fn.name?.text ?? 'default', exported);
          if (exported) this.functionExports.set(hasModifier(fn, K.DefaultKeyword) ? 'default' : (fn.name?.text ?? 'default'), info);
          if (fn.name !== undefined) {
            this.scopes.declare(fn.name.text, { kind: 'function', fn: info });
            this.interesting.add(fn.name.text);
          }
          break;
        }
        case K.ClassDeclaration: {
          const node = statement as ts.ClassDeclaration;
          if (moduleLevel) this.declareClass(node);
          else if (node.name !== undefined) this.scopes.declare(node.name.text);
          break;
        }
        case K.EnumDeclaration:
          this.scopes.declare((statement as ts.EnumDeclaration).name.text);
          break;
        case K.ImportDeclaration:
          if (moduleLevel) this.declareImport(statement as ts.ImportDeclaration);
          break;
        case K.ImportEqualsDeclaration: {
          const node = statement as ts.ImportEqualsDeclaration;
          if (node.moduleReference.kind === K.ExternalModuleReference) {
            const module = stringValue(node.moduleReference.expression);
            if (module !== undefined) this.declareImported(node.name.text, module, '*');
          } else {
            this.scopes.declare(node.name.text);
          }
          break;
        }
        case K.ExportDeclaration:
          if (moduleLevel) this.declareExportList(statement as ts.ExportDeclaration);
          break;
        case K.ExportAssignment: {
          const node = statement as ts.ExportAssignment;
          const value = skipWrappers(node.expression);
          if (moduleLevel && value.kind === K.Identifier) {
            this.localExports.push({ local: (value as ts.Identifier).text, as: node.isExportEquals === true ? 'module.exports' : 'default' });
          }
          // `export default async () => { … }`: a module-level function whose callers are its importers.
          if (moduleLevel && isFunctionLike(value)) {
            const fn = this.newFunction('default', true);
            this.functionExports.set(node.isExportEquals === true ? 'module.exports' : 'default', fn);
            this.exportedFunctionNodes.set(value, fn);
          }
          break;
        }
        default:
          break;
      }
    }
  }

  private declareVariable(declaration: ts.VariableDeclaration, kind: 'const' | 'let' | 'var', moduleLevel: boolean, exported: boolean): void {
    const initializer = declaration.initializer;
    const bare = initializer === undefined ? undefined : skipWrappers(initializer);
    const required = requiredModule(bare);
    if (declaration.name.kind === K.Identifier) {
      const name = declaration.name.text;
      if (required !== undefined) {
        this.declareImported(name, required.module, required.name);
        return;
      }
      if (bare !== undefined && isProcessEnv(bare)) {
        this.scopes.declare(name, { kind: 'process-env' });
        this.interesting.add(name);
        return;
      }
      if (moduleLevel) {
        const binding = this.newBinding(name, kind, declaration.name, initializer, declaration.type, exported);
        const fn = bare !== undefined && (isFunctionLike(bare) || wrapsFunction(bare)) ? this.newFunction(name, exported) : undefined;
        if (exported && fn !== undefined) this.functionExports.set(name, fn);
        if (exported && kind === 'const') this.recordStringExport(name, bare);
        const instanceOf = bare?.kind === K.NewExpression && (bare as ts.NewExpression).expression.kind === K.Identifier ? ((bare as ts.NewExpression).expression as ts.Identifier).text : undefined;
        this.scopes.declare(name, { kind: 'binding', binding, init: initializer, isConst: kind === 'const', fn, instanceOf });
        this.interesting.add(name);
        return;
      }
      let alias: ModuleBinding | undefined;
      if (bare !== undefined && bare.kind === K.Identifier && this.interesting.has((bare as ts.Identifier).text)) {
        const target = this.scopes.lookup((bare as ts.Identifier).text);
        if (target?.kind === 'binding' && target.fn === undefined) alias = target.binding;
      }
      if (alias !== undefined) this.interesting.add(name);
      this.scopes.declare(name, { kind: 'local', init: initializer, isConst: kind === 'const', alias, depth: this.scopes.depth });
      return;
    }
    this.declarePatternNames(declaration.name, (element, name) => {
      const key = element.propertyName ?? element.name;
      const exportName = key.kind === K.Identifier ? key.text : stringValue(key);
      if (required !== undefined && required.name === '*' && declaration.name.kind === K.ObjectBindingPattern && exportName !== undefined) {
        this.declareImported(name.text, required.module, exportName);
      } else if (moduleLevel) {
        const binding = this.newBinding(name.text, kind, name, undefined, undefined, exported);
        binding.initializer = 'other';
        this.scopes.declare(name.text, { kind: 'binding', binding, isConst: kind === 'const' });
        this.interesting.add(name.text);
      } else {
        this.scopes.declare(name.text);
      }
    });
  }

  private declarePattern(name: ts.BindingName): void {
    if (name.kind === K.Identifier) this.scopes.declare(name.text);
    else this.declarePatternNames(name, (_, identifier) => this.scopes.declare(identifier.text));
  }

  private declarePatternNames(pattern: ts.BindingPattern, declare: (element: ts.BindingElement, name: ts.Identifier) => void): void {
    for (const element of pattern.elements) {
      if (element.kind === K.OmittedExpression) continue;
      if (element.name.kind === K.Identifier) declare(element, element.name);
      else this.declarePatternNames(element.name, declare);
    }
  }

  private declareImport(node: ts.ImportDeclaration): void {
    const module = stringValue(node.moduleSpecifier);
    const clause = node.importClause;
    if (module === undefined || clause === undefined || clause.isTypeOnly) return;
    if (clause.name !== undefined) this.declareImported(clause.name.text, module, 'default');
    const bindings = clause.namedBindings;
    if (bindings === undefined) return;
    if (bindings.kind === K.NamespaceImport) {
      this.declareImported(bindings.name.text, module, '*');
      return;
    }
    for (const element of bindings.elements) {
      if (element.isTypeOnly) continue;
      const imported = element.propertyName ?? element.name;
      this.declareImported(element.name.text, module, imported.kind === K.Identifier ? imported.text : imported.text);
    }
  }

  private declareImported(local: string, module: string, name: string): void {
    this.scopes.declare(local, { kind: 'import', module, name });
    this.interesting.add(local);
  }

  private declareExportList(node: ts.ExportDeclaration): void {
    if (node.isTypeOnly) return;
    const specifier = stringValue(node.moduleSpecifier);
    const clause = node.exportClause;
    if (clause === undefined) {
      if (specifier !== undefined) this.reexports.push({ specifier, name: '*', as: '*' });
      return;
    }
    if (clause.kind !== K.NamedExports) return;
    for (const element of clause.elements) {
      if (element.isTypeOnly) continue;
      const local = (element.propertyName ?? element.name).text;
      const as = element.name.text;
      if (specifier !== undefined) this.reexports.push({ specifier, name: local, as });
      else this.localExports.push({ local, as });
    }
  }

  private declareClass(node: ts.ClassDeclaration): void {
    const exported = hasModifier(node, K.ExportKeyword);
    const isDefault = hasModifier(node, K.DefaultKeyword);
    const className = node.name?.text ?? 'default';
    const entry: ClassEntry = { kind: 'class', name: className, staticFields: new Map(), staticMethods: new Map(), instanceMethods: new Map() };
    for (const member of node.members) {
      if (member.kind === K.MethodDeclaration && hasModifier(member, K.StaticKeyword) && member.name?.kind === K.Identifier) {
        entry.staticMethods.set(member.name.text, this.newFunction(`${className}.${member.name.text}`, false));
        continue;
      }
      if (member.kind !== K.PropertyDeclaration || !hasModifier(member, K.StaticKeyword)) continue;
      const property = member as ts.PropertyDeclaration;
      if (property.name.kind !== K.Identifier && property.name.kind !== K.PrivateIdentifier) continue;
      const binding = this.newBinding(property.name.text, 'static-field', property.name, property.initializer, property.type, false);
      binding.className = className;
      entry.staticFields.set(property.name.text, binding);
    }
    this.classes.set(node, entry);
    if (node.name !== undefined) {
      this.scopes.declare(node.name.text, entry);
      this.interesting.add(node.name.text);
    }
    if (exported) this.exportClass(entry, isDefault ? 'default' : className);
  }

  private recordStringExport(name: string, initializer: ts.Expression | undefined): void {
    const value = stringValue(initializer);
    if (value !== undefined) this.stringExports.set(name, value);
  }

  private exportClass(entry: ClassEntry, as: string): void {
    this.exports.set(as, { staticFields: entry.staticFields, staticMethods: entry.staticMethods, instanceMethods: entry.instanceMethods });
    for (const method of entry.staticMethods.values()) method.exported = true;
    for (const [field, binding] of entry.staticFields) binding.exportedAs.push(`${as}.${field}`);
  }

  private newBinding(
    name: string,
    declarationKind: ModuleBinding['declarationKind'],
    nameNode: ts.Node,
    initializer: ts.Expression | undefined,
    type: ts.TypeNode | undefined,
    exported: boolean,
  ): ModuleBinding {
    const binding: ModuleBinding = {
      name,
      declarationKind,
      exportedAs: exported ? [name] : [],
      location: this.span(nameNode),
      initializer: initializerKind(initializer),
      readonly: isReadonlyDeclaration(type, initializer),
      mutations: [],
      reads: [],
    };
    if (type?.kind === K.TypeReference) binding.typeName = nodeText((type as ts.TypeReferenceNode).typeName, this.sourceFile);
    this.facts.bindings.push(binding);
    if (exported) this.exports.set(name, { binding });
    return binding;
  }

  private newFunction(name: string, exported: boolean): FunctionInfo {
    const fn: FunctionInfo = { name, exported, escapes: false, handlerLabels: [], calls: [], sites: [] };
    this.functions.push(fn);
    return fn;
  }

  /** `module.exports = { a, b: c }`, `module.exports = a`, `exports.a = a`. */
  private onCommonJsExport(binary: ts.BinaryExpression): void {
    if (binary.operatorToken.kind !== K.EqualsToken || this.context !== INIT) return;
    const target = dottedName(binary.left);
    if (target === undefined || (!target.startsWith('module.exports') && !target.startsWith('exports.'))) return;
    const value = skipWrappers(binary.right);
    if (target === 'module.exports') {
      if (value.kind === K.Identifier) {
        this.localExports.push({ local: (value as ts.Identifier).text, as: 'module.exports' });
        return;
      }
      if (value.kind !== K.ObjectLiteralExpression) return;
      for (const property of (value as ts.ObjectLiteralExpression).properties) {
        if (property.kind === K.ShorthandPropertyAssignment) {
          this.localExports.push({ local: property.name.text, as: property.name.text });
        } else if (property.kind === K.PropertyAssignment && property.name.kind === K.Identifier) {
          const initializer = skipWrappers(property.initializer);
          if (initializer.kind === K.Identifier) this.localExports.push({ local: (initializer as ts.Identifier).text, as: property.name.text });
        }
      }
      return;
    }
    const match = /^(?:module\.)?exports\.([\w$]+)$/.exec(target);
    if (match !== null && value.kind === K.Identifier) this.localExports.push({ local: (value as ts.Identifier).text, as: match[1]! });
  }

  /** The methods of an exported module-level instance run when an importer calls `registry.add()` or `require('./store').save()`. */
  private bindInstanceExports(): void {
    for (const { as, className } of this.instanceExports) {
      const entry = this.scopes.moduleEntry(className);
      if (entry?.kind !== 'class') continue;
      const exported = this.exports.get(as);
      if (exported !== undefined && 'binding' in exported) {
        exported.methods = entry.instanceMethods;
        continue;
      }
      this.exports.set(as, { staticFields: new Map(), staticMethods: entry.instanceMethods });
      if (as !== 'module.exports') continue;
      for (const [name, fn] of entry.instanceMethods) if (fn.exported && !this.functionExports.has(name)) this.functionExports.set(name, fn);
    }
  }

  private bindLocalExports(): void {
    for (const { local, as } of this.localExports) {
      const entry = this.scopes.moduleEntry(local);
      if (entry === undefined) continue;
      switch (entry.kind) {
        case 'binding':
          if (!entry.binding.exportedAs.includes(as)) entry.binding.exportedAs.push(as);
          this.exports.set(as, { binding: entry.binding });
          if (entry.fn !== undefined) {
            entry.fn.exported = true;
            this.functionExports.set(as, entry.fn);
          }
          if (entry.isConst && entry.init !== undefined) this.recordStringExport(as, skipWrappers(entry.init));
          break;
        case 'function':
          entry.fn.exported = true;
          this.functionExports.set(as, entry.fn);
          break;
        case 'class':
          this.exportClass(entry, as);
          break;
        case 'import':
          this.reexports.push({ specifier: entry.module, name: entry.name, as });
          break;
        default:
          break;
      }
    }
  }

  // ---- lookups and sites ---------------------------------------------------------------------

  private readonly fsLookup = (name: string): FsImport | undefined => {
    if (!this.interesting.has(name)) return undefined;
    const entry = this.scopes.lookup(name);
    return entry?.kind === 'import' ? { module: entry.module, name: entry.name } : undefined;
  };

  /** Built on the first filesystem call only. (An object literal with a getter here cost 0.25 s per 2,000 files.) */
  private pathScopeCache: PathScope | undefined;

  private get pathScope(): PathScope {
    this.pathScopeCache ??= {
      constInitializer: (name, depth) => {
        const entry = this.scopes.lookup(name, depth);
        if (entry?.kind === 'binding' && entry.init !== undefined && entry.fn === undefined) return { init: entry.init, depth: 1 };
        // Locals are taken at their initializer even when `let`: a path is rarely rebuilt after it is declared.
        if (entry?.kind === 'local' && entry.init !== undefined) return { init: entry.init, depth: entry.depth };
        return undefined;
      },
      importOf: (name, depth) => {
        const entry = this.scopes.lookup(name, depth);
        return entry?.kind === 'import' ? { module: entry.module, name: entry.name } : undefined;
      },
      depth: Number.MAX_SAFE_INTEGER,
    };
    return this.pathScopeCache;
  }

  private span(node: ts.Node): Span {
    const start = node.getStart(this.sourceFile);
    const startLine = this.lineOf(start);
    const endLine = this.lineOf(node.end);
    return {
      file: this.file,
      line: startLine + 1,
      column: start - this.lineStarts[startLine]! + 1,
      endLine: endLine + 1,
      endColumn: node.end - this.lineStarts[endLine]! + 1,
    };
  }

  /** 0-based line of a position: a binary search over the line starts, without the `{ line, character }` object per call. */
  private lineOf(position: number): number {
    const starts = this.lineStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= position) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** A site at `node`, in the current time and handler; inside a module-level function it is patched after the walk. */
  private site(node: ts.Node): Site {
    const site: Site = this.span(node) as Site;
    site.time = this.context.time;
    const label = this.context.label;
    if (label !== undefined) site.handlers = label.handlers;
    this.context.deferred?.sites.push(site);
    return site;
  }
}

type Mutable<T extends ts.Node> = { -readonly [P in keyof T]: T[P] };

/** Links `node` and the wrappers inside it (`(async () => …)`) to their parents, for nodes the walk enters directly. */
/**
 * `const { OVERRIDE_DATE } = process.env` and then only `OVERRIDE_DATE || '2025-11-18'`, `ENV_NAME ?? ''`,
 * `if (FLAG)` or `FLAG === 'true'` (trackdechets): every use after the declaration brings its own
 * fallback or tests the value, so an unset variable is handled. Read from the text, as the local
 * name's uses are not tracked; a name that is never used again is not counted as handled.
 */
function everyUseFallsBack(name: string, after: number, text: string): boolean {
  const uses = [...text.slice(after).matchAll(new RegExp(`(?<![\\w$.])${name.replace(/\$/g, '\\$')}(?![\\w$])`, 'g'))];
  if (uses.length === 0) return false;
  const rest = text.slice(after);
  return uses.every((use) => {
    const following = rest.slice(use.index + name.length, use.index + name.length + 12);
    const preceding = rest.slice(Math.max(0, use.index - 6), use.index);
    return /^\s*(?:\?\?|\|\||&&|\?(?!\.)|[!=]==?)/.test(following) || /(?:!|if\s*\()\s*$/.test(preceding);
  });
}

/** `return (req, res) => …` or `() => (req, res) => …`: the function is its enclosing function's result. */
function isReturned(fn: ts.Node): boolean {
  const outer = climbWrappers(fn);
  const parent = outer.parent;
  if (parent === undefined) return false;
  return parent.kind === K.ReturnStatement || (parent.kind === K.ArrowFunction && (parent as ts.ArrowFunction).body === outer);
}

/**
 * `export default fn`, `export = fn`, `module.exports = fn`, `module.exports = { fn }`,
 * `exports.fn = fn`: exporting a function hands it to importers, whose calls the join reads;
 * it is not an escape into a callback.
 */
function isExportedValue(node: ts.Node): boolean {
  let value = node;
  let parent = node.parent;
  if (parent.kind === K.ShorthandPropertyAssignment || (parent.kind === K.PropertyAssignment && (parent as ts.PropertyAssignment).initializer === node)) {
    value = climbWrappers(parent.parent);
    parent = value.parent;
  }
  if (parent.kind === K.ExportAssignment) return value === node;
  if (parent.kind !== K.BinaryExpression) return false;
  const binary = parent as ts.BinaryExpression;
  if (binary.operatorToken.kind !== K.EqualsToken || binary.right !== value) return false;
  const target = dottedName(binary.left);
  return target !== undefined && (target.startsWith('module.exports') || target.startsWith('exports.'));
}

function linkWrappers(node: ts.Expression, parent: ts.Node): void {
  let current: ts.Expression = node;
  let owner: ts.Node = parent;
  for (;;) {
    (current as Mutable<ts.Expression>).parent = owner;
    if (current === skipWrappers(current) ) return;
    owner = current;
    current = (current as ts.ParenthesizedExpression).expression;
  }
}

/** The module a declaration's initializer requires: `require('m')` (whole) or `require('m').x`. */
function requiredModule(node: ts.Expression | undefined): { module: string; name: string } | undefined {
  if (node === undefined) return undefined;
  const whole = loadedModule(node);
  if (whole !== undefined) return { module: whole, name: '*' };
  if (node.kind === K.PropertyAccessExpression) {
    const access = node as ts.PropertyAccessExpression;
    const module = loadedModule(skipWrappers(access.expression));
    if (module !== undefined) return { module, name: access.name.text };
  }
  return undefined;
}

/** `require('./m')`, or `await import('./m')`: both give the module's namespace (juice-shop's app.ts loads its server that way). */
function loadedModule(node: ts.Expression): string | undefined {
  if (node.kind !== K.AwaitExpression) return requireSpecifier(node);
  const awaited = skipWrappers((node as ts.AwaitExpression).expression);
  return awaited.kind === K.CallExpression && (awaited as ts.CallExpression).expression.kind === K.ImportKeyword ? stringValue((awaited as ts.CallExpression).arguments[0]) : undefined;
}

/** `wrap(async (req, res) => …)`: a call whose arguments include a function. */
function wrapsFunction(node: ts.Expression): boolean {
  return node.kind === K.CallExpression && (node as ts.CallExpression).arguments.some((argument) => isFunctionLike(skipWrappers(argument)));
}

function isCallee(node: ts.Node): boolean {
  const outer = climbWrappers(node);
  const parent = outer.parent;
  return parent !== undefined && parent.kind === K.CallExpression && (parent as ts.CallExpression).expression === outer;
}

/** `x.name` or `x['name']` around `node`: the member and the access expression. */
function memberAccess(node: ts.Node): { name: string; node: ts.Node } | undefined {
  const outer = climbWrappers(node);
  const parent = outer.parent;
  if (parent === undefined) return undefined;
  if (parent.kind === K.PropertyAccessExpression && (parent as ts.PropertyAccessExpression).expression === outer) {
    return { name: (parent as ts.PropertyAccessExpression).name.text, node: parent };
  }
  if (parent.kind === K.ElementAccessExpression && (parent as ts.ElementAccessExpression).expression === outer) {
    const name = stringValue((parent as ts.ElementAccessExpression).argumentExpression);
    if (name !== undefined) return { name, node: parent };
  }
  return undefined;
}
