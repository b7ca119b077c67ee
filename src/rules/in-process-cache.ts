// Caches held in the process: node-cache, lru-cache, quick-lru, mnemonist's LRU, memory-cache,
// cache-manager's memory store and Keyv without an adapter. Each replica fills and expires its own
// copy (P2); when a request or job invalidates the cache, the invalidation reaches one pod and the
// others keep serving the old entry until it expires (P1).
//
// Left out on purpose:
// - a cache filled only at start-up and never written or invalidated at runtime: a lookup table
//   loaded once per pod, which in-memory-state also leaves alone;
// - a memoiser: never invalidated, no expiry option, and named for what it memoises (`compiled`,
//   `rendered`, `memo`…). Whether the key derives only from the input is beyond a syntactic look,
//   so the name carries the intent; every replica computes the same values, so nothing diverges;
// - a cache invalidated only from Redis pub/sub (`subscriber.on('message', key => cache.del(key))`):
//   a message every replica receives is the fix for the stale-entry problem, not the problem;
// - a cache created inside a function (per request or per job): nothing is shared across requests.
import type { RelatedLocation } from '../findings.js';
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import type { LibraryCall, ModuleBinding, ReadSite, Site, SourceFileFacts } from '../source/app-model.js';
import { handlerText } from '../source/call-graph.js';
import { isBroadcast, servesOnePod } from '../source/handler-kinds.js';
import { joinWords } from '../prose.js';

/** Calls that drop entries: node-cache `del`/`flushAll`, lru-cache `delete`/`clear`, cache-manager `del`/`reset`/`clear`. */
const INVALIDATING = new Set(['del', 'mdel', 'delete', 'clear', 'flushAll', 'reset', 'purgeStale']);
/** Calls that fill the cache. */
const FILLING = new Set(['set', 'mset', 'put', 'wrap', 'fetch']);
/** Options that make entries expire. */
const EXPIRY = /^(ttl|stdTTL|maxAge|ttlAutopurge|defaultTtl)$/i;
/** Names of memoisers of pure functions. */
const MEMO_WORD = /^(memo|memoized|memoised|compiled|rendered|parsed|template|templates|regex|regexes|pattern|patterns|slug|slugs|hash|hashes)$/;
/** A store living outside the process (cache-manager stores, Keyv adapters). */
const SHARED_STORE = /redis|valkey|memcache|mongo|postgres|mysql|sqlite|etcd|dynamo|cassandra|firestore/i;
/** Keyv stores that stay in the process. */
const MEMORY_STORE = /^new Map\b|CacheableMemory|LRU/;

const ANY_EXPORT = new Set(['default', '*']);

