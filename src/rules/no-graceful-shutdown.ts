// A server or queue worker with no SIGTERM handling, or handling that still cuts work short. Every
// rollout, scale-down and node drain sends SIGTERM: Node's default is to exit at once, dropping the
// requests in flight and abandoning the jobs a worker holds until their lock expires. A handler that
// only exits does the same; one that waits longer than the pod's grace period is SIGKILLed; one that
// closes the server at once races the endpoints controller, which still routes to the pod for a moment.
import type { Level, Span } from '../findings.js';
import { perSite } from '../link/describe.js';
import type { LinkedContainer, LinkModel } from '../link/link-model.js';
import type { Resource } from '../manifests/cluster-model.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { servicesTargeting } from '../manifests/selectors.js';
import { defineSourceRule, type Report } from '../rule.js';
import type { LibraryCall, Listen, SignalHandler, SourceFileFacts } from '../source/app-model.js';

/** Libraries that close the server on SIGTERM for the app. */
const SHUTDOWN_LIBRARIES = new Set(['@godaddy/terminus', 'http-terminator', 'lightship', 'http-graceful-shutdown', 'stoppable', 'close-with-grace']);
/** The option of a shutdown library that bounds how long it waits before exiting, in milliseconds. */
const LIBRARY_TIMEOUTS: Readonly<Record<string, string>> = {
  '@godaddy/terminus': 'timeout',
  'http-terminator': 'gracefulTerminationTimeout',
  'close-with-grace': 'delay',
};
/** Signals Kubernetes sends (SIGTERM) or that a handler for shutdown also covers in practice. */
const SHUTDOWN_SIGNALS = new Set(['SIGTERM']);

function handlesShutdown(files: readonly SourceFileFacts[]): boolean {
  return files.some(
    (facts) =>
      facts.signalHandlers.some((handler) => SHUTDOWN_SIGNALS.has(handler.signal)) ||
      facts.libraryCalls.some((call) => SHUTDOWN_LIBRARIES.has(call.module) || (call.module.startsWith('@nestjs/') && call.member === 'enableShutdownHooks')) ||
      facts.moduleSpecifiers.some((specifier) => SHUTDOWN_LIBRARIES.has(specifier)),
  );
}

export default defineSourceRule({
  id: 'no-graceful-shutdown',
  category: 'no-graceful-shutdown',
  severity: 'P2',
  effort: 'S',
  docs: {
    summary: 'Missing or incomplete SIGTERM handling in a server or queue worker',
    why: 'Kubernetes stops pods with SIGTERM on every rollout, scale-down and node drain, and kills them after `terminationGracePeriodSeconds` (30 s): without a handler Node exits at once, so requests in flight fail and a queue worker abandons its jobs until their locks expire.',
    fix: 'On SIGTERM stop accepting work and finish what is in flight: `server.close()` (or @godaddy/terminus), `await worker.close()` for BullMQ workers, then exit; keep it under `terminationGracePeriodSeconds`, and give a server behind a Service a few seconds (a `preStop` sleep) before it stops accepting.',
  },
  check({ app, links, report }) {
    const reported = new Set<string>();
    const { add, flush } = perSite(report);
    for (const { files, containers } of processes(app.files, links)) {
      const listen = files.flatMap((facts) => facts.listens)[0];
      const worker = files.flatMap((facts) => facts.libraryCalls).find((call) => call.module === 'bullmq' && call.isNew && (call.imported === 'Worker' || call.member === 'Worker'));
      if (handlesShutdown(files)) {
        if (listen !== undefined || worker !== undefined) judgeHandlers(files, containers, listen, worker, reported, report, add);
        continue;
      }
      const location: Span | undefined = listen ?? worker;
      if (location === undefined || reported.has(`${location.file}:${location.line}`)) continue;
      reported.add(`${location.file}:${location.line}`);
      // Abandoned jobs wait for their lock to expire and may run twice; dropped requests are retried by clients.
      const severity: Level = worker === undefined ? 'P2' : 'P1';
      // Named by what the code says of it: the port it listens on, the queue it works.
      const server = listen === undefined ? undefined : `The server on ${describePort(listen)}`;
      const queue = worker?.firstArgument === undefined ? 'BullMQ worker' : `BullMQ worker of queue "${worker.firstArgument}"`;
      const what = server === undefined ? `The ${queue}` : worker === undefined ? server : `${server}, whose process also runs the ${queue},`;
      report({
        location,
        severity,
        message:
          `${what} has no SIGTERM handler in the code its process runs: on every rollout, scale-down or node drain Node exits at once, ` +
          [
            ...(listen === undefined ? [] : ['failing the requests in flight']),
            ...(worker === undefined ? [] : [`abandoning the jobs in progress until their locks expire (${worker.file}:${worker.line})`]),
          ].join(' and ') +
          `${severity === 'P1' ? ' (P1: jobs cut off mid-run may be retried and run twice)' : ''}.`,
      });
    }
    flush();
  },
});

