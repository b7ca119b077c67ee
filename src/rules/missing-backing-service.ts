// Hosts the code connects to — URL literals, `host` options, and the URLs and hosts the manifests
// hand it through env vars — that no Service of the overlay answers to. Inside a cluster a bare
// name such as `redis` resolves only to a Service of that name in the pod's namespace.
import { isIP } from 'node:net';
import { distance } from 'fastest-levenshtein';
import type { RelatedLocation, Span } from '../findings.js';
import { describeOrigin, envReadsOf, originValue, perSite, sameNamespace } from '../link/describe.js';
import type { LinkedContainer, SetLinks } from '../link/link-model.js';
import type { Resource } from '../manifests/cluster-model.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { defineCrossRule } from '../rule.js';
import type { SourceFileFacts } from '../source/app-model.js';
import { parseClientUrl } from '../source/connections.js';

const LOOPBACK = /^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|::1|\[::1\])$/;
const CLUSTER_SUFFIX = /\.svc(?:\.cluster\.local)?$/;
const HOST_VARIABLE = /(?:^|_)HOST(?:NAME)?$/;

interface Peer {
  host: string;
  port?: number;
  /** Where the code names it. */
  site: Span;
  /** How the code gets it, for the message: "`host: process.env.REDIS_HOST ?? 'localhost'`, with `REDIS_HOST` = `redis` from ConfigMap `api-config`". */
  how: string;
  related: RelatedLocation[];
}

/** The Service a host names, and the namespace it is looked up in; undefined for hosts outside the cluster. */
function clusterName(host: string, namespace: string, namespaces: ReadonlySet<string>): { service: string; namespace: string } | undefined {
  if (LOOPBACK.test(host) || isIP(host.replace(/^\[|\]$/g, '')) !== 0) return undefined;
  // `$(REDIS_HOST)` the kubelet could not expand (the variable is not defined before it): not a name.
  if (host.includes('$(')) return undefined;
  const labels = host.replace(CLUSTER_SUFFIX, '').split('.');
  if (labels.length === 1) return { service: labels[0]!, namespace };
  // `redis.cache` and `redis.cache.svc.cluster.local` name Service `redis` of namespace `cache`; it can
  // only be checked when the overlay renders that namespace (another team's namespace is not in the
  // repo). `api.example.com` is a public name.
  if (labels.length === 2 && namespaces.has(labels[1]!)) return { service: labels[0]!, namespace: labels[1]! };
  return undefined;
}

function servicePorts(service: Resource): number[] {
  const ports = valueAt(service.object, ['spec', 'ports']);
  return Array.isArray(ports) ? ports.flatMap((port: unknown) => (isRecord(port) && typeof port.port === 'number' ? [port.port] : [])) : [];
}

export default defineCrossRule({
  id: 'missing-backing-service',
  category: 'missing-backing-service',
  severity: 'P0',
  effort: 'S',
  docs: {
    summary: 'Code connects to a host no Service of the overlay provides',
    why: 'Inside the cluster a bare host name resolves only through a Service of that name in the pod\'s namespace: the `redis` of docker-compose does not exist, so every connection fails with ENOTFOUND and the pod crash-loops or hangs on retries.',
    fix: 'Add the Service (and the workload behind it) to the overlay, or point the host setting at the Service that exists, or at an ExternalName Service for a managed instance.',
  },
  check({ app, links, report }) {
    const namespaces = new Set(links.set.resources.map((resource) => resource.namespace ?? ''));
    const { add, flush } = perSite(report);
    for (const container of links.containers) {
      if (container.package === undefined || container.files.size === 0) continue;
      for (const peer of peersOf(container, app.files)) {
        const target = clusterName(peer.host, container.namespace, namespaces);
        if (target === undefined) continue;
        const service = links.set.resources.find((resource) => resource.kind === 'Service' && resource.name === target.service && sameNamespace(resource.namespace, target.namespace));
        let problem: string | undefined;
        if (service === undefined) {
          const closest = closestService(target.service, target.namespace, links);
          const inNamespace = target.namespace === '' ? 'in the namespace it is applied to' : `in namespace \`${target.namespace}\``;
          problem = `no Service \`${target.service}\` exists ${inNamespace}, so the name does not resolve and every connection fails with ENOTFOUND` +
            (closest === undefined ? '' : ` (Service \`${closest}\` exists: the intended target?)`);
        } else if (peer.port !== undefined && valueAt(service.object, ['spec', 'type']) !== 'ExternalName') {
          const ports = servicePorts(service);
          if (ports.length > 0 && !ports.includes(peer.port)) problem = `Service \`${target.service}\` exposes port ${ports.join(', ')}, not ${peer.port}, so connections are refused`;
        }
        if (problem === undefined) continue;
        const message = `{workloads} connect{s} to \`${peer.host}${peer.port === undefined ? '' : `:${peer.port}`}\` (${peer.how}): ${problem}.`;
        add(`${peer.site.file}:${peer.site.line}:${peer.site.column}:${message}`, { location: peer.site, message, related: peer.related }, container.workloadName);
      }
    }
    flush();
  },
});

