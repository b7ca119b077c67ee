// When a module-level function's sites run, and in which handlers, decided once every file is
// walked: from its call sites in its own file and the ones the join found in files that import
// it. A helper exported by `security/ip-ban.ts` and called by a route in `routes/login.ts` runs
// in that route, named `POST /login/verify → recordFailure()`.
import type { HandlerRef, Site, SiteTime } from './app-model.js';
import type { FunctionInfo } from './scopes.js';

/** Cross-file hops a label names (`POST /x → a() → b()`); a longer chain keeps its first hops. */
const MAX_VIA = 2;

type Resolution = NonNullable<FunctionInfo['resolved']>;

const INIT: Resolution = { time: 'init' };
const RUNTIME: Resolution = { time: 'runtime' };
/** Returned for a call back into a function still being resolved; compared by identity, never stored. */
const IN_CYCLE: Resolution = { time: 'runtime' };

/** Resolves every function and patches the time and handlers of the sites inside it. */
export function resolveFunctions(functions: readonly FunctionInfo[]): void {
  for (const fn of functions) {
    const resolved = resolveFunction(fn);
    for (const site of fn.sites) setHandlers(site, resolved);
  }
}

/** Sets the time of a site and the handlers it runs in. */
function setHandlers(site: Site, resolved: { time: SiteTime; handlers?: readonly HandlerRef[] }): void {
  site.time = resolved.time;
  if (resolved.handlers === undefined) delete site.handlers;
  else site.handlers = resolved.handlers;
}

/** `POST /login/verify → recordFailure()`. */
export function renderHandler(ref: HandlerRef): string {
  return ref.via === undefined || ref.via.length === 0 ? ref.name : `${ref.name} → ${ref.via.map((name) => `${name}()`).join(' → ')}`;
}

/** The handlers a site runs in, as messages name them: `POST /a, POST /b → save()`. */
export function handlerText(site: Pick<Site, 'handlers'>): string | undefined {
  return site.handlers === undefined ? undefined : site.handlers.map(renderHandler).join(', ');
}

/** The handlers sorted by their rendering, without repeats; undefined when there are none. */
export function sortedHandlers(refs: Iterable<HandlerRef>): readonly HandlerRef[] | undefined {
  const byText = new Map<string, HandlerRef>();
  for (const ref of refs) {
    const text = renderHandler(ref);
    if (!byText.has(text)) byText.set(text, ref);
  }
  if (byText.size === 0) return undefined;
  const texts = [...byText.keys()].sort();
  return texts.map((text) => byText.get(text)!);
}

/**
 * Init only if the function is called, every call runs at init (following callers that are
 * themselves module-level functions), and it never escapes. An exported function counts as
 * escaping unless another scanned file uses it: then its callers are known rather than guessed.
 */
function resolveFunction(fn: FunctionInfo): Resolution {
  if (fn.resolved !== undefined) return fn.resolved;
  // A call back into a function being resolved (recursion) says nothing about when it runs.
  if (fn.resolving === true) return IN_CYCLE;
  fn.resolving = true;
  let callsFromOutsideTheCycle = 0;
  let allInit = fn.calls.length > 0 && !fn.escapes && fn.handlerLabels.length === 0 && (!fn.exported || fn.usedFromOtherFiles === true);
  // Functions that run at runtime anyway still name the handlers seen calling them.
  const refs: HandlerRef[] = fn.handlerLabels.map((name) => ({ name }));
  // With a start-up caller known, an exported function nothing scanned calls (a test helper such as
  // juice-shop's `createApp`, which seeds like `start()` does) does not make this one runtime.
  const startUpCaller = fn.calls.some((call) => (call.deferred === undefined ? call.time === 'init' : !isUncalledExport(call.deferred) && resolveFunction(call.deferred) === INIT));
  for (const call of fn.calls) {
    let callerRefs: readonly HandlerRef[] | undefined;
    if (call.deferred !== undefined) {
      if (startUpCaller && isUncalledExport(call.deferred)) continue;
      const caller = resolveFunction(call.deferred);
      if (caller === IN_CYCLE) continue;
      if (caller.time !== 'init') allInit = false;
      callerRefs = caller.handlers;
    } else {
      if (call.time !== 'init') allInit = false;
      callerRefs = call.handlers;
    }
    callsFromOutsideTheCycle += 1;
    if (callerRefs === undefined) continue;
    for (const ref of callerRefs) refs.push(call.crossFile === true ? through(ref, fn.name) : ref);
  }
  if (callsFromOutsideTheCycle === 0) allInit = false;
  const handlers = allInit ? undefined : sortedHandlers(refs);
  const resolved: Resolution = allInit ? INIT : handlers === undefined ? RUNTIME : { time: 'runtime', handlers };
  fn.resolving = false;
  fn.resolved = resolved;
  return resolved;
}

/** Exported, and nothing scanned calls, registers or passes it: its callers are outside what was scanned. */
function isUncalledExport(fn: FunctionInfo): boolean {
  return fn.exported && fn.usedFromOtherFiles !== true && fn.calls.length === 0 && fn.handlerLabels.length === 0 && !fn.escapes;
}

function through(ref: HandlerRef, fn: string): HandlerRef {
  const via = ref.via ?? [];
  return via.length >= MAX_VIA ? ref : { name: ref.name, via: [...via, fn] };
}
