// Lexical scopes for the single traversal: a reference resolves to the nearest declaration of
// its name, so a parameter or local called `codes` hides the module-level `codes`.
import type { ts } from 'ts-morph';
import type { HandlerRef, ModuleBinding, Site, SiteTime } from './app-model.js';

/**
 * A module-level function (declaration, `const f = () => …`, or the callback wrapped by
 * `const f = wrap(async (req, res) => …)`). When its sites run is decided once every file is
 * walked (call-graph.ts), from its call sites in this file and in the files that import it.
 */
export interface FunctionInfo {
  name: string;
  exported: boolean;
  /** Referenced other than as a direct callee (passed as a value, stored): it may run any time. */
  escapes: boolean;
  /** Used from another scanned file (called, registered or passed): its callers are known, not guessed. */
  usedFromOtherFiles?: boolean;
  /** Handlers it was registered as in its own file: `app.post('/x', f)`. */
  handlerLabels: string[];
  calls: CallContext[];
  /** Sites inside the function, patched once the time is known. */
  sites: Site[];
  resolved?: { time: SiteTime; handlers?: readonly HandlerRef[] };
  resolving?: boolean;
}

/** The context a call site of a module-level function runs in. */
export interface CallContext {
  time: SiteTime;
  deferred?: FunctionInfo;
  /** The handler the call runs in directly (a route callback), when known. */
  handlers?: readonly HandlerRef[];
  /** The call is in another file: the handlers reach the function through it (`POST /x → f()`). */
  crossFile?: boolean;
}

export interface ClassEntry {
  kind: 'class';
  name: string;
  staticFields: Map<string, ModuleBinding>;
  /** Static methods, timed like module-level functions: `Store.create()` called from a route runs in that route. */
  staticMethods: Map<string, FunctionInfo>;
  /**
   * Instance methods, filled only for a singleton class (singletons.ts): `registry.add()` on its one
   * instance, or `this.otp.issue()` on an injected provider, runs that method.
   */
  instanceMethods: Map<string, FunctionInfo>;
}

export type Entry =
  | {
      kind: 'binding';
      binding: ModuleBinding;
      init?: ts.Expression;
      isConst: boolean;
      fn?: FunctionInfo;
      /** `const registry = new JobRegistry()`: the class of this file it is the instance of. */
      instanceOf?: string;
    }
  | { kind: 'function'; fn: FunctionInfo }
  | ClassEntry
  /** `name` is an export name, `default`, or `*` for the whole module (namespace or `require()`). */
  | { kind: 'import'; module: string; name: string }
  | {
      kind: 'local';
      init?: ts.Expression;
      isConst: boolean;
      /** `const s = codes`: one level of aliasing of a module binding. */
      alias?: ModuleBinding;
      /** The scope depth the local lives at, so its initializer is read in its own scope. */
      depth: number;
    }
  /** `const env = process.env`. */
  | { kind: 'process-env' };

const PLAIN_LOCAL: Entry = { kind: 'local', isConst: false, depth: -1 };

export class ScopeStack {
  private readonly scopes: (Map<string, Entry> | undefined)[] = [];

  get depth(): number {
    return this.scopes.length;
  }

  push(): void {
    this.scopes.push(undefined);
  }

  pop(): void {
    this.scopes.pop();
  }

  declare(name: string, entry: Entry = PLAIN_LOCAL): void {
    const index = this.scopes.length - 1;
    let names = this.scopes[index];
    if (names === undefined) {
      names = new Map();
      this.scopes[index] = names;
    }
    names.set(name, entry);
  }

  /** The module scope's own entry for `name`, ignoring shadowing (a cheap pre-filter). */
  moduleEntry(name: string): Entry | undefined {
    return this.scopes[0]?.get(name);
  }

  /** Resolves `name` from the innermost scope outwards, looking only at the first `depth` scopes. */
  lookup(name: string, depth: number = this.scopes.length): Entry | undefined {
    for (let index = Math.min(depth, this.scopes.length) - 1; index >= 0; index--) {
      const entry = this.scopes[index]?.get(name);
      if (entry !== undefined) return entry;
    }
    return undefined;
  }
}
