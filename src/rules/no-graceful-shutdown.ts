// A server or queue worker with no SIGTERM handling. Every rollout, scale-down and node drain
// sends SIGTERM: Node's default is to exit at once, dropping the requests in flight and abandoning
// the jobs a worker holds until their lock expires.
import type { Level, Span } from '../findings.js';
import type { LinkModel } from '../link/link-model.js';
import { defineSourceRule } from '../rule.js';
import type { SourceFileFacts } from '../source/app-model.js';

/** Libraries that close the server on SIGTERM for the app. */
const SHUTDOWN_LIBRARIES = new Set(['@godaddy/terminus', 'http-terminator', 'lightship', 'http-graceful-shutdown', 'stoppable', 'close-with-grace']);
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
    summary: 'No SIGTERM handling in a server or queue worker',
    why: 'Kubernetes stops pods with SIGTERM on every rollout, scale-down and node drain, and kills them after `terminationGracePeriodSeconds` (30 s): without a handler Node exits at once, so requests in flight fail and a queue worker abandons its jobs until their locks expire.',
    fix: 'On SIGTERM stop accepting work and finish what is in flight: `server.close()` (or @godaddy/terminus), `await worker.close()` for BullMQ workers, then exit; keep it under `terminationGracePeriodSeconds`.',
  },
  check({ app, links, report }) {
    const reported = new Set<string>();
    for (const files of processes(app.files, links)) {
      if (handlesShutdown(files)) continue;
      const listen = files.flatMap((facts) => facts.listens)[0];
      const worker = files.flatMap((facts) => facts.libraryCalls).find((call) => call.module === 'bullmq' && call.isNew && (call.imported === 'Worker' || call.member === 'Worker'));
      const location: Span | undefined = listen ?? worker;
      if (location === undefined || reported.has(`${location.file}:${location.line}`)) continue;
      reported.add(`${location.file}:${location.line}`);
      // Abandoned jobs wait for their lock to expire and may run twice; dropped requests are retried by clients.
      const severity: Level = worker === undefined ? 'P2' : 'P1';
      // Named by what the code says of it: the port it listens on, the queue it works.
      const port = listen === undefined ? undefined
        : listen.portEnv === undefined ? `port ${listen.port ?? '?'}`
          : `port \`$${listen.portEnv}\`${listen.port === undefined ? '' : ` (else ${listen.port})`}`;
      const server = port === undefined ? undefined : `The server on ${port}`;
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
  },
});

/**
 * The file sets that run as one process: what each linked container's entry reaches, and, for a
 * package no container runs, the whole package.
 */
function processes(files: readonly SourceFileFacts[], links: LinkModel): SourceFileFacts[][] {
  const byEntry = new Map<string, SourceFileFacts[]>();
  const linkedPackages = new Set<string>();
  for (const { containers } of links.sets) {
    for (const container of containers) {
      if (container.init || container.package === undefined || container.files.size === 0) continue;
      linkedPackages.add(container.package.dir);
      const key = container.entry?.kind === 'file' ? container.entry.file : container.package.dir;
      if (!byEntry.has(key)) byEntry.set(key, files.filter((facts) => container.files.has(facts.path)));
    }
  }
  const byPackage = new Map<string, SourceFileFacts[]>();
  for (const facts of files) {
    const dir = facts.packageDir ?? '.';
    if (!linkedPackages.has(dir)) byPackage.set(dir, [...(byPackage.get(dir) ?? []), facts]);
  }
  return [...byEntry.values(), ...byPackage.values()];
}
