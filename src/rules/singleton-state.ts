// Instance fields of classes that have one instance per process — NestJS providers, controllers
// and gateways in the default scope, and classes instantiated at module level (`export default new
// JobRegistry()`) — when methods change them at runtime: a Map of OTP codes in an `OtpService` is
// module state under another name.
//
// Judged: fields starting as a collection (Map, Set, array, object) changed at runtime, and
// counters (`this.sent++`, `this.total += n`) and flags (`this.running = true`) stepped at runtime.
// Not state: fields only written in the constructor or in start-up hooks (`onModuleInit`), constant
// lookup tables, injected dependencies (`constructor(private redis: Redis)`), a client created on
// first use (`this.client ??= new Redis()`), request- or transient-scoped providers (rebuilt per
// request or per consumer), flags about the process itself (`this.shuttingDown = true`), and fields
// written only in code that no known handler reaches (an ability registry filled through
// `const { allow } = cancan` from policy files at load looks like that: judging it would guess).
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import type { InitializerKind, InstanceField, MutationSite, SingletonClass, Site } from '../source/app-model.js';
import { describeUse, graded, inSignalHandler, isCounterStep, isFlagWrite, isProcessFlag, nameKind, type SiteNamer } from '../source/state-sites.js';

/** WeakMap/WeakSet are left out: they hang metadata on objects that live no longer than a request. */
const COLLECTION_KINDS: ReadonlySet<InitializerKind> = new Set(['object-literal', 'array-literal', 'map', 'set']);

type Shape = 'collection' | 'counter' | 'flag';

export default defineSourceRule({
  id: 'singleton-state',
  category: 'in-memory-state',
  severity: 'P0',
  effort: 'M',
  docs: {
    summary: 'Runtime state kept in the fields of a per-process singleton (NestJS provider, module-level instance)',
    why: 'A NestJS provider in the default scope, or an object exported as `new X()`, exists once per process: a collection or counter in its fields is held by one replica only and emptied on every restart, so what one pod records the others never see.',
    fix: 'Keep the state in Redis or the database (a TTL for codes and tokens), e.g. inject a Redis client into the provider and store the entries there; keep per-request data in the request.',
  },
  check({ app, links, report }) {
    for (const file of app.files) {
      for (const singleton of file.singletons) {
        const nameSite = methodNamer(singleton);
        for (const field of singleton.fields) {
          const judged = judge(field);
          if (judged === undefined) continue;
          const { shape, writes } = judged;
          const runtimeReads = field.reads.filter((site) => site.time === 'runtime');
          const use = describeUse(writes, runtimeReads, file, nameSite, shape === 'counter' ? 'incremented' : shape === 'flag' ? 'set' : 'written');
          const { cache, critical: criticalName } = nameKind(field.name);
          // Counters and flags hold one number or switch: P1 unless the name says security or job state.
          const critical = !cache && (criticalName || (shape === 'collection' && use.crossHandler));
          const name = `\`${singleton.name}.${field.name}\``;
          const scaled = scaledOut(file.path, links);
          const effect =
            shape === 'counter'
              ? 'each pod counts only its own share, and the count restarts at zero with the pod'
              : shape === 'flag'
                ? 'the flag is set in one pod only, so another replica does not see it and runs the same work or takes the same path, and a restart clears it'
                : 'each pod holds its own copy, so what one replica stores the others never see, and all of it is lost on restart';
          const message = `${name} ${use.where}, and ${singleton.name} has one instance per process (\`${singleton.instantiation}\`): ${effect}${scaled === undefined ? '' : ` (${scaled})`}`;
          report({
            location: field.location,
            ...graded(message, critical, cache, shape === 'collection'
              ? 'one method keeps it to itself and its name does not suggest user, security or job data, so each replica only sees its own share'
              : `a ${shape} whose name does not suggest security or job state`),
            related: use.related,
          });
        }
      }
    }
  },
});

/** What the field is and its runtime writes, when it is state. */
function judge(field: InstanceField): { shape: Shape; writes: MutationSite[] } | undefined {
  const writes = field.mutations.filter((site) => site.time === 'runtime' && !inSignalHandler(site));
  if (writes.length === 0 || field.readonly) return undefined;
  // Only runtime code no handler is known to reach (a public method nobody in the scanned files
  // calls, or one handed out by `const { allow } = instance`): it may as well run at start-up.
  if (!writes.some((site) => site.handlers !== undefined)) return undefined;
  if (COLLECTION_KINDS.has(field.initializer)) return { shape: 'collection', writes };
  if (field.initializer !== 'literal' || isProcessFlag(field.name)) return undefined;
  // A field also (re)created on first use is a lazily built value, not a counter or a flag.
  if (field.mutations.some((site) => site.lazy === true)) return undefined;
  if (writes.some(isCounterStep)) return { shape: 'counter', writes };
  if (writes.some(isFlagWrite)) return { shape: 'flag', writes };
  return undefined;
}

/** Names a site the call graph left unnamed by the method it is in: `OtpService.issue()`. */
function methodNamer(singleton: SingletonClass): SiteNamer {
  return (site: Site) => {
    const method = singleton.methods.find((candidate) => candidate.file === site.file && candidate.line <= site.line && site.line <= candidate.endLine);
    return method === undefined ? undefined : `${singleton.name}.${method.name}()`;
  };
}
