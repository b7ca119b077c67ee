// Queue workers and queues configured for one server: a queue with no connection (the library
// connects to 127.0.0.1:6379, where nothing listens in a pod) or a fixed IP, a BullMQ worker doing
// long work with the default lock and stall settings, a worker started by the web process, and
// child processes spawned from request handlers or kept in a module registry.
import { isIP } from 'node:net';
import type { Level } from '../findings.js';
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import { handlerText } from '../source/call-graph.js';
import type { LibraryCall, SourceFileFacts } from '../source/app-model.js';

interface QueueClass {
  module: string;
  name: string;
  /** The argument the options object is expected at. */
  optionsAt: number;
  /** The option that says where Redis is. */
  key: string;
}

/**
 * Constructors that open a Redis connection, and where their options go. Without one, all three
 * libraries connect to 127.0.0.1:6379 (bullmq `RedisConnection`: "If you do not provide any options,
 * it will default to port 6379 and localhost"; bull's `redis` default `{ port: 6379, host: '127.0.0.1' }`;
 * bee-queue issue #728 shows `ECONNREFUSED 127.0.0.1:6379` with the default settings).
 */
const QUEUE_CLASSES: readonly QueueClass[] = [
  { module: 'bullmq', name: 'Worker', optionsAt: 2, key: 'connection' },
  { module: 'bullmq', name: 'Queue', optionsAt: 1, key: 'connection' },
  { module: 'bullmq', name: 'QueueEvents', optionsAt: 1, key: 'connection' },
  { module: 'bullmq', name: 'FlowProducer', optionsAt: 0, key: 'connection' },
  // `new Queue(name, url?, opts?)`: a second argument that is not an object is the Redis URL.
  { module: 'bull', name: 'default', optionsAt: 1, key: 'redis' },
  { module: 'bee-queue', name: 'default', optionsAt: 1, key: 'redis' },
];

/** BullMQ worker options that decide what happens to a job whose worker dies mid-run. */
const LOCK_OPTIONS = ['lockDuration', 'stalledInterval', 'maxStalledCount'];
const CHILD_FUNCTIONS = new Set(['spawn', 'exec', 'execFile', 'fork']);
const ROUTE = /^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ALL|USE) |^middleware$/;
const WORKER_HANDLER = /^(?:BullMQ worker|queue processor)|\.process processor$/;

function queueClass(call: LibraryCall): QueueClass | undefined {
  return QUEUE_CLASSES.find((candidate) => {
    if (candidate.module !== call.module) return false;
    // `import { Worker } from 'bullmq'`, `bullmq.Worker`, `import Queue from 'bull'`, `const Queue = require('bull')`.
    if (candidate.name === 'default') return call.member === undefined && (call.imported === 'default' || call.imported === '*');
    return call.isNew && (call.imported === candidate.name || call.member === candidate.name);
  });
}

/** Whether the call says where Redis is: false only when it certainly does not. */
function hasConnection(call: LibraryCall, queue: QueueClass): boolean {
  // bull's `new Queue(name, url, opts)`: the URL is the second argument.
  if (queue.module === 'bull' && call.argumentCount > 2) return true;
  if (call.argumentCount <= queue.optionsAt) return call.argumentCount === 0 && queue.optionsAt > 0;
  if (call.optionsUnknown === true || call.options === undefined) return true;
  return call.options[queue.key] !== undefined || call.options['...'] !== undefined || call.options.createClient !== undefined;
}

function describe(call: LibraryCall, queue: QueueClass): string {
  const name = queue.name === 'default' ? `\`${call.module}\` queue` : `BullMQ \`${queue.name}\``;
  return call.firstArgument === undefined ? name : `${name} "${call.firstArgument}"`;
}

/** Routes a worker's own health or metrics server answers: they do not make a process a web server. */
const PROBE_PATH = /^\/(?:health|healthz|ready|readyz|readiness|live|livez|liveness|metrics|status|ping)\/?$/;

