// HTTP probes whose path no route of the code serves: the kubelet gets a 404, which fails the probe.
// Judged only where the route table is known: Express-style `app.get('/x')`/`router.route('/x')`
// registrations, Fastify and hapi route objects (`route({ method, url | path, handler })`), with no
// mount point (`app.use('/x', …)`, a plugin `prefix`), wildcard or unread framework that could serve the path.
import { distance } from 'fastest-levenshtein';
import { perSite } from '../link/describe.js';
import { valueAt } from '../manifests/plain-data.js';
import { defineCrossRule } from '../rule.js';
import type { Route } from '../source/app-model.js';

const PROBES = {
  readinessProbe: 'the pod never becomes Ready: it gets no traffic and a rollout never finishes',
  livenessProbe: 'the kubelet restarts the container every period: a restart loop',
  startupProbe: 'the kubelet restarts the container before it ever starts: a restart loop',
} as const;
/** Methods a GET probe can be served by. */
const SERVING = new Set(['GET', 'ALL', 'HEAD']);
/** Frameworks whose routes are declared in ways this reader does not collect (decorators, file-system routing). */
const UNREAD_FRAMEWORKS = /^(?:@nestjs\/|next$|nuxt$|@remix-run\/|@trpc\/server|@apollo\/server$|apollo-server|graphql-yoga$|@fastify\/autoload$)/;

/** `/jobs/:id` or `*` as a pattern for one concrete path; a regular-expression route may serve anything. */
function routePattern(path: string): RegExp {
  if (path.includes('(')) return /.*/;
  const escape = (text: string): string => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  // `/:id` is one segment; `/:id?` (Express, and hapi's `{id?}`) may also be absent.
  const body = path
    .split('*')
    .map((part) => part.split(/(\/:[A-Za-z_][A-Za-z0-9_]*\?|:[A-Za-z_][A-Za-z0-9_]*)/)
      .map((piece, index) => (index % 2 === 0 ? escape(piece) : piece.endsWith('?') ? '(?:/[^/]+)?' : '[^/]+'))
      .join(''))
    .join('.*');
  return new RegExp(`^${body}/?$`);
}

export default defineCrossRule({
  id: 'probe-route',
  category: 'probes',
  severity: 'P1',
  effort: 'XS',
  docs: {
    summary: 'HTTP probe path that no route of the code serves',
    why: 'The kubelet counts only a 2xx or 3xx answer as a passed HTTP probe: a path the app does not serve answers 404, so readiness never passes and liveness restarts the container in a loop.',
    fix: 'Point the probe `path` at a route the app serves (a cheap `/healthz`), or add that route.',
  },
  check({ app, links, report }) {
    const { add, flush } = perSite(report);
    for (const container of links.containers) {
      if (container.init || container.package === undefined || container.files.size === 0) continue;
      const files = app.files.filter((facts) => container.files.has(facts.path));
      if (files.some((facts) => facts.moduleSpecifiers.some((specifier) => UNREAD_FRAMEWORKS.test(specifier)))) continue;
      const routes = files.flatMap((facts) => facts.routes);
      const serving = routes.filter((route) => SERVING.has(route.method));
      if (serving.length === 0) continue;
      const mounts = routes.filter((route) => route.method === 'USE');
      const { resource, path, name } = container.ref;
      for (const [probe, consequence] of Object.entries(PROBES)) {
        const requested = valueAt(container.ref.container, [probe, 'httpGet', 'path']);
        if (typeof requested !== 'string' || !requested.startsWith('/')) continue;
        const probePath = requested.split('?')[0]!;
        // A router mounted above the path may serve it from routes whose paths are relative to the mount.
        if (mounts.some((mount) => mount.path === '/' || mount.path === '*' || probePath === mount.path || probePath.startsWith(`${mount.path.replace(/\/$/, '')}/`))) continue;
        if (serving.some((route) => routePattern(route.path).test(probePath))) continue;
        const closest = closestRoute(probePath, serving);
        const location = resource.locate([...path, probe, 'httpGet', 'path']);
        add(`${location.file}:${location.line}`, {
          location,
          message:
            `The \`${probe}\` of container \`${name}\` in {workloads} requests \`GET ${probePath}\`, which no route of the code serves` +
            `${closest === undefined ? '' : ` (the closest is \`${closest.method} ${closest.path}\` at ${closest.file}:${closest.line})`}: the probe gets a 404, so ${consequence}.`,
          related: serving.slice(0, 5).map((route) => ({ file: route.file, line: route.line, message: `${route.method} ${route.path} registered here` })),
        }, container.workloadName);
      }
    }
    flush();
  },
});

function closestRoute(probePath: string, routes: readonly Route[]): Route | undefined {
  let best: { route: Route; score: number } | undefined;
  for (const route of routes) {
    const score = distance(route.path, probePath);
    if (score <= Math.max(3, Math.floor(probePath.length / 3)) && (best === undefined || score < best.score)) best = { route, score };
  }
  return best?.route;
}
