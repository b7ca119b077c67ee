// Module-level `let`/`var` changed while serving: first-request latches (`initialized = true`),
// counters (`requestCount++`), `isRunning` guards and values one handler sets for another. Each pod
// holds its own value, and a restart resets it.
//
// What is judged, and why:
// - counters (`n++`, `n += k`) when the name says it counts (`requestCount`, `total`, `seq`) or
//   another handler reads it: a counter read only where it is stepped (a round-robin index) is per
//   pod by design;
// - guards and latches, i.e. a literal assigned at runtime to a name that says so (`isRunning = true`,
//   `initialized = true`): the guard or latch covers one process;
// - any other value (`status = 'paused'`, `currentPrice = req.body.price`) set in one handler and read
//   in another: both must be named handlers, so a helper's own memo or a warn-once flag is not taken
//   for shared state.
// Only writes in a known handler (a route, listener, timer, job, or a helper one of them calls) are
// judged: a per-pod latch or counter in a helper nobody is seen calling most often guards set-up of
// the process's own (loading a WASM module, filling a local table), which is right per pod.
// Not judged: collections (in-memory-state), values created on first use (`if (!client) client =
// new Redis()`, `client ??= …`, `if (token) return token; token = await fetchToken()`), every
// binding only written at start-up, values every writer recomputes on a timer (a config or
// feature-flag refresh: each replica refreshes its own copy from the same source), values that are
// always a newly constructed object (`io = new Server(server)` in a 'listening' listener: the
// process's own server or client; this also lets `lastSync = new Date()` pass, a price paid for
// precision), flags about the process itself (`shuttingDown`, `connected`, `ready`) and writes in a
// SIGTERM handler.
import { defineSourceRule } from '../rule.js';
import type { InitializerKind, ModuleBinding, MutationSite, Site } from '../source/app-model.js';
import { describeUse, inSignalHandler, isCounterStep, isFlagWrite, isProcessFlag, nameWords } from '../source/state-sites.js';

/** In-memory-state's domain; functions and classes are not values a handler latches. */
const SKIPPED_KINDS: ReadonlySet<InitializerKind> = new Set(['object-literal', 'array-literal', 'map', 'set', 'weak-collection', 'function', 'class']);
const COUNTER_WORD = /^(count|counter|counts|total|totals|hits|requests|served|sent|processed|errors|failures)$/;
/** Counters that hand out identifiers: two replicas hand out the same one. */
const SEQUENCE_WORD = /^(seq|sequence|sequences|id|ids|number|serial)$/;
const GUARD_WORD = /^(running|busy|processing|locked|lock|syncing|importing|exporting|working|sending|polling|in|progress)$/;
const LATCH_WORD = /^(initialized|initialised|init|inited|seeded|done|first|loaded|warmed|migrated|bootstrapped|setup|configured|installed)$/;
/** Labels of callbacks that run on a timer: a value they compute is a per-pod refresh of the same source. */
const TIMER_LABEL = /(^set(Interval|Timeout) callback$|^cron\.schedule callback$|^scheduleJob callback$|^CronJob callback$|^@(Cron|Interval|Timeout) )/;

type Shape = 'counter' | 'sequence' | 'guard' | 'latch' | 'value';