/**
 * The web servers each file is loaded by: entry files that listen and, through their relative
 * imports, register a route other than a probe (a worker's own `/healthz` server is not a web tier).
 */
function importers(files: readonly SourceFileFacts[]): Map<string, Set<string>> {
  const reached = new Map<string, Set<string>>();
  const byPath = new Map(files.map((facts) => [facts.path, facts]));
  for (const entry of files) {
    if (entry.listens.length === 0) continue;
    const seen = new Set<string>([entry.path]);
    const stack = [entry.path];
    while (stack.length > 0) {
      for (const next of byPath.get(stack.pop()!)?.localImports ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        stack.push(next);
      }
    }
    const serves = [...seen].some((file) => byPath.get(file)?.routes.some((route) => !PROBE_PATH.test(route.path)) === true);
    if (!serves) continue;
    for (const file of seen) reached.set(file, new Set([...(reached.get(file) ?? []), entry.path]));
  }
  return reached;
}

export default defineSourceRule({
  id: 'worker-config',
  category: 'worker-config',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Queue or worker configured for one server',
    why:
      'A queue given no connection connects to 127.0.0.1:6379, which in a pod is the pod itself, so it never connects. A BullMQ worker started by the web process scales with HTTP traffic and loses its jobs on every rollout of the web tier; a long job with the default lock settings (30 s lock, one stall allowed) is cut off by SIGKILL after `terminationGracePeriodSeconds`, stays locked until stall detection, and fails for good the second time. A child process spawned from a request handler dies with its pod at the next rollout, and no other replica can see or cancel it. Numeric options fed by `Number(process.env.X)` are left to `required-env`.',
    fix:
      'Pass `connection` (BullMQ) or `redis` (bull, bee-queue) built from env vars that name the Redis Service; run workers from their own entry file as their own Deployment, with a SIGTERM handler that awaits `worker.close()` and a `terminationGracePeriodSeconds` that covers a job; for long jobs set `lockDuration`, `stalledInterval` and `maxStalledCount` deliberately and make processors idempotent; move child processes into queue jobs.',
  },
  check({ app, links, report }) {
    const loadedBy = importers(app.files);
    for (const file of app.files) {
      for (const call of file.libraryCalls) {
        const queue = queueClass(call);
        if (queue !== undefined) {
          const scaled = scaledOut(file.path, links);
          checkQueue(file, call, queue, loadedBy.get(file.path), app.files, scaled, (level, message) => report({ location: call, severity: level, message }));
          continue;
        }
        const child = childProcess(call);
        if (child !== undefined) report({ location: call, message: child });
      }
    }
  },
});

