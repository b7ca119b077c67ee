// Mutual exclusion only one process sees: an async-mutex `Mutex`/`Semaphore` or an async-lock
// `AsyncLock` at module level used by handlers, and the check-then-set flag
// (`if (isExporting) return; isExporting = true; … finally { isExporting = false }`) in a handler.
// Each replica has its own lock, so N replicas run the critical section N at a time.
//
// The flag form is kept to the guard itself: a module `let` tested as the whole condition of an
// `if` that returns or throws, and both set and reset in the same handler. The finding points at the
// guard, not at the declaration, so it never lands on the line runtime-latch reports for a `let`
// changed at runtime. A lock around a lazy initialisation (`mutex.runExclusive(() => client ??=
// connect())`) protects this process's own client and is left alone, as is a lock created per
// request or job, and a Redlock (the fix).
import type { RelatedLocation } from '../findings.js';
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import type { LibraryCall, Site, SourceFileFacts } from '../source/app-model.js';
import { handlerText } from '../source/call-graph.js';
import { joinWords } from '../prose.js';

/** The methods that run a critical section: async-mutex `runExclusive`/`acquire`, async-lock `acquire`. */
const CRITICAL_SECTION = new Set(['runExclusive', 'acquire']);

/** What the call creates, described; undefined for anything else. */
function lockKind(call: LibraryCall): string | undefined {
  if (call.module === 'async-mutex') {
    const name = call.member ?? call.imported;
    if (call.isNew && (name === 'Mutex' || name === 'Semaphore')) return `an async-mutex \`${name}\``;
    // `withTimeout(new Mutex(), 5000)`: the binding holds the wrapped mutex.
    if (!call.isNew && name === 'withTimeout') return 'an async-mutex `withTimeout` mutex';
    return undefined;
  }
  if (call.module === 'async-lock' && call.isNew && (call.imported === 'default' || call.imported === '*') && call.member === undefined) return 'an async-lock `AsyncLock`';
  return undefined;
}

export default defineSourceRule({
  id: 'in-process-lock',
  category: 'module-cache',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Lock that only serialises work within one process',
    why: 'A mutex, semaphore or "already running" flag in module memory is invisible to the other pods: with N replicas, N copies of the critical section run at once (two exports, two payouts, two migrations of the same rows), and the lock gives a false sense of safety.',
    fix: 'Take the lock where every replica sees it: a Redis lock (Redlock), a database advisory lock or `SELECT … FOR UPDATE` on the row, or move the work to a single-replica worker or a queue with one consumer per key.',
  },
  check({ app, links, report }) {
    for (const file of app.files) {
      const scaled = scaledOut(file.path, links);
      const suffix = scaled === undefined ? '' : ` (${scaled})`;
      for (const call of file.libraryCalls) {
        const kind = lockKind(call);
        if (kind === undefined || call.moduleLevel !== true || call.assignedTo === undefined) continue;
        const binding = file.bindings.find((candidate) => candidate.name === call.assignedTo && candidate.declarationKind !== 'static-field');
        if (binding === undefined) continue;
        const sections = binding.reads.filter((site) => site.time === 'runtime' && site.method !== undefined && CRITICAL_SECTION.has(site.method) && site.lazyInit !== true);
        if (sections.length === 0) continue;
        const guarded = places(sections, file);
        report({
          location: call,
          message: `\`${binding.name}\` (${kind}) serialises ${guarded} within one pod only: each replica has its own lock, so two replicas run the critical section at the same time${suffix}.`,
          related: related(sections, 'critical section'),
        });
      }
      for (const binding of file.bindings) {
        if (binding.declarationKind === 'const' || binding.declarationKind === 'static-field' || binding.initializer !== 'literal') continue;
        for (const guard of binding.reads) {
          if (guard.exitGuard !== true || guard.time !== 'runtime') continue;
          // Set and reset in the handler (`flag = true … finally { flag = false }`): a lock. Set once
          // and never reset is a run-once latch, which is runtime-latch's to report.
          const sets = binding.mutations.filter((site) => site.kind === 'reassign' && site.time === 'runtime' && sameHandler(site, guard));
          if (sets.length < 2) continue;
          report({
            location: guard,
            message:
              `\`${binding.name}\` is checked and set in ${places([guard], file)} as a lock (\`if (${binding.name}) return\`): the flag lives in one pod's memory, ` +
              `so it only stops overlapping runs inside this process, and every replica runs the guarded work at the same time${suffix}.`,
            related: related(sets, 'set'),
          });
        }
      }
    }
  },
});

function sameHandler(a: Site, b: Site): boolean {
  if (a.handlers === undefined || b.handlers === undefined) return a.handlers === b.handlers && a.file === b.file;
  const names = new Set(a.handlers.map((ref) => ref.name));
  return b.handlers.some((ref) => names.has(ref.name));
}

/** `` `POST /exports` and `cron.schedule callback` ``, or `runtime code (line 12)`. */
function places(sites: readonly Site[], file: SourceFileFacts): string {
  const names = new Set<string>();
  for (const site of sites) {
    const handler = handlerText(site);
    names.add(handler === undefined ? `runtime code (${site.file === file.path ? '' : `${site.file}, `}line ${site.line})` : `\`${handler}\``);
  }
  return joinWords([...names].sort());
}

function related(sites: readonly Site[], verb: string): RelatedLocation[] {
  return sites.map((site) => {
    const handler = handlerText(site);
    return { file: site.file, line: site.line, message: handler === undefined ? `${verb} here` : `${verb} in ${handler}` };
  });
}
