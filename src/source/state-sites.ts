// Shared by the in-memory-state rule family (in-memory-state, singleton-state, global-state,
// runtime-latch; src/rules holds rules only): names the handlers a piece of state is written and read
// in, and grades it (P0 when one handler writes what another reads, or the name says user,
// security or job data; P1 for caches and state one handler keeps to itself).
import type { Level, RelatedLocation } from '../findings.js';
import { handlerText } from './call-graph.js';
import type { MutationSite, Site, SourceFileFacts } from './app-model.js';
import { joinWords } from '../prose.js';

/** A cache is refilled from its source of truth; replicas diverging costs freshness, not data. */
const CACHE_WORD = /^(cache|cached|memo|memoized|lru)$/;

/** Words of a name that say the collection holds user, security or job state (matched per word, so `borders` is not `orders`). */
const CRITICAL_WORD =
  /^(otp|code|token|session|ban|banned|block|blocked|attempt|ip|rate|limit|limiter|lock|job|task|stop|stopped|cancel|cancelled|canceled|pending|queue|registry|registries|subscription|subscriber|client|socket|connection|user|upload|history|message|chat|room|cart|order|status|statuses|result|progress|presence|lobby|lobbies|game|player)s?$/;

/** Each handler a site runs in, with the functions in other files it reaches the site through. */
export type Handlers = Map<string, Set<string>>;

/** Names a runtime site the call graph left unnamed: `runtime code (line 15)` unless the caller knows better (a method name). */
export type SiteNamer = (site: Site) => string | undefined;

/**
 * Where sites run: handler names in order of first use, each with the cross-file functions it goes
 * through (`POST /login/verify` via `recordFailure()`), then unlabelled runtime code grouped per
 * file (`runtime code (lines 15, 21)`), or named by `nameSite` when it can.
 */
export function handlerNames(sites: readonly Site[], file: SourceFileFacts, nameSite?: SiteNamer): Handlers {
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
    const named = nameSite?.(site);
    if (named !== undefined) {
      if (!names.has(named)) names.set(named, new Set());
      continue;
    }
    const lines = unlabelled.get(site.file) ?? [];
    if (!lines.includes(site.line)) lines.push(site.line);
    unlabelled.set(site.file, lines);
  }
  for (const [path, lines] of unlabelled) {
    const where = lines.length === 1 ? `line ${lines[0]}` : `lines ${joinWords(lines.map(String), MAX_LINES)}`;
    names.set(path === file.path ? `runtime code (${where})` : `runtime code (${path}, ${where})`, new Set());
  }
  return names;
}

/**
 * A message names a few places and counts the rest (every site is still a related location):
 * juice-shop's challenge cache is read in over forty places.
 */
const MAX_HANDLERS = 4;
const MAX_VIA = 3;
const MAX_LINES = 5;

export interface StateUse {
  /** `is written in \`POST /a\` and read in \`POST /b\``. */
  where: string;
  /** Written in one handler and read (or written) in another, or from another file. */
  crossHandler: boolean;
  writers: Handlers;
  readers: Handlers;
  related: RelatedLocation[];
}

/** How runtime writes and reads of one piece of state spread over handlers, as a message says it. */
export function describeUse(writes: readonly Site[], runtimeReads: readonly Site[], file: SourceFileFacts, nameSite?: SiteNamer, written = 'written'): StateUse {
  const writers = handlerNames(writes, file, nameSite);
  const readers = handlerNames(runtimeReads, file, nameSite);
  // The story is "written here, read there": a handler that both reads and writes is named as a reader.
  const writersOnly = [...writers.keys()].filter((name) => !readers.has(name));
  const crossHandler =
    writers.size > 1 ||
    [...readers.keys()].some((reader) => [...writers.keys()].some((writer) => writer !== reader)) ||
    writes.some((site) => site.file !== file.path);
  let where: string;
  if (readers.size === 0) where = `is ${written} in ${list(writers)}`;
  else if (writersOnly.length > 0) where = `is ${written} in ${list(pick(writers, writersOnly))} and read in ${list(readers)}`;
  else if (readers.size === writers.size) where = `is ${written} and read in ${list(merge(writers, readers))}`;
  else where = `is ${written} in ${list(writers)} and read in ${list(readers)}`;
  const shownReads = readers.size === writers.size && writersOnly.length === 0 ? [] : runtimeReads;
  return { where, crossHandler, writers, readers, related: related(writes, shownReads, nameSite) };
}

