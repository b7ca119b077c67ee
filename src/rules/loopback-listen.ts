// A server bound to the loopback interface: `app.listen(port, '127.0.0.1')`, `listen({ host:
// 'localhost' })`, a Fastify `listen({ port })` with no host (Fastify binds loopback then, see
// source/listen-host.ts), `Hapi.server({ host: 'localhost' })` with no `address` (hapi's
// `ServerOptions.address`: "If not configured, defaults to host if present"). In a pod the kubelet's
// probes and the Service's traffic arrive on the pod IP, never on 127.0.0.1.
import type { Level, Span } from '../findings.js';
import { containersRunning, describeOrigin, listWorkloads, originValue } from '../link/describe.js';
import type { LinkedContainer, LinkModel } from '../link/link-model.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { defineSourceRule, type Report } from '../rule.js';
import type { Listen, SourceFileFacts } from '../source/app-model.js';

const LOOPBACK = /^(?:localhost|127\.\d+\.\d+\.\d+|::1|\[::1\]|::ffff:127\.\d+\.\d+\.\d+)$/i;
const HAPI_MODULES = new Set(['@hapi/hapi', 'hapi']);
const PROBES = ['readinessProbe', 'livenessProbe', 'startupProbe'] as const;

/** What one container makes of a listen's host: loopback (and why), another interface, or unknown. */
type Verdict = { loopback: true; how: string } | { loopback: false } | undefined;

export default defineSourceRule({
  id: 'loopback-listen',
  category: 'hardcoded-endpoint',
  severity: 'P0',
  effort: 'XS',
  docs: {
    summary: 'Server bound to the loopback interface only',
    why: 'In a pod the kubelet probes the pod IP and Services send their traffic to it: a server listening on 127.0.0.1/localhost (which Fastify does when `listen` gets no host) refuses both, so every probe fails, the pod never becomes Ready, and a liveness probe restarts it in a loop.',
    fix: "Listen on every interface: `listen({ port, host: '0.0.0.0' })` (or `'::'`) for Fastify, `app.listen(port)` or `app.listen(port, '0.0.0.0')` elsewhere; keep a loopback host for local development only, behind a variable such as `HOST`.",
  },
  check({ app, links, report }) {
    for (const facts of app.files) {
      const running = runningOrUnreached(facts.path, links);
      // The manifests run other files of this package, not this one (a dev server, a local tool).
      if (running === undefined) continue;
      for (const listen of facts.listens) {
        if (internalServer(listen, facts, app.files, running)) continue;
        judge(listen, running, report);
      }
      for (const call of facts.libraryCalls) {
        if (!HAPI_MODULES.has(call.module) || call.options === undefined || call.options.address !== undefined) continue;
        const callee = call.member ?? call.imported;
        if (callee !== 'server' && callee !== 'Server') continue;
        const host = literal(call.options.host);
        if (host === undefined || !LOOPBACK.test(host)) continue;
        report({
          location: call,
          message:
            `\`Hapi.server({ host: '${host}' })\` sets no \`address\`, so hapi binds \`${host}\`${workloadsText(running)}: ` +
            "the kubelet's probes and the Service's traffic arrive on the pod IP, so every probe fails and the pod never becomes Ready (set `address: '0.0.0.0'`).",
          ...(running.length === 1 ? { workload: running[0]!.workloadName } : {}),
        });
      }
    }
  },
});

