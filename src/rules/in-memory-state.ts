// Module-level collections (and class static fields) that handlers change at runtime: each pod
// keeps its own copy and loses it on restart.
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import type { InitializerKind } from '../source/app-model.js';
import { describeUse, graded, nameKind } from '../source/state-sites.js';

/** WeakMap/WeakSet are left out: they hang metadata on objects that live no longer than a request. */
const COLLECTION_KINDS: ReadonlySet<InitializerKind> = new Set(['object-literal', 'array-literal', 'map', 'set']);

export default defineSourceRule({
  id: 'in-memory-state',
  category: 'in-memory-state',
  severity: 'P0',
  effort: 'M',
  docs: {
    summary: 'Runtime state kept in a module-level collection',
    why: 'A Map, Set, array or object at module scope lives in one process: every replica holds a different copy and a restart empties it, so state written through one pod is missing on the others.',
    fix: 'Move the state to Redis or the database (with a TTL for short-lived entries such as codes and tokens), or keep it in the request if it is per-request.',
  },
  check({ app, links, report }) {
    for (const file of app.files) {
      // Collections of live connections (WebSockets, SSE responses) are connection-registry's: one root cause, one finding.
      const registries = new Set(file.realtime.connectionAdds.map((add) => add.binding));
      for (const binding of file.bindings) {
        if (!COLLECTION_KINDS.has(binding.initializer) || binding.readonly || registries.has(binding.name)) continue;
        const writes = binding.mutations.filter((site) => site.time === 'runtime');
        if (writes.length === 0) continue;
        const runtimeReads = binding.reads.filter((site) => site.time === 'runtime');
        const use = describeUse(writes, runtimeReads, file);
        const { cache, critical: criticalName } = nameKind(binding.name, binding.typeName);
        const critical = !cache && (use.crossHandler || criticalName);
        const name = `\`${binding.className === undefined ? binding.name : `${binding.className}.${binding.name}`}\``;
        // Where the manifests scale this code out, the message says how far.
        const scaled = scaledOut(file.path, links);
        const message = `${name} ${use.where}: each pod holds its own copy, so what one replica stores the others never see, and all of it is lost on restart${scaled === undefined ? '' : ` (${scaled})`}`;
        report({
          location: binding.location,
          ...graded(message, critical, cache, 'one handler keeps it to itself and its name does not suggest user, security or job data, so each replica only sees its own share'),
          related: use.related,
        });
      }
    }
  },
});
