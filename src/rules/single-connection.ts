// One connection opened at start-up, with no listener for its failure: a pg `Client`, a mysql
// `createConnection`, an amqplib `connect`. On Kubernetes the peer restarts routinely (a rolling
// update of its StatefulSet, a node drain, a failover): the connection emits `error`, which with no
// listener crashes the process, and nothing ever opens a new one. Pools (pg `Pool`, mysql2
// `createPool`) replace broken connections and ioredis reconnects by itself: they are not flagged.
// Category `hardcoded-endpoint`: the issue files it with the connectivity rules.
import { defineSourceRule } from '../rule.js';
import type { LibraryCall, SourceFileFacts } from '../source/app-model.js';

interface SingleConnection {
  /** What it connects to, for the message: `the database`, `RabbitMQ`. */
  peer: string;
  api: string;
}

/** The single-connection constructors, by module; undefined for everything else (pools included). */
function singleConnection(call: LibraryCall): SingleConnection | undefined {
  const name = call.member ?? call.imported;
  switch (call.module) {
    case 'pg':
      return call.isNew && name === 'Client' ? { peer: 'the database', api: '`pg` `Client`' } : undefined;
    case 'mysql':
    case 'mysql2':
    case 'mysql2/promise':
      return name === 'createConnection' ? { peer: 'the database', api: `\`${call.module}\` \`createConnection\`` } : undefined;
    case 'amqplib':
    case 'amqplib/callback_api':
      return name === 'connect' ? { peer: 'RabbitMQ', api: '`amqplib` `connect`' } : undefined;
    default:
      return undefined;
  }
}

/** `db.on('error', …)` in the file, or in a file that imports it (where the connection is exported to). */
function failureHandled(binding: string, file: SourceFileFacts, files: readonly SourceFileFacts[]): boolean {
  return file.failureListeners.includes(binding) || files.some((other) => other.localImports.includes(file.path) && other.failureListeners.includes(binding));
}

export default defineSourceRule({
  id: 'single-connection',
  category: 'hardcoded-endpoint',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Single connection opened at start-up with no failure handling',
    why: "On Kubernetes the database or broker restarts routinely (rolling updates, node drains, failovers): a lone connection with no `error` listener crashes the process when it drops, and nothing opens a new one, so the pod fails every request until it is restarted.",
    fix: 'Use a pool (pg `Pool`, mysql2 `createPool`), which replaces broken connections, or listen for `error`/`close` and reconnect with backoff (amqp-connection-manager for RabbitMQ).',
  },
  check({ app, report }) {
    for (const file of app.files) {
      for (const call of file.libraryCalls) {
        // Opened per request, a connection lives as long as the request: its failure fails that request only.
        if (call.time !== 'init' || call.assignedTo === undefined) continue;
        const connection = singleConnection(call);
        if (connection === undefined || failureHandled(call.assignedTo, file, app.files)) continue;
        report({
          location: call,
          message:
            `\`${call.assignedTo}\` is a single ${connection.api} opened at start-up, and nothing listens for its \`error\` or \`close\`: ` +
            `when ${connection.peer} restarts or fails over (a rolling update, a node drain), the dropped connection's \`error\` crashes the process and nothing reconnects, so the pod's requests fail until Kubernetes restarts it.`,
        });
      }
    }
  },
});