/** One finding per queue call: its problems joined, at the level of the worst. */
function checkQueue(
  file: SourceFileFacts,
  call: LibraryCall,
  queue: QueueClass,
  listeners: ReadonlySet<string> | undefined,
  files: readonly SourceFileFacts[],
  scaled: string | undefined,
  report: (level: Level, message: string) => void,
): void {
  const problems: { level: Level; text: string }[] = [];
  const what = describe(call, queue);
  if (!hasConnection(call, queue)) {
    problems.push({ level: 'P0', text: `${what} is given no \`${queue.key}\`, so it connects to the default 127.0.0.1:6379: in a pod that is the pod itself, where no Redis listens, so it never connects` });
  } else {
    // `connection: { host: '10.0.0.5' }` inline: a fixed address. Loopback hosts and names no Service
    // answers are reported by hardcoded-endpoint and missing-backing-service.
    const fixed = file.connections.find((connection) => connection.hostEnv === undefined && connection.host !== undefined && isIP(connection.host) !== 0 && !/^(?:127\.|::1$)/.test(connection.host) && within(connection, call));
    if (fixed !== undefined) problems.push({ level: 'P1', text: `${what} connects to the fixed address \`${fixed.host}\` (\`${fixed.text}\`): it bypasses the cluster's Service names, breaks when Redis is rescheduled or moved to a managed instance, and cannot differ between overlays` });
  }
  if (queue.module === 'bullmq' && queue.name === 'Worker') {
    if (call.longWork !== undefined && call.optionsUnknown !== true && call.options?.['...'] === undefined && !LOCK_OPTIONS.some((option) => call.options?.[option] !== undefined)) {
      problems.push({
        level: 'P1',
        text: `its processor runs ${call.longWork} with the default lock settings (no \`lockDuration\`, \`stalledInterval\` or \`maxStalledCount\`): a rollout SIGKILLs the pod after \`terminationGracePeriodSeconds\` mid-job, the job stays locked until stall detection picks it up, and with \`maxStalledCount\` 1 a job cut off twice fails for good`,
      });
    }
    const web = listeners === undefined ? undefined : [...listeners].sort()[0];
    if (web !== undefined) {
      const listen = files.find((facts) => facts.path === web)?.listens[0];
      const port = listen === undefined ? '' : listen.portEnv !== undefined ? ` on \`$${listen.portEnv}\`${listen.port === undefined ? '' : ` (else ${listen.port})`}` : listen.port !== undefined ? ` on port ${listen.port}` : '';
      problems.push({
        level: 'P1',
        text: `it starts in the web process (${web === file.path ? 'this file' : web} listens${port}): the Deployment scaled for HTTP scales the workers with it, and every rollout of the web tier kills the jobs in progress${scaled === undefined ? '' : ` (${scaled})`}`,
      });
    }
  }
  if (problems.length === 0) return;
  const level: Level = problems.some((problem) => problem.level === 'P0') ? 'P0' : 'P1';
  const [first, ...rest] = problems.map((problem) => problem.text);
  const subject = first!.startsWith('its ') || first!.startsWith('it ') ? `${what}: ${first}` : first!;
  report(level, `${[subject, ...rest].join('; also, ')}.`);
}

/** A child process started at runtime by a request handler, or kept in a module-level registry. */
function childProcess(call: LibraryCall): string | undefined {
  const fn = call.member ?? call.imported;
  const isChild = call.module === 'execa' ? !['execaSync', 'execaCommandSync', 'sync', 'commandSync'].includes(fn) : (call.module === 'child_process' || call.module === 'node:child_process') && CHILD_FUNCTIONS.has(fn);
  if (!isChild || call.time !== 'runtime') return undefined;
  const handlers = call.handlers ?? [];
  // A queue processor is where long work belongs: the job survives the pod in Redis.
  if (handlers.length > 0 && handlers.every((handler) => WORKER_HANDLER.test(handler.name))) return undefined;
  const api = call.module === 'execa' ? `\`${fn === 'default' ? 'execa' : fn}\`` : `\`${fn}\``;
  const command = call.firstArgument === undefined ? '' : ` ('${call.firstArgument}')`;
  const routes = handlers.filter((handler) => ROUTE.test(handler.name));
  if (call.storedIn !== undefined) {
    const from = routes.length === 0 ? '' : ` from ${handlerText({ handlers: routes })}`;
    return `${api}${command} starts a child process${from}, kept in the module registry \`${call.storedIn}\`: the child dies with its pod at the next rollout, and a request routed to another replica cannot see, query or cancel it.`;
  }
  if (routes.length === 0) return undefined;
  return `${api}${command} starts a child process from ${handlerText({ handlers: routes })}: it dies with its pod at the next rollout (SIGKILL after \`terminationGracePeriodSeconds\`), no other replica can see or cancel it, and the command must exist in the image; run it as a queue job.`;
}

function within(inner: { line: number; column: number }, outer: { line: number; column: number; endLine: number; endColumn: number }): boolean {
  const after = inner.line > outer.line || (inner.line === outer.line && inner.column >= outer.column);
  const before = inner.line < outer.endLine || (inner.line === outer.endLine && inner.column <= outer.endColumn);
  return after && before;
}
