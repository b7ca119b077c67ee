// Connections to localhost that nothing in the pod answers: a fallback such as
// `process.env.REDIS_HOST ?? 'localhost'` or a literal `redis://127.0.0.1:6379` works on a laptop
// next to docker-compose, and in a pod reaches the pod itself, where no container listens there.
import { describeOrigin, originValue, perSite } from '../link/describe.js';
import type { LinkedContainer } from '../link/link-model.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { defineCrossRule } from '../rule.js';
import type { Connection, SourceFileFacts } from '../source/app-model.js';
import { parseClientUrl } from '../source/connections.js';

const LOOPBACK = /^(?:localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/;

/** The host and port a connection really uses in this container, when both are known. */
function effectivePeer(connection: Connection, container: LinkedContainer): { host: string; port: number; how: string } | undefined {
  let host = connection.host;
  let port = connection.port;
  let how = `\`${connection.text}\``;
  if (connection.hostEnv !== undefined) {
    const provided = container.env.get(connection.hostEnv);
    if (provided !== undefined) {
      const value = originValue(provided.origin);
      if (value === undefined) return undefined;
      const url = parseClientUrl(value);
      host = url?.host ?? value;
      if (url?.port !== undefined) port = url.port;
      how = `\`${connection.hostEnv}\` = \`${value}\` from ${describeOrigin(provided.origin)}`;
    } else if (container.unknownEnvSources.length > 0) {
      return undefined;
    } else {
      how = `\`${connection.text}\`: \`${connection.hostEnv}\` is not set, so the fallback applies`;
    }
  }
  if (connection.portEnv !== undefined) {
    const provided = container.env.get(connection.portEnv);
    if (provided !== undefined) {
      const value = Number(originValue(provided.origin));
      port = Number.isInteger(value) ? value : undefined;
    }
  }
  return host === undefined || port === undefined ? undefined : { host, port, how };
}

/** Ports something in the pod listens on: every container's declared ports, and the code's own `listen`. */
function podPorts(container: LinkedContainer, files: readonly SourceFileFacts[]): Set<number> {
  const ports = new Set<number>();
  // The container's path is `[…pod spec, 'containers', index]`: its pod spec holds every container of the pod.
  const podSpec = valueAt(container.ref.resource.object, container.ref.path.slice(0, -2));
  for (const list of ['containers', 'initContainers']) {
    const entries = isRecord(podSpec) ? podSpec[list] : undefined;
    for (const sibling of Array.isArray(entries) ? entries : []) {
      if (!isRecord(sibling) || !Array.isArray(sibling.ports)) continue;
      for (const port of sibling.ports) if (isRecord(port) && typeof port.containerPort === 'number') ports.add(port.containerPort);
    }
  }
  for (const facts of files) if (container.files.has(facts.path)) for (const listen of facts.listens) if (listen.port !== undefined) ports.add(listen.port);
  return ports;
}

export default defineCrossRule({
  id: 'hardcoded-endpoint',
  category: 'hardcoded-endpoint',
  severity: 'P0',
  effort: 'XS',
  docs: {
    summary: 'Connection to localhost that nothing in the pod answers',
    why: 'Inside a pod, `localhost` is the pod itself: a Redis, database or API that ran beside the app on a laptop or VM is not there, so every connection is refused and the app crash-loops or hangs on retries.',
    fix: 'Set the host variable in the workload to the Service that runs the dependency (`redis`, `postgres.db.svc`), or add the dependency as a sidecar if it really must be local.',
  },
  check({ app, links, report }) {
    const { add, flush } = perSite(report);
    for (const container of links.containers) {
      if (container.init || container.package === undefined || container.files.size === 0) continue;
      const listening = podPorts(container, app.files);
      for (const facts of app.files) {
        if (!container.files.has(facts.path)) continue;
        for (const connection of facts.connections) {
          const peer = effectivePeer(connection, container);
          if (peer === undefined || !LOOPBACK.test(peer.host) || listening.has(peer.port)) continue;
          add(`${connection.file}:${connection.line}:${connection.column}:${peer.how}`, {
            location: connection,
            message: `{workloads} connect{s} to \`${peer.host}:${peer.port}\` (${peer.how}): in a pod that is the pod itself, and no container there listens on ${peer.port}, so every connection is refused.`,
          }, container.workloadName);
        }
      }
    }
    flush();
  },
});