export default defineSourceRule({
  id: 'runtime-latch',
  category: 'in-memory-state',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Module-level `let` changed at runtime: a latch, counter or flag that lives in one pod',
    why: 'A module-level variable exists once per process: a counter counts one replica\'s share, an `isRunning` guard does not stop the same job on another replica, a first-request latch fires once per pod, and all of them reset on restart.',
    fix: 'Keep the value where every replica sees it: a Redis counter (`INCR`) or lock (`SET key NX PX`), a database row for one-time set-up, or run one-time work in an init container or a Job.',
  },
  check({ app, report }) {
    for (const file of app.files) {
      for (const binding of file.bindings) {
        if ((binding.declarationKind !== 'let' && binding.declarationKind !== 'var') || SKIPPED_KINDS.has(binding.initializer)) continue;
        const writes = binding.mutations.filter((site) => site.time === 'runtime' && !inSignalHandler(site));
        if (writes.length === 0 || isProcessFlag(binding.name)) continue;
        if (binding.mutations.some((site) => site.lazy === true)) continue;
        const runtimeReads = binding.reads.filter((site) => site.time === 'runtime');
        const shape = shapeOf(binding, writes, runtimeReads);
        if (shape === undefined) continue;
        const use = describeUse(writes, runtimeReads, file, undefined, shape === 'counter' || shape === 'sequence' ? 'incremented' : shape === 'latch' ? 'latched' : shape === 'guard' ? 'set' : 'reassigned');
        report({
          location: binding.location,
          message: `\`${binding.name}\` ${use.where}: ${EFFECTS[shape]}`,
          related: use.related,
        });
      }
    }
  },
});

const EFFECTS: Record<Shape, string> = {
  counter: 'each pod counts only the work it serves itself and starts again from zero on restart, so the number is one replica\'s share',
  sequence: 'each replica steps its own copy from the same start value and a restart goes back to it, so two pods hand out the same numbers',
  guard: 'the guard covers this process only, so another replica runs the same work at the same time, and a pod killed mid-run leaves nothing behind to say so',
  latch: 'each pod latches on its own first use, so the work it guards runs once per replica and again after every restart',
  value: 'each pod holds its own value, so replicas answer differently depending on which one a request reaches, and a restart resets it',
};

function shapeOf(binding: ModuleBinding, writes: readonly MutationSite[], reads: readonly Site[]): Shape | undefined {
  const words = nameWords(binding.name);
  // Code no known handler reaches (a helper's `if (!initialized) { await initWasm(); initialized = true; }`,
  // a UI widget's `nextTabId++`) most often sets up or numbers something of the process's own.
  if (!writes.some((site) => site.handlers !== undefined)) return undefined;
  if (writes.some(isCounterStep)) {
    if (words.some((word) => SEQUENCE_WORD.test(word))) return 'sequence';
    return words.some((word) => COUNTER_WORD.test(word)) || readElsewhere(writes, reads) ? 'counter' : undefined;
  }
  if (writes.some(isFlagWrite)) {
    if (words.some((word) => GUARD_WORD.test(word))) {
      // Set and reset inside one handler (`if (isRunning) return; isRunning = true; … finally { isRunning = false }`):
      // the check-then-set guard in-process-lock reports at the guard; one finding per root cause.
      const writers = new Set(writes.flatMap((site) => (site.handlers ?? []).map((ref) => ref.name)));
      return writes.length >= 2 && writers.size === 1 ? undefined : 'guard';
    }
    if (words.some((word) => LATCH_WORD.test(word))) return 'latch';
    // `warned = true` in a warn-once helper stays in its handler: per pod by design.
    return readElsewhere(writes, reads) ? 'value' : undefined;
  }
  // A value every writer recomputes on a timer is a per-pod refresh of the same source.
  if (writes.every((site) => site.handlers !== undefined && site.handlers.every((ref) => TIMER_LABEL.test(ref.name)))) return undefined;
  // `io = new Server(httpServer)` in a 'listening' listener: an object the process builds for itself, once.
  if (writes.every((site) => site.value === 'new-instance')) return undefined;
  return readElsewhere(writes, reads) ? 'value' : undefined;
}

/** A named handler reads the value that no writer runs in. */
function readElsewhere(writes: readonly Site[], reads: readonly Site[]): boolean {
  const writers = new Set(writes.flatMap((site) => (site.handlers ?? []).map((ref) => ref.name)));
  if (writers.size === 0) return false;
  return reads.some((site) => (site.handlers ?? []).some((ref) => !writers.has(ref.name)));
}