function judge(listen: Listen, running: readonly LinkedContainer[], report: Report): void {
  const location: Span = listen.hostLocation ?? listen;
  const what = listen.fastify === true ? 'The Fastify server' : 'The server';
  const port = listen.portEnv !== undefined ? ` on \`$${listen.portEnv}\`` : listen.port !== undefined ? ` on port ${listen.port}` : '';
  const consequence = "the kubelet's probes and the Service's traffic arrive on the pod IP, so every probe fails and the pod never becomes Ready";
  if (running.length === 0) {
    const verdict = verdictFor(listen, undefined);
    if (verdict === undefined || !verdict.loopback) return;
    // A fallback the deployment may override: certain only once the manifests say it is not.
    const variable = listen.host.kind === 'env' ? listen.host.name : undefined;
    const severity: Level = variable === undefined ? 'P0' : 'P1';
    report({
      location,
      severity,
      message: `${what}${port} ${verdict.how}: ${consequence}${variable === undefined ? '' : ` (P1: unless the deployment sets \`${variable}\` to \`0.0.0.0\`)`}.`,
    });
    return;
  }
  const bad = running
    .filter((container) => !frontedBySidecar(container))
    .map((container) => ({ container, verdict: verdictFor(listen, container) }))
    .filter((entry) => entry.verdict?.loopback === true);
  if (bad.length === 0) return;
  const hows = [...new Set(bad.map((entry) => (entry.verdict as { how: string }).how))];
  const workloads = [...new Set(bad.map((entry) => entry.container.workloadName))];
  report({
    location,
    message: `${what}${port} ${hows.join('; ')} in ${listWorkloads(workloads)}: ${consequence}.`,
    ...(workloads.length === 1 ? { workload: workloads[0]! } : {}),
  });
}

/**
 * The container declares no port and no probe, while another container of its pod does: a proxy
 * sidecar (oauth2-proxy, envoy) takes the probes and the Service's traffic and reaches the app on
 * 127.0.0.1, where binding loopback is right.
 */
function frontedBySidecar(container: LinkedContainer): boolean {
  if (declaredPorts(container.ref.container).size > 0) return false;
  // The container's path ends `…, 'containers', index`: its list is the path without the index.
  const siblings = valueAt(container.ref.resource.object, container.ref.path.slice(0, -1));
  return Array.isArray(siblings) && siblings.some((sibling) => sibling !== container.ref.container && isRecord(sibling) && declaredPorts(sibling).size > 0);
}

/** Whether the listen binds loopback in `container` (or, with no container, as the code stands). */
function verdictFor(listen: Listen, container: LinkedContainer | undefined): Verdict {
  const host = listen.host;
  const fastifyDefault = listen.fastify === true ? 'localhost' : undefined;
  switch (host.kind) {
    case 'literal':
      return LOOPBACK.test(host.value) ? { loopback: true, how: `binds \`${host.value}\`` } : { loopback: false };
    case 'absent':
      return fastifyDefault === undefined ? { loopback: false } : { loopback: true, how: 'is given no host, so Fastify binds 127.0.0.1 only' };
    case 'env': {
      const provided = container?.env.get(host.name);
      if (provided !== undefined) {
        const value = originValue(provided.origin);
        if (value === undefined) return undefined;
        return LOOPBACK.test(value) ? { loopback: true, how: `binds \`${value}\` (\`${host.name}\` from ${describeOrigin(provided.origin)})` } : { loopback: false };
      }
      if (container !== undefined && container.unknownEnvSources.length > 0) return undefined;
      const fallback = host.fallback ?? fastifyDefault;
      if (fallback === undefined || !LOOPBACK.test(fallback)) return { loopback: false };
      const bound = host.fallback === undefined ? 'Fastify binds 127.0.0.1' : `it binds \`${fallback}\``;
      return {
        loopback: true,
        how: container === undefined
          ? `reads its host from \`${host.name}\`, and when that is unset ${bound}`
          : `reads its host from \`${host.name}\`, which the container does not set, so ${bound}`,
      };
    }
    case 'other':
      return undefined;
  }
}

/**
 * The linked containers that run `file`; empty when no manifest runs its package (judged as the
 * code stands), undefined when the manifests run the package but not this file.
 */
function runningOrUnreached(file: string, links: LinkModel): LinkedContainer[] | undefined {
  const running = containersRunning(file, links);
  if (running.length > 0) return running;
  const packageLinked = links.sets.some(({ containers }) =>
    containers.some((container) => !container.init && container.package !== undefined && (container.package.dir === '.' || file.startsWith(`${container.package.dir}/`))));
  return packageLinked ? undefined : running;
}

/**
 * A second, loopback-only server next to one bound to every interface in the same package (an admin
 * or debug endpoint reached by `kubectl port-forward`), whose port no container declares or probes.
 */
function internalServer(listen: Listen, facts: SourceFileFacts, files: readonly SourceFileFacts[], running: readonly LinkedContainer[]): boolean {
  // The public server must run in the same process: in a file the same containers run, or, without
  // manifests, in this file. A public dev mock elsewhere in the package does not make this one internal.
  const sameProcess = (other: SourceFileFacts): boolean => (running.length === 0 ? other === facts : running.some((container) => container.files.has(other.path)));
  const publicServer = files.some((other) => sameProcess(other) && other.listens.some((candidate) => candidate !== listen && verdictFor(candidate, undefined)?.loopback === false));
  if (!publicServer) return false;
  if (listen.port === undefined) return false;
  return !running.some((container) => declaredPorts(container.ref.container).has(listen.port!));
}

/** The container's declared ports and the numeric ports its probes check. */
function declaredPorts(container: Record<string, unknown>): Set<number> {
  const ports = new Set<number>();
  for (const port of Array.isArray(container.ports) ? container.ports : []) if (isRecord(port) && typeof port.containerPort === 'number') ports.add(port.containerPort);
  for (const probe of PROBES) {
    const spec = container[probe];
    if (!isRecord(spec)) continue;
    for (const handler of ['httpGet', 'tcpSocket', 'grpc']) {
      const action = spec[handler];
      if (isRecord(action) && typeof action.port === 'number') ports.add(action.port);
    }
  }
  return ports;
}

function workloadsText(running: readonly LinkedContainer[]): string {
  return running.length === 0 ? '' : ` in ${listWorkloads(running.map((container) => container.workloadName))}`;
}

/** `'localhost'` as written in an options object → `localhost`. */
function literal(text: string | undefined): string | undefined {
  const match = text === undefined ? null : /^(['"`])([^'"`]*)\1$/.exec(text.trim());
  return match?.[2];
}
