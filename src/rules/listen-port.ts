// The port the code listens on, against the ports the manifests send probes and Service traffic
// to: a probe on another port never passes, and a Service whose targetPort nothing listens on
// refuses every connection.
import type { RelatedLocation } from '../findings.js';
import { describeOrigin, originValue, perSite } from '../link/describe.js';
import type { LinkedContainer } from '../link/link-model.js';
import type { FieldPath } from '../manifests/cluster-model.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { servicesTargeting } from '../manifests/selectors.js';
import { defineCrossRule } from '../rule.js';
import type { Listen, SourceFileFacts } from '../source/app-model.js';

const PROBES = {
  livenessProbe: 'the kubelet restarts the container every time it fails: a restart loop',
  startupProbe: 'the kubelet restarts the container when it fails: a restart loop',
  readinessProbe: 'the pod never becomes Ready, so no Service sends it traffic and a rollout never finishes',
} as const;
const PROBE_HANDLERS = ['httpGet', 'tcpSocket', 'grpc'] as const;

interface ResolvedListen {
  port: number;
  site: Listen;
  /** How the port was found, for the message: "`PORT` = `3000` from `env`". */
  how: string;
}

export default defineCrossRule({
  id: 'listen-port',
  category: 'probes',
  severity: 'P0',
  effort: 'XS',
  docs: {
    summary: 'Probe or Service port the code does not listen on',
    why: 'Probes and Service traffic go to a container port: when the process listens on another one, a readiness probe never passes (no traffic), a liveness or startup probe restarts the container forever, and a Service refuses every connection.',
    fix: 'Make the port the code listens on (its `PORT` variable or literal) and the probe `port` / Service `targetPort` the same, preferably through one named container port.',
  },
  check({ app, links, report }) {
    const { add, flush } = perSite(report);
    for (const container of links.containers) {
      if (container.init || container.package === undefined) continue;
      const listens = resolvedListens(container, app.files);
      if (listens === undefined || listens.length === 0) continue;
      const ports = new Set(listens.map((listen) => listen.port));
      const listening = listens.map((listen) => `${listen.port} (${listen.how}, ${listen.site.file}:${listen.site.line})`).join(' and ');
      const related: RelatedLocation[] = listens.map((listen) => ({ file: listen.site.file, line: listen.site.line, message: `listens on ${listen.port} here` }));
      const { resource, path, container: spec } = container.ref;
      for (const [probe, consequence] of Object.entries(PROBES)) {
        for (const handler of PROBE_HANDLERS) {
          const portPath: FieldPath = [...path, probe, handler, 'port'];
          const port = containerPort(valueAt(resource.object, portPath), spec);
          if (port === undefined || ports.has(port)) continue;
          const location = resource.locate(portPath);
          add(`${location.file}:${location.line}:${probe}`, {
            location,
            message: `The \`${probe}\` of container \`${container.ref.name}\` in {workloads} checks port ${port}, but the code listens on ${listening}: ${consequence}.`,
            related,
          }, container.workloadName);
        }
      }
      for (const service of servicesTargeting(resource, links.set.resources)) {
        const servicePorts = valueAt(service.object, ['spec', 'ports']);
        (Array.isArray(servicePorts) ? servicePorts : []).forEach((entry: unknown, index) => {
          if (!isRecord(entry)) return;
          // `targetPort` defaults to `port`.
          const port = containerPort(entry.targetPort ?? entry.port, spec);
          // A port another container of the pod declares is that container's (a proxy sidecar).
          if (port === undefined || ports.has(port) || sidecarPorts(container).has(port)) return;
          const location = service.locate(['spec', 'ports', index, entry.targetPort === undefined ? 'port' : 'targetPort']);
          add(`${location.file}:${location.line}:${service.name}`, {
            location,
            message: `Service/${service.name} sends its traffic to port ${port} of {workloads}, but the code listens on ${listening}: every connection is refused.`,
            related,
          }, container.workloadName);
        });
      }
    }
    flush();
  },
});

/** The ports the container's code listens on; undefined when one of them cannot be known before deploying. */
function resolvedListens(container: LinkedContainer, files: readonly SourceFileFacts[]): ResolvedListen[] | undefined {
  const resolved: ResolvedListen[] = [];
  for (const facts of files) {
    if (!container.files.has(facts.path)) continue;
    for (const listen of facts.listens) {
      if (listen.portEnv === undefined) {
        if (listen.port === undefined) return undefined;
        resolved.push({ port: listen.port, site: listen, how: 'a literal' });
        continue;
      }
      const provided = container.env.get(listen.portEnv);
      const value = provided === undefined ? undefined : originValue(provided.origin);
      if (provided !== undefined) {
        const port = value === undefined ? Number.NaN : Number(value);
        // A Secret, a service link's `tcp://…`, or an expression: not a port known before deploying.
        if (!Number.isInteger(port)) return undefined;
        resolved.push({ port, site: listen, how: `\`${listen.portEnv}\` = \`${value}\` from ${describeOrigin(provided.origin)}` });
      } else if (listen.port !== undefined && container.unknownEnvSources.length === 0) {
        resolved.push({ port: listen.port, site: listen, how: `\`${listen.portEnv}\` unset, so the fallback` });
      } else {
        return undefined;
      }
    }
  }
  return resolved;
}

/** A probe or target port as a number: a literal, or the name of one of the container's ports. */
function containerPort(value: unknown, container: Record<string, unknown>): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const ports = Array.isArray(container.ports) ? container.ports : [];
  const named = ports.find((port: unknown) => isRecord(port) && port.name === value) as Record<string, unknown> | undefined;
  return typeof named?.containerPort === 'number' ? named.containerPort : undefined;
}

/** Ports the other containers of the same pod declare. */
function sidecarPorts(container: LinkedContainer): Set<number> {
  const list = container.ref.path[container.ref.path.length - 2];
  const siblings = valueAt(container.ref.resource.object, container.ref.path.slice(0, -1));
  const ports = new Set<number>();
  if (list !== 'containers' || !Array.isArray(siblings)) return ports;
  for (const sibling of siblings) {
    if (!isRecord(sibling) || sibling === container.ref.container || !Array.isArray(sibling.ports)) continue;
    for (const port of sibling.ports) if (isRecord(port) && typeof port.containerPort === 'number') ports.add(port.containerPort);
  }
  return ports;
}
