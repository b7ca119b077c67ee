// Module-level collections (and class static fields) that handlers change at runtime: each pod
// keeps its own copy and loses it on restart.
import type { RelatedLocation } from '../findings.js';
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import { handlerText } from '../source/call-graph.js';
import type { InitializerKind, Site, SourceFileFacts } from '../source/app-model.js';

/** WeakMap/WeakSet are left out: they hang metadata on objects that live no longer than a request. */
const COLLECTION_KINDS: ReadonlySet<InitializerKind> = new Set(['object-literal', 'array-literal', 'map', 'set']);

/** A cache is refilled from its source of truth; replicas diverging costs freshness, not data. */
const CACHE_WORD = /^(cache|cached|memo|memoized|lru)$/;

/** Words of a name that say the collection holds user, security or job state (matched per word, so `borders` is not `orders`). */
const CRITICAL_WORD =
  /^(otp|code|token|session|ban|banned|block|blocked|attempt|ip|rate|limit|limiter|lock|job|task|stop|stopped|cancel|cancelled|canceled|pending|queue|registry|registries|subscription|subscriber|client|socket|connection|user|upload|history|message|chat|room|cart|order|status|statuses|result|progress|presence|lobby|lobbies|game|player)s?$/;

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
        const writers = handlerNames(writes, file);
        const readers = handlerNames(runtimeReads, file);
        // The story is "written here, read there": a handler that both reads and writes is named as a reader.
        const writersOnly = [...writers.keys()].filter((name) => !readers.has(name));
        const crossHandler =
          writers.size > 1 ||
          [...readers.keys()].some((reader) => [...writers.keys()].some((writer) => writer !== reader)) ||
          writes.some((site) => site.file !== file.path);
        const words = nameWords(binding.name);
        const cache = words.some((word) => CACHE_WORD.test(word));
        const critical = !cache && (crossHandler || words.some((word) => CRITICAL_WORD.test(word)));
        const name = `\`${binding.className === undefined ? binding.name : `${binding.className}.${binding.name}`}\``;
        let where: string;
        if (readers.size === 0) where = `is written in ${list(writers)}`;
        else if (writersOnly.length > 0) where = `is written in ${list(pick(writers, writersOnly))} and read in ${list(readers)}`;
        else if (readers.size === writers.size) where = `is written and read in ${list(merge(writers, readers))}`;
        else where = `is written in ${list(writers)} and read in ${list(readers)}`;
        const shownReads = readers.size === writers.size && writersOnly.length === 0 ? [] : runtimeReads;
        // Where the manifests scale this code out, the message says how far.
        const scaled = scaledOut(file.path, links);
        const message = `${name} ${where}: each pod holds its own copy, so what one replica stores the others never see, and all of it is lost on restart${scaled === undefined ? '' : ` (${scaled})`}`;
        report({
          location: binding.location,
          message: critical
            ? message
            : cache
              ? `${message} (P1: it looks like a cache, so each replica refills its own copy; it breaks where a write must be seen by every replica at once)`
              : `${message} (P1: one handler keeps it to itself and its name does not suggest user, security or job data, so each replica only sees its own share)`,
          severity: critical ? 'P0' : 'P1',
          related: related(writes, shownReads),
        });
      }
    }
  },
});

/** Each handler a site runs in, with the functions in other files it reaches the site through. */
type Handlers = Map<string, Set<string>>;

/**
 * Where sites run: handler names in order of first use, each with the cross-file functions it goes
 * through (`POST /login/verify` via `recordFailure()`), then unlabelled runtime code grouped per
 * file (`runtime code (lines 15, 21)`).
 */
function handlerNames(sites: readonly Site[], file: SourceFileFacts): Handlers {
  const names: Handlers = new Map();
  const unlabelled = new Map<string, number[]>();
  for (const site of sites) {
    if (site.handlers !== undefined) {
      for (const ref of site.handlers) {
        const via = names.get(ref.name) ?? new Set<string>();
        if (ref.via !== undefined && ref.via.length > 0) via.add(ref.via.map((fn) => `${fn}()`).join(' → '));
        names.set(ref.name, via);
      }
      continue;
    }
    const lines = unlabelled.get(site.file) ?? [];
    if (!lines.includes(site.line)) lines.push(site.line);
    unlabelled.set(site.file, lines);
  }
  for (const [path, lines] of unlabelled) {
    const where = lines.length === 1 ? `line ${lines[0]}` : `lines ${lines.join(', ')}`;
    names.set(path === file.path ? `runtime code (${where})` : `runtime code (${path}, ${where})`, new Set());
  }
  return names;
}

function pick(handlers: Handlers, names: readonly string[]): Handlers {
  return new Map(names.map((name) => [name, handlers.get(name) ?? new Set<string>()]));
}

function merge(first: Handlers, second: Handlers): Handlers {
  const merged: Handlers = new Map();
  for (const handlers of [first, second]) {
    for (const [name, via] of handlers) merged.set(name, new Set([...(merged.get(name) ?? []), ...via]));
  }
  return merged;
}

/**
 * `` `POST /a` and `POST /b` ``, each followed by the functions it goes through; when every
 * handler goes through the same ones they are said once, after the list.
 */
function list(handlers: Handlers): string {
  const entries = [...handlers].map(([name, via]) => ({ name: name.startsWith('runtime code') ? name : `\`${name}\``, via: via.size === 0 ? '' : ` (via ${join([...via].sort().map((fn) => `\`${fn}\``))})` }));
  const shared = entries.length > 1 && entries.every((entry) => entry.via !== '' && entry.via === entries[0]!.via);
  if (shared) return `${join(entries.map((entry) => entry.name))}${entries[0]!.via}`;
  return join(entries.map((entry) => `${entry.name}${entry.via}`));
}

function join(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function related(writes: readonly Site[], reads: readonly Site[]): RelatedLocation[] {
  const locations: RelatedLocation[] = [];
  const seen = new Set<string>();
  const add = (site: Site, verb: string): void => {
    const key = `${site.file}:${site.line}`;
    if (seen.has(key)) return;
    seen.add(key);
    const handler = handlerText(site);
    locations.push({ file: site.file, line: site.line, message: handler === undefined ? `${verb} here` : `${verb} in ${handler}` });
  };
  for (const site of writes) add(site, 'written');
  for (const site of reads) add(site, 'read');
  return locations;
}

/** `loginCodes` → `login`, `codes`; `BANNED_IPS` → `banned`, `ips`. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase());
}
