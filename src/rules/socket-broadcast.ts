// socket.io servers that broadcast with no adapter: each pod's server only knows the sockets
// connected to it. socket.io's "Using multiple nodes" guide names the two requirements — sticky
// sessions while HTTP long-polling is enabled (the default; without them the handshake fails with
// HTTP 400 "Session ID unknown") and the Redis adapter or another compatible adapter.
import type { RelatedLocation } from '../findings.js';
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import { handlerText } from '../source/call-graph.js';
import type { Broadcast, LibraryCall, SourceFileFacts } from '../source/app-model.js';
import type { LinkModel } from '../link/link-model.js';

/** Adapters that carry a broadcast to the servers of other pods. */
const SHARED_ADAPTERS = new Set([
  '@socket.io/redis-adapter', '@socket.io/redis-streams-adapter', '@socket.io/postgres-adapter', '@socket.io/mongo-adapter', 'socket.io-redis',
]);
/** Relays between the workers of Node's cluster module "via the IPC channel" (socket.io docs, Cluster adapter): processes of one pod, never other pods. */
const CLUSTER_ADAPTER = '@socket.io/cluster-adapter';

/** `new Server(httpServer, …)`, `new io.Server(…)`, `require('socket.io')(server)`, `socketIo(server)`. */
function isServer(call: LibraryCall): boolean {
  if (call.module !== 'socket.io') return false;
  if (call.isNew) return call.imported === 'Server' || call.member === 'Server';
  return (call.imported === 'default' || call.imported === '*') && call.member === undefined;
}

const TIMER_CALLBACK = /^(?:setTimeout|setInterval) callback$/;

export default defineSourceRule({
  id: 'socket-broadcast',
  category: 'sticky-session',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Broadcasts from a socket.io server with no adapter between pods',
    why: "A socket.io server only knows the sockets connected to its own process: with several pods, `io.emit()` or `io.to(room).emit()` reaches the clients of the pod that sends it and nobody else. With the default polling transport, the requests of one handshake must also reach the same pod, or it fails with `Session ID unknown`.",
    fix: 'Set an adapter that relays between pods (`io.adapter(createAdapter(pub, sub))` from @socket.io/redis-adapter, or the redis-streams, postgres or mongo adapters), and either restrict transports to `[\'websocket\']` or enable cookie session affinity on the Ingress.',
  },
  check({ app, links, report }) {
    const packages = new Map<string, SourceFileFacts[]>();
    for (const file of app.files) {
      const key = file.packageDir ?? '.';
      packages.set(key, [...(packages.get(key) ?? []), file]);
    }
    for (const files of packages.values()) {
      const servers = files.flatMap((file) => file.libraryCalls.filter(isServer).map((call) => ({ file, call })));
      // NestJS gateways: the framework makes the server and hands it over as `@WebSocketServer() server`.
      const gateways = files.filter((file) => file.moduleSpecifiers.includes('@nestjs/websockets'));
      if (servers.length === 0 && gateways.length === 0) continue;
      const calls = files.flatMap((file) => file.libraryCalls);
      const optionAdapters = servers.map(({ call }) => call.options?.adapter).filter((text): text is string => text !== undefined);
      const shared = calls.some((call) => SHARED_ADAPTERS.has(call.module)) || optionAdapters.some((text) => !/cluster/i.test(text));
      const cluster = calls.some((call) => call.module === CLUSTER_ADAPTER) || optionAdapters.some((text) => /cluster/i.test(text));
      // An adapter set from a module not recorded here is given the benefit of the doubt.
      const unknownAdapter = !cluster && files.some((file) => file.realtime.adapterCalls.length > 0);
      if (shared || unknownAdapter) continue;
      const names = new Set(servers.map(({ call }) => call.assignedTo).filter((name): name is string => name !== undefined));
      const broadcasts = files.flatMap((file) => file.realtime.broadcasts.filter((send) => (send.shape !== 'direct' || names.has(send.root)) && !sentByEveryPod(send)));
      for (const gateway of gateways) {
        const sent = gateway.realtime.broadcasts.filter((send) => send.shape !== 'direct' || send.root.startsWith('this.'));
        if (sent.length === 0) continue;
        const adapter = cluster ? 'only the cluster adapter, which relays between the worker processes of one pod' : "Nest's default IoAdapter, which relays nothing between pods";
        report({
          location: sent[0]!,
          message:
            `This NestJS gateway broadcasts (${sends(sent)}) with ${adapter}: each pod's socket.io server only knows its own sockets, so clients connected to other replicas never receive these messages` +
            "; and with HTTP long-polling enabled (the default), a handshake whose requests reach another pod fails with `Session ID unknown` unless transports are `['websocket']` or the Ingress keeps session affinity" +
            `${suffix(gateway.path, links)}.`,
          related: related(sent),
        });
      }
      if (broadcasts.length === 0) continue;
      for (const { file, call } of servers) {
        const name = call.assignedTo === undefined ? 'This socket.io server' : `socket.io server \`${call.assignedTo}\``;
        const transports = call.options?.transports;
        const websocketOnly = transports !== undefined && transports.includes('websocket') && !transports.includes('polling');
        const adapter = cluster ? 'only the cluster adapter, which relays between the worker processes of one pod' : 'no adapter';
        const scaled = scaledOut(file.path, links);
        report({
          location: call,
          message:
            `${name} broadcasts (${sends(broadcasts)}) with ${adapter}: each pod's server only knows its own sockets, so clients connected to other replicas never receive these messages` +
            (websocketOnly ? '' : "; and with HTTP long-polling enabled (the default), a handshake whose requests reach another pod fails with `Session ID unknown` unless transports are `['websocket']` or the Ingress keeps session affinity") +
            `${scaled === undefined ? '' : ` (${scaled})`}.`,
          related: related(broadcasts),
        });
      }
    }
  },
});

/**
 * A broadcast made at start-up or from a timer runs in every pod: each pod sends what it computed
 * (the voting app's results, polled from the database every second) to its own clients, and none
 * of them misses a message another pod sent.
 */
function sentByEveryPod(send: Broadcast): boolean {
  return send.time === 'init' || (send.handlers !== undefined && send.handlers.length > 0 && send.handlers.every((ref) => TIMER_CALLBACK.test(ref.name)));
}

function sends(broadcasts: readonly Broadcast[]): string {
  const texts = [...new Set(broadcasts.map((send) => `\`${send.text}()\`${where(send)}`))];
  return texts.length <= 3 ? texts.join(', ') : `${texts.slice(0, 3).join(', ')} and ${texts.length - 3} more`;
}

function where(send: Broadcast): string {
  const handler = handlerText(send);
  return handler === undefined ? '' : ` in \`${handler}\``;
}

function related(broadcasts: readonly Broadcast[]): RelatedLocation[] {
  return broadcasts.map((send) => ({ file: send.file, line: send.line, message: `broadcast${where(send)}` }));
}

function suffix(file: string, links: LinkModel): string {
  const scaled = scaledOut(file, links);
  return scaled === undefined ? '' : ` (${scaled})`;
}