/**
 * Whether a name says cache, or user/security/job data. A declared type may say cache too
 * (`const CodeFixes: cache = {}` in juice-shop: a memo of files read from disk, not codes).
 */
export function nameKind(name: string, typeName?: string): { cache: boolean; critical: boolean } {
  const words = nameWords(name);
  const cache = [...words, ...(typeName === undefined ? [] : nameWords(typeName))].some((word) => CACHE_WORD.test(word));
  return { cache, critical: !cache && words.some((word) => CRITICAL_WORD.test(word)) };
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
export function list(handlers: Handlers): string {
  const entries = [...handlers].map(([name, via]) => ({ name: name.startsWith('runtime code') ? name : `\`${name}\``, via: via.size === 0 ? '' : ` (via ${joinWords([...via].sort().map((fn) => `\`${fn}\``), MAX_VIA)})` }));
  const shared = entries.length > 1 && entries.every((entry) => entry.via !== '' && entry.via === entries[0]!.via);
  if (shared) return `${joinWords(entries.map((entry) => entry.name), MAX_HANDLERS)}${entries[0]!.via}`;
  return joinWords(entries.map((entry) => `${entry.name}${entry.via}`), MAX_HANDLERS);
}



export function related(writes: readonly Site[], reads: readonly Site[], nameSite?: SiteNamer): RelatedLocation[] {
  const locations: RelatedLocation[] = [];
  const seen = new Set<string>();
  const add = (site: Site, verb: string): void => {
    const key = `${site.file}:${site.line}`;
    if (seen.has(key)) return;
    seen.add(key);
    const handler = handlerText(site) ?? nameSite?.(site);
    locations.push({ file: site.file, line: site.line, message: handler === undefined ? `${verb} here` : `${verb} in ${handler}` });
  };
  for (const site of writes) add(site, 'written');
  for (const site of reads) add(site, 'read');
  return locations;
}

/** `loginCodes` → `login`, `codes`; `BANNED_IPS` → `banned`, `ips`. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase());
}

/** Words of a flag about the process itself — its own connection, readiness or shutdown — which is per pod by nature. */
const PROCESS_WORD = /^(connected|disconnected|ready|healthy|alive|live|shutting|shutdown|closing|closed|draining|terminating|stopping|listening)$/;

export function isProcessFlag(name: string): boolean {
  return nameWords(name).some((word) => PROCESS_WORD.test(word));
}

/** A write in a `process.on('SIGTERM')` handler: the process's own shutdown, not shared state. */
export function inSignalHandler(site: Site): boolean {
  return site.handlers !== undefined && site.handlers.length > 0 && site.handlers.every((ref) => ref.name.startsWith("'SIG"));
}

/** A counter's step: `n++`, `n += 1`. */
export function isCounterStep(site: MutationSite): boolean {
  return site.kind === 'update' || site.compound === true;
}

/** A flag or latch being set: `running = true`, `initialized = true`, `lastRun = null`. */
export function isFlagWrite(site: MutationSite): boolean {
  return site.kind === 'reassign' && site.value === 'literal' && site.lazy !== true;
}

/**
 * The level of a finding about state and its message, which says why when it is only P1: a cache
 * (each replica refills its own copy), or `otherwise` (the reason the state is not critical).
 */
export function graded(message: string, critical: boolean, cache: boolean, otherwise: string): { message: string; severity: Level } {
  if (critical) return { message, severity: 'P0' };
  const reason = cache ? 'it looks like a cache, so each replica refills its own copy; it breaks where a write must be seen by every replica at once' : otherwise;
  return { message: `${message} (P1: ${reason})`, severity: 'P1' };
}