/**
 * A process that does handle SIGTERM: a handler that only exits (P1), a forced-exit timer or
 * shutdown-library timeout longer than the grace period the kubelet allows, and a server closed the
 * moment SIGTERM arrives while a Service still routes to the pod and no `preStop` hook waits (P2).
 */
function judgeHandlers(
  files: readonly SourceFileFacts[],
  containers: readonly RunningContainer[],
  listen: Listen | undefined,
  worker: LibraryCall | undefined,
  reported: Set<string>,
  report: Report,
  add: ReturnType<typeof perSite>['add'],
): void {
  const handlers = files.flatMap((facts) => facts.signalHandlers).filter((handler) => handler.signal === 'SIGTERM');
  // terminus with no `beforeShutdown` starts closing the server the moment SIGTERM arrives.
  const terminus = files.flatMap((facts) => facts.libraryCalls).find((call) => call.module === '@godaddy/terminus' && call.options !== undefined && call.options.beforeShutdown === undefined);
  // Every SIGTERM handler only exits: installing it removed Node's default exit and put back the same
  // cut. Listeners run one after the other, synchronously: an exit also pre-empts the asynchronous
  // drain of terminus or Nest's shutdown hooks, registered before or after it.
  const exitOnly = handlers.length > 0 && handlers.every((handler) => handler.read === true && handler.exits === true && handler.closes === false);
  if (exitOnly) {
    const handler = handlers[0]!;
    const key = `${handler.file}:${handler.line}`;
    if (!reported.has(key)) {
      reported.add(key);
      const cut = [
        ...(listen === undefined ? [] : [`the requests in flight on ${describePort(listen)} fail`]),
        ...(worker === undefined ? [] : [`the BullMQ worker${worker.firstArgument === undefined ? '' : ` of queue "${worker.firstArgument}"`} abandons its jobs mid-run (${worker.file}:${worker.line}), to be retried after their locks expire`]),
      ];
      report({
        location: handler,
        severity: 'P1',
        message: `The SIGTERM handler calls \`process.exit()\` without closing the server or the workers first: on every rollout or scale-down ${cut.join(' and ')}.`,
      });
    }
  }
  for (const { container, resources } of containers) {
    const podSpecPath = container.ref.path.slice(0, -2);
    const podSpec = valueAt(container.ref.resource.object, podSpecPath);
    const declared = isRecord(podSpec) ? podSpec.terminationGracePeriodSeconds : undefined;
    const grace = typeof declared === 'number' ? declared : 30;
    const graceText = typeof declared === 'number' ? `\`terminationGracePeriodSeconds: ${grace}\`` : 'the default grace period of 30 s';
    const related = typeof declared === 'number' ? [{ ...container.ref.resource.locate([...podSpecPath, 'terminationGracePeriodSeconds']), message: 'the grace period' }] : [];
    // The code waits longer than the kubelet does: SIGKILL comes first and cuts the drain short.
    for (const wait of codeWaits(files, handlers)) {
      if (wait.ms <= grace * 1000) continue;
      add(`grace:${wait.location.file}:${wait.location.line}`, {
        location: wait.location,
        severity: 'P2',
        message: `${wait.what} waits up to ${seconds(wait.ms)} before exiting, but {workloads} allow{s} only ${graceText}: the kubelet SIGKILLs the container first, cutting off whatever is still draining; raise the grace period above ${seconds(wait.ms)} or shorten the wait.`,
        related,
      }, container.workloadName);
    }
    // A server that stops accepting the moment SIGTERM arrives, in a pod a Service still routes to.
    const handler = handlers.find((candidate) => candidate.closesAtOnce === true);
    const closing = listen === undefined ? undefined
      : handler !== undefined ? { location: handler as Span, what: 'The SIGTERM handler closes the server' }
        : terminus !== undefined ? { location: terminus as Span, what: '`createTerminus` has no `beforeShutdown` delay, so it closes the server' } : undefined;
    const lifecycle = container.ref.container.lifecycle;
    if (closing === undefined || (isRecord(lifecycle) && lifecycle.preStop !== undefined)) continue;
    const services = servicesTargeting(container.ref.resource, resources);
    if (services.length === 0) continue;
    add(`prestop:${closing.location.file}:${closing.location.line}`, {
      location: closing.location,
      severity: 'P2',
      message: `${closing.what} as soon as the signal arrives, and no \`preStop\` hook delays it in {workloads} (${services.length === 1 ? `behind Service/${services[0]!.name}` : `behind Services ${services.map((service) => service.name).join(', ')}`}): endpoint removal races the close, so during every rollout requests still routed to the terminating pod are refused; add a \`preStop\` sleep of a few seconds (or wait before \`close()\`).`,
    }, container.workloadName);
  }
}