/** What the call creates, described; undefined for anything else, or a cache with a shared store. */
function inProcessCache(call: LibraryCall): string | undefined {
  const named = (name: string): boolean => (call.imported === name && call.member === undefined) || (ANY_EXPORT.has(call.imported) && call.member === name);
  const whole = ANY_EXPORT.has(call.imported) && call.member === undefined;
  switch (call.module) {
    case 'node-cache':
      return call.isNew && whole ? 'a node-cache `NodeCache`' : undefined;
    case 'lru-cache':
      // v10 exports `LRUCache`; v7 and older export the class as the module (`new LRU()`).
      return call.isNew && (named('LRUCache') || whole) ? 'an lru-cache `LRUCache`' : undefined;
    case 'quick-lru':
      return call.isNew && whole ? 'a quick-lru `QuickLRU`' : undefined;
    case 'mnemonist':
      return call.isNew && ['LRUCache', 'LRUMap', 'LRUCacheWithDelete', 'LRUMapWithDelete'].some(named) ? `a mnemonist \`${call.member ?? call.imported}\`` : undefined;
    case 'mnemonist/lru-cache':
    case 'mnemonist/lru-map':
      return call.isNew && whole ? 'a mnemonist LRU' : undefined;
    case 'memory-cache':
      return call.isNew && call.member === 'Cache' ? 'a memory-cache `Cache`' : undefined;
    case 'keyv': {
      if (!call.isNew || !(whole || named('Keyv')) || call.optionsUnknown === true || call.firstArgument !== undefined) return undefined;
      const store = call.options?.store;
      const uri = call.options?.uri;
      return uri === undefined && (store === undefined || MEMORY_STORE.test(store)) ? 'a `Keyv` with no storage adapter, so a Map in the process' : undefined;
    }
    case 'cache-manager':
      if (named('caching')) {
        const store = call.options?.store;
        return call.firstArgument === 'memory' || store === "'memory'" || store === '"memory"' ? 'a cache-manager `caching` with the memory store' : undefined;
      }
      if (named('createCache')) {
        if (call.optionsUnknown === true) return undefined;
        const stores = call.options?.stores;
        return stores === undefined || !SHARED_STORE.test(stores) ? 'a cache-manager `createCache` with no shared store, so its in-memory Keyv' : undefined;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * `CacheModule.register()` (`@nestjs/cache-manager`, or `@nestjs/common` up to Nest 8) with no
 * `store`: cache-manager's memory store behind every `CACHE_MANAGER` injection and `CacheInterceptor`.
 * `registerAsync` counts when its factory is written inline and names no store.
 */
function nestMemoryCache(call: LibraryCall): boolean {
  if ((call.module !== '@nestjs/cache-manager' && call.module !== '@nestjs/common') || call.imported !== 'CacheModule' || call.isNew) return false;
  if (call.member === 'register') return call.optionsUnknown !== true && (call.options?.store === undefined || call.options.store === "'memory'") && call.options?.stores === undefined;
  if (call.member !== 'registerAsync') return false;
  const factory = call.options?.useFactory;
  return factory !== undefined && factory.length < 200 && !/\bstores?\b/.test(factory) && !SHARED_STORE.test(factory);
}

/** memory-cache's module is itself a cache: `cache.put(k, v)` on the import fills the process-wide one. */
function isMemoryCacheSingleton(call: LibraryCall): boolean {
  return call.module === 'memory-cache' && !call.isNew && ANY_EXPORT.has(call.imported);
}

export default defineSourceRule({
  id: 'in-process-cache',
  category: 'module-cache',
  severity: 'P2',
  effort: 'S',
  docs: {
    summary: 'Cache held in process memory',
    why: 'Each replica fills and expires its own copy of an in-process cache, so two requests can be served different versions of an entry, and every restart starts cold. When a write invalidates the cache, only the pod that served the write drops the entry: the other replicas keep serving the old value until it expires.',
    fix: 'Use a shared cache (cache-manager or Keyv with a Redis store, `@keyv/redis`), or broadcast invalidations to every replica (Redis pub/sub), or keep TTLs short enough that stale reads do not matter.',
  },
  check({ app, links, report }) {
    const singletonInvalidations: Invalidation[] = [];
    for (const file of app.files) {
      for (const call of file.libraryCalls) {
        if (isMemoryCacheSingleton(call) && call.member !== undefined && INVALIDATING.has(call.member) && call.time === 'runtime') singletonInvalidations.push({ site: call, method: call.member });
      }
    }
    for (const file of app.files) {
      const scaled = scaledOut(file.path, links);
      const suffix = scaled === undefined ? '' : ` (${scaled})`;
      for (const call of file.libraryCalls) {
        const what = inProcessCache(call);
        if (what === undefined || call.moduleLevel !== true || call.assignedTo === undefined) continue;
        const binding = file.bindings.find((candidate) => candidate.name === call.assignedTo && candidate.declarationKind !== 'static-field');
        if (binding === undefined) continue;
        const uses = cacheUses(binding);
        if (uses.invalidations.length === 0 && uses.runtimeFills.length === 0 && uses.initFills.length > 0) continue;
        const expires = Object.keys(call.options ?? {}).some((key) => EXPIRY.test(key));
        if (uses.invalidations.length === 0 && !expires && nameWords(binding.name).some((word) => MEMO_WORD.test(word))) continue;
        const finding = grade(`\`${binding.name}\` (${what})`, binding.name, uses.invalidations, file, suffix);
        if (finding !== undefined) report({ location: call, ...finding });
      }
      for (const call of file.libraryCalls) {
        if (!nestMemoryCache(call)) continue;
        report({
          location: call,
          message:
            `\`CacheModule.${call.member!}()\` names no \`store\`, so every \`CACHE_MANAGER\` injection and \`CacheInterceptor\` uses cache-manager's memory store in each pod: ` +
            `replicas fill and expire their own copies, and a \`del()\` in a write handler reaches one pod only${suffix}.`,
        });
      }
      // memory-cache's process-wide cache: one finding per file that fills it, at its first fill.
      const firstPut = file.libraryCalls.find((call) => isMemoryCacheSingleton(call) && call.member === 'put' && call.time === 'runtime');
      if (firstPut !== undefined) {
        const finding = grade('memory-cache\'s process-wide cache', undefined, singletonInvalidations, file, suffix);
        if (finding !== undefined) report({ location: firstPut, ...finding });
      }
    }
  },
});

interface CacheUses {
  invalidations: Invalidation[];
  runtimeFills: Site[];
  initFills: Site[];
}

function cacheUses(binding: ModuleBinding): CacheUses {
  const uses: CacheUses = { invalidations: [], runtimeFills: [], initFills: [] };
  const sites: { site: Site; method?: string }[] = [
    ...binding.reads.map((site: ReadSite) => ({ site, method: site.method })),
    ...binding.mutations.map((site) => ({ site, method: site.kind === 'mutator-call' ? site.method : undefined })),
  ];
  for (const { site, method } of sites) {
    if (method === undefined) continue;
    if (INVALIDATING.has(method) && site.time === 'runtime') uses.invalidations.push({ site, method });
    else if (FILLING.has(method)) (site.time === 'runtime' ? uses.runtimeFills : uses.initFills).push(site);
  }
  return uses;
}

/**
 * The level and message, from where the cache is invalidated; undefined when only Redis pub/sub
 * deliveries invalidate it. `receiver` names the binding in `productCache.del()`.
 */
function grade(
  name: string,
  receiver: string | undefined,
  invalidations: readonly Invalidation[],
  file: SourceFileFacts,
  suffix: string,
): { severity: 'P1' | 'P2'; message: string; related?: RelatedLocation[] } | undefined {
  const byRequests = invalidations.filter(({ site }) => site.handlers?.some(servesOnePod) === true);
  if (byRequests.length > 0) {
    const callText = (method: string): string => (receiver === undefined ? `${method}()` : `${receiver}.${method}()`);
    const calls = [...new Set(byRequests.map(({ site, method }) => `\`${callText(method)}\` in \`${handlerText(site)!}\``))].sort();
    return {
      severity: 'P1',
      message:
        `${name} is invalidated by ${joinWords(calls)}, which run${byRequests.length === 1 ? 's' : ''} in one pod only: the other replicas keep their copy and serve the old entry until its TTL runs out${suffix} ` +
        '(P1: a write is not seen by every replica).',
      related: byRequests.map(({ site, method }) => ({ file: site.file, line: site.line, message: `${callText(method)} in ${handlerText(site)!}` })),
    };
  }
  const unlabelled = invalidations.map(({ site }) => site).filter((site) => site.handlers === undefined);
  if (invalidations.length > 0 && unlabelled.length === 0 && invalidations.every(({ site }) => site.handlers!.every(isBroadcast))) {
    // Invalidated from messages every replica receives: the broadcast is already there.
    return undefined;
  }
  const where = unlabelled.length > 0
    ? `; it is also invalidated at runtime (${unlabelled.map((site) => (site.file === file.path ? `line ${site.line}` : `${site.file}:${site.line}`)).join(', ')}), and if a request runs that, the other replicas keep the old entry`
    : '';
  return {
    severity: 'P2',
    message: `${name} lives in each pod: every replica fills and expires its own copy, so two requests can see different versions of an entry until it expires or is evicted, and a restart starts cold${where}${suffix}.`,
  };
}

interface Invalidation {
  site: Site;
  method: string;
}

/** `productCache` → `product`, `cache`; `COMPILED_TEMPLATES` → `compiled`, `templates`. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase());
}
