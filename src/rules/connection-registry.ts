// Fan-out that only reaches the connections of one process: module collections holding WebSocket
// connections or SSE responses, a ws server's own client set iterated to push, a module-level
// EventEmitter carrying events from one handler to listeners added by another, and
// graphql-subscriptions' in-memory PubSub. A message published through one pod reaches only the
// clients connected to that pod.
import type { RelatedLocation } from '../findings.js';
import { scaledOut } from '../link/describe.js';
import { defineSourceRule, type Report } from '../rule.js';
import { handlerText } from '../source/call-graph.js';
import type { AppModel, EmitterCall, ModuleBinding, Site, SourceFileFacts } from '../source/app-model.js';
import type { LinkModel } from '../link/link-model.js';
import { resolveRelativeSpecifier } from '../source/module-specifiers.js';
import { joinWords } from '../prose.js';

const LISTEN_METHODS = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);
/** Where graphql-subscriptions' PubSub is exported from (apollo-server 2 and 3 re-export it). */
const PUBSUB_MODULES = new Set(['graphql-subscriptions', 'apollo-server', 'apollo-server-express']);

export default defineSourceRule({
  id: 'connection-registry',
  category: 'sticky-session',
  severity: 'P1',
  effort: 'M',
  docs: {
    summary: 'Live connections or subscribers kept in process memory',
    why: 'A Set of WebSocket connections, a list of open SSE responses, a ws server\'s `clients`, a module-level EventEmitter or an in-memory GraphQL PubSub only know the clients connected to their own process: behind a Service, a message published through one pod reaches only the clients that happen to be connected to that pod.',
    fix: 'Publish through a shared channel every pod subscribes to (Redis pub/sub, NATS, Postgres LISTEN/NOTIFY) and let each pod push to its own connections; for GraphQL use `RedisPubSub` from graphql-redis-subscriptions.',
  },
  check({ app, links, report }) {
    const sources = new Set(app.files.map((file) => file.path));
    for (const file of app.files) {
      reportRegistries(file, links, report);
      reportClientSets(file, links, report);
      reportBuses(file, app, sources, links, report);
      for (const call of file.libraryCalls) {
        if (!call.isNew || call.imported !== 'PubSub' || !PUBSUB_MODULES.has(call.module)) continue;
        report({
          location: call,
          message: `${call.assignedTo === undefined ? 'This in-memory `PubSub`' : `\`${call.assignedTo}\`, an in-memory \`PubSub\``} from ${call.module}, delivers events only to the subscriptions of its own process, so a subscriber connected to another pod never sees what this one publishes${suffix(file, links)}.`,
        });
      }
    }
  },
});

/** Module collections that connections are added to. */
function reportRegistries(file: SourceFileFacts, links: LinkModel, report: Report): void {
  const byBinding = new Map<string, SourceFileFacts['realtime']['connectionAdds']>();
  for (const add of file.realtime.connectionAdds) byBinding.set(add.binding, [...(byBinding.get(add.binding) ?? []), add]);
  for (const [name, adds] of byBinding) {
    const binding = file.bindings.find((candidate) => candidate.name === name && candidate.declarationKind !== 'static-field');
    if (binding === undefined) continue;
    const first = adds[0]!;
    const what = first.holds === 'sse' ? `the open event-stream responses (\`${first.connection}\`)` : `the WebSocket connections (\`${first.connection}\`)`;
    // Handlers that also change the collection (`close` listeners splicing a response out) keep it, they do not push through it.
    const keepers = new Set(binding.mutations.map((site) => handlerText(site)));
    const readers = handlers(binding.reads.filter((site) => site.time === 'runtime' && !keepers.has(handlerText(site))));
    report({
      location: binding.location,
      message:
        `\`${name}\` holds ${what} of this pod, added ${where(first)}${readers === '' ? '' : ` and read ${readers} to push messages`}: a message published through one pod reaches only the clients connected to that pod${suffix(file, links)}.`,
      related: [...sites(adds, 'added'), ...sites(binding.reads, 'read')],
    });
  }
}

/** `wss.clients.forEach(…)` on a server from `ws`. */
function reportClientSets(file: SourceFileFacts, links: LinkModel, report: Report): void {
  const servers = new Set(file.libraryCalls.filter((call) => call.module === 'ws' && call.isNew && call.assignedTo !== undefined).map((call) => call.assignedTo!));
  const loops = new Map<string, Site[]>();
  for (const loop of file.realtime.clientSetLoops) if (servers.has(loop.server)) loops.set(loop.server, [...(loops.get(loop.server) ?? []), loop]);
  for (const [name, sitesOfLoop] of loops) {
    const binding = file.bindings.find((candidate) => candidate.name === name);
    if (binding === undefined) continue;
    report({
      location: binding.location,
      message: `\`${name}.clients\` is iterated ${where(sitesOfLoop[0]!)} to push to every client, but a ws server only tracks the connections made to its own process: clients connected to other pods never get these messages${suffix(file, links)}.`,
      related: sites(sitesOfLoop, 'iterated'),
    });
  }
}

/** A module-level EventEmitter emitted on in one place and listened to from handlers at runtime. */
function reportBuses(file: SourceFileFacts, app: AppModel, sources: ReadonlySet<string>, links: LinkModel, report: Report): void {
  for (const name of new Set(file.realtime.emitters)) {
    const binding = file.bindings.find((candidate) => candidate.name === name);
    if (binding === undefined) continue;
    const calls = emitterCalls(file, binding, app, sources);
    const listeners = calls.filter((call) => LISTEN_METHODS.has(call.method) && call.time === 'runtime');
    const emits = calls.filter((call) => call.method === 'emit' && call.time === 'runtime');
    // Listeners added at start-up exist in every pod, and each pod handles what it emits: only per-request subscribers are stranded.
    if (listeners.length === 0 || emits.length === 0) continue;
    report({
      location: binding.location,
      message:
        `\`${name}\`, a module-level EventEmitter, carries events emitted ${handlers(emits) || 'at runtime'} to listeners added ${handlers(listeners) || 'at runtime'}: an event emitted on one pod never reaches the listeners registered on another${suffix(file, links)}.`,
      related: [...sites(emits, 'emitted'), ...sites(listeners, 'listened to')],
    });
  }
}

/** Calls on `binding` in its own file and through imports in other files. */
function emitterCalls(file: SourceFileFacts, binding: ModuleBinding, app: AppModel, sources: ReadonlySet<string>): EmitterCall[] {
  const calls = file.realtime.emitterCalls.filter((call) => call.binding === binding.name);
  if (binding.exportedAs.length === 0) return calls;
  for (const other of app.files) {
    for (const call of other.realtime.emitterCalls) {
      if (call.imported === undefined || !binding.exportedAs.includes(call.imported.name)) continue;
      if (resolveRelativeSpecifier(other.path, call.imported.specifier, sources) === file.path) calls.push(call);
    }
  }
  return calls;
}

function where(site: Site): string {
  const handler = handlerText(site);
  return handler === undefined ? `at line ${site.line}` : `in \`${handler}\``;
}

/** `in \`POST /a\` and \`GET /b\``, or '' when no site runs in a named handler. */
function handlers(list: readonly Site[]): string {
  const names = [...new Set(list.map((site) => handlerText(site)).filter((text): text is string => text !== undefined))];
  if (names.length === 0) return '';
  const quoted = names.map((name) => `\`${name}\``);
  return `in ${joinWords(quoted)}`;
}

function sites(list: readonly Site[], verb: string): RelatedLocation[] {
  return list.map((site) => {
    const handler = handlerText(site);
    return { file: site.file, line: site.line, message: handler === undefined ? `${verb} here` : `${verb} in ${handler}` };
  });
}

function suffix(file: SourceFileFacts, links: LinkModel): string {
  const scaled = scaledOut(file.path, links);
  return scaled === undefined ? '' : ` (${scaled})`;
}