/** A container running a process, with the manifest set it is rendered in (for the Services of its namespace). */
interface RunningContainer {
  container: LinkedContainer;
  resources: readonly Resource[];
}

/**
 * The file sets that run as one process: what each linked container's entry reaches, with the
 * containers that run it, and, for a package no container runs, the whole package.
 */
function processes(files: readonly SourceFileFacts[], links: LinkModel): { files: SourceFileFacts[]; containers: RunningContainer[] }[] {
  const byEntry = new Map<string, { files: SourceFileFacts[]; containers: RunningContainer[] }>();
  const linkedPackages = new Set<string>();
  for (const { set, containers } of links.sets) {
    for (const container of containers) {
      if (container.init || container.package === undefined || container.files.size === 0) continue;
      linkedPackages.add(container.package.dir);
      const key = container.entry?.kind === 'file' ? container.entry.file : container.package.dir;
      const entry = byEntry.get(key) ?? { files: files.filter((facts) => container.files.has(facts.path)), containers: [] };
      entry.containers.push({ container, resources: set.resources });
      byEntry.set(key, entry);
    }
  }
  const byPackage = new Map<string, SourceFileFacts[]>();
  for (const facts of files) {
    const dir = facts.packageDir ?? '.';
    if (!linkedPackages.has(dir)) byPackage.set(dir, [...(byPackage.get(dir) ?? []), facts]);
  }
  return [...byEntry.values(), ...[...byPackage.values()].map((group) => ({ files: group, containers: [] }))];
}

/** What the code waits for before it exits: forced-exit timers in SIGTERM handlers, shutdown-library timeouts. */
function codeWaits(files: readonly SourceFileFacts[], handlers: readonly SignalHandler[]): { ms: number; location: Span; what: string }[] {
  const waits: { ms: number; location: Span; what: string }[] = [];
  for (const handler of handlers) {
    if (handler.forceExitMs !== undefined && handler.forceExitLocation !== undefined) {
      waits.push({ ms: handler.forceExitMs, location: handler.forceExitLocation, what: 'The SIGTERM handler\'s forced-exit timer' });
    }
  }
  for (const facts of files) {
    for (const call of facts.libraryCalls) {
      const option = LIBRARY_TIMEOUTS[call.module];
      const text = option === undefined ? undefined : call.options?.[option];
      const ms = text === undefined ? undefined : Number(text.replace(/_/g, ''));
      if (ms !== undefined && Number.isFinite(ms)) waits.push({ ms, location: call, what: `\`${option}\` of ${call.module}` });
    }
  }
  return waits;
}

function describePort(listen: Listen): string {
  if (listen.port === undefined && listen.portEnv === undefined) return `the port set at ${listen.file}:${listen.line}`;
  return listen.portEnv === undefined ? `port ${listen.port}` : `port \`$${listen.portEnv}\`${listen.port === undefined ? '' : ` (else ${listen.port})`}`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