/** Every host the container's code connects to, with the value the overlay gives each env var. */
function peersOf(container: LinkedContainer, files: readonly SourceFileFacts[]): Peer[] {
  const peers: Peer[] = [];
  const providedValue = (name: string): { value: string; how: string; related: RelatedLocation[] } | 'unknown' | undefined => {
    const provided = container.env.get(name);
    // Not set by anything in the set, but a Secret or ConfigMap outside it may set it.
    if (provided === undefined) return container.unknownEnvSources.length > 0 ? 'unknown' : undefined;
    const value = originValue(provided.origin);
    // A Secret's value, `valueFrom`, or a link the kubelet fills: not knowable before deploying.
    if (value === undefined || provided.origin.kind === 'service-link' || provided.origin.kind === 'runtime') return 'unknown';
    return { value, how: `\`${name}\` = \`${value}\` from ${describeOrigin(provided.origin)}`, related: [{ file: provided.location.file, line: provided.location.line, message: `\`${name}\` set here` }] };
  };
  for (const facts of files) {
    if (!container.files.has(facts.path)) continue;
    for (const connection of facts.connections) {
      let host = connection.host;
      let port = connection.port;
      let how = `\`${connection.text}\``;
      let related: RelatedLocation[] = [];
      if (connection.hostEnv !== undefined) {
        const provided = providedValue(connection.hostEnv);
        if (provided === 'unknown') continue;
        if (provided !== undefined) {
          const url = parseClientUrl(provided.value);
          host = url?.host ?? provided.value;
          if (url !== undefined) port = url.port;
          how = `\`${connection.text}\`, with ${provided.how}`;
          related = provided.related;
        } else if (host !== undefined) {
          how = `\`${connection.text}\`: \`${connection.hostEnv}\` is not set, so the fallback applies`;
        }
      }
      if (host === undefined || host === '') continue;
      if (connection.portEnv !== undefined) {
        const provided = providedValue(connection.portEnv);
        port = provided === 'unknown' ? undefined : provided === undefined ? port : Number.isInteger(Number(provided.value)) ? Number(provided.value) : undefined;
      }
      peers.push({ host, ...(port === undefined ? {} : { port }), site: connection, how, related });
    }
  }
  // `ELASTICSEARCH_URL=http://elasticsearch:9200` in the manifests, read by the code: the URL's host.
  for (const [name, reads] of envReadsOf(container, files)) {
    const first = reads[0];
    const provided = providedValue(name);
    if (first === undefined || provided === undefined || provided === 'unknown') continue;
    const url = parseClientUrl(provided.value);
    const host = url?.host ?? (HOST_VARIABLE.test(name) ? provided.value.trim() : undefined);
    if (host === undefined || host === '' || /[\s/]/.test(host)) continue;
    // A `host` option already judged through the connection above.
    if (peers.some((peer) => peer.site.file === first.file && peer.site.line === first.line)) continue;
    peers.push({ host, ...(url?.port === undefined ? {} : { port: url.port }), site: first, how: provided.how, related: provided.related });
  }
  return peers;
}

function closestService(name: string, namespace: string, links: SetLinks): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const resource of links.set.resources) {
    if (resource.kind !== 'Service' || !sameNamespace(resource.namespace, namespace)) continue;
    const score = resource.name.includes(name) || name.includes(resource.name) ? 0 : distance(resource.name, name);
    if (score <= 3 && (best === undefined || score < best.distance)) best = { name: resource.name, distance: score };
  }
  return best?.name;
}
