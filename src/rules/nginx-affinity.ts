// Client affinity in an nginx `upstream` block that cannot work in front of pods. An upstream
// `server` written as a Service name resolves to one ClusterIP: nginx has a single peer to be
// sticky to and kube-proxy picks the pod for every new connection. Behind an Ingress, nginx also
// sees the ingress controller's address as every client's, so `ip_hash` sends everyone one way.
import { defineSourceRule } from '../rule.js';
import type { UpstreamAffinity } from '../link/nginx-upstreams.js';

const IP_ADDRESS = /^(\d{1,3}\.){3}\d{1,3}(:\d+)?$|^\[[0-9a-f:]+\](:\d+)?$/i;

export default defineSourceRule({
  id: 'nginx-affinity',
  category: 'sticky-session',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Client affinity in an nginx upstream (`ip_hash`, `sticky`) in front of pods',
    why: "`ip_hash` and `sticky` pin a client to one `server` of an nginx upstream, but in Kubernetes the upstream is a Service: its name resolves to one ClusterIP and kube-proxy chooses the pod per connection, so nothing is pinned; behind an Ingress every client also arrives from the controller's address, so `ip_hash` hashes them all alike. The app's sessions or sockets then land on pods that do not know them.",
    fix: "Make the app stateless across pods (shared session store, socket.io adapter), or move affinity to where pods are visible: ingress-nginx `nginx.ingress.kubernetes.io/affinity: cookie`, or a headless Service whose pod IPs nginx resolves itself.",
  },
  check({ links, report }) {
    for (const affinity of links.upstreamAffinity) {
      const text = message(affinity);
      if (text !== undefined) report({ location: affinity, message: text });
    }
  },
});

/** `web-0.web:8080`: a StatefulSet pod's own name under its headless Service, one pod per name. */
const POD_NAME = /^[a-z0-9-]+-\d+\.[a-z0-9-]+(\.|:|$)/;

function message(affinity: UpstreamAffinity): string | undefined {
  const perPod = affinity.servers.length > 0 && affinity.servers.every((server) => POD_NAME.test(server));
  const pinned = `upstream \`${affinity.upstream}\` pins each client to one server with \`${affinity.directive}\``;
  const behindIngress = "behind an Ingress every request comes from the ingress controller's address, so all clients hash to the same server";
  // Servers that name pods one by one keep cookie affinity working; only the client address is lost behind an Ingress.
  if (perPod) return affinity.keyedBy === 'client-ip' ? `${pinned}, but ${behindIngress}.` : undefined;
  const named = affinity.servers.filter((server) => !IP_ADDRESS.test(server) && !server.startsWith('unix:'));
  const target =
    named.length > 0
      ? `its server \`${named[0]}\` is a host name: in the cluster that is a Service with one ClusterIP, and kube-proxy picks the pod for every connection, so no pod is pinned`
      : affinity.servers.length > 0
        ? `its servers are fixed addresses, and pods get new IPs whenever they are rescheduled`
        : 'in the cluster its servers are Services or pods, which nginx does not pin';
  const clientIp = affinity.keyedBy === 'client-ip' ? `; and ${behindIngress}` : '';
  return `${pinned}, but ${target}${clientIp}.`;
}
