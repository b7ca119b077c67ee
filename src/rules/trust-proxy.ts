// Client addresses read in an Express app that never trusts the proxy in front of it. Behind an
// Ingress, the TCP peer of every request is the ingress controller's pod: `req.ip` (and the socket's
// remoteAddress) is that address for every client unless `app.set('trust proxy', …)` lets Express
// read X-Forwarded-For. express-rate-limit's default keyGenerator is `req.ip`, and its own
// validation says so (ERR_ERL_UNEXPECTED_X_FORWARDED_FOR: "The 'X-Forwarded-For' header is set but
// the Express 'trust proxy' setting is false"; its proxy wiki: the limiter becomes a global one).
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import { handlerText } from '../source/call-graph.js';
import type { ClientAddressRead, SourceFileFacts } from '../source/app-model.js';

const LIMITER_MODULES = new Set(['express-rate-limit', 'express-slow-down']);

/** The package serves through Express (Nest's default platform included). */
function isExpressApp(files: readonly SourceFileFacts[]): boolean {
  const specifiers = new Set(files.flatMap((file) => file.moduleSpecifiers));
  if (specifiers.has('@nestjs/platform-fastify')) return false;
  return specifiers.has('express') || specifiers.has('@nestjs/platform-express') || specifiers.has('@nestjs/core');
}

export default defineSourceRule({
  id: 'trust-proxy',
  category: 'memory-rate-limit',
  severity: 'P1',
  effort: 'XS',
  docs: {
    summary: "Client IP used for limits, bans or audit without Express's `trust proxy`",
    why: "Behind a Kubernetes Ingress every request reaches the pod from the ingress controller, so without `app.set('trust proxy', …)` `req.ip` is the controller's address for every client: a per-IP limit becomes one global limit, banning one IP bans every user, and audit records all name the proxy.",
    fix: "Set `app.set('trust proxy', 1)` (the number of proxies in front of the app, or the ingress controller's CIDR) so Express takes the client from X-Forwarded-For; never `true` on a directly reachable app, since clients could forge the header.",
  },
  check({ app, links, report }) {
    const packages = new Map<string, SourceFileFacts[]>();
    for (const file of app.files) {
      const key = file.packageDir ?? '.';
      packages.set(key, [...(packages.get(key) ?? []), file]);
    }
    for (const files of packages.values()) {
      if (!isExpressApp(files) || files.some((file) => file.clientAddress.trustProxy.length > 0)) continue;
      for (const file of files) {
        const scaled = scaledOut(file.path, links);
        const tail = scaled === undefined ? '' : ` (${scaled})`;
        for (const read of file.clientAddress.reads) {
          report({ location: read, message: `${describeRead(read)}, but this Express app never sets \`trust proxy\`: behind the Ingress it is the ingress controller's address for every request, so ${consequence(read)}${tail}.` });
        }
        for (const call of file.libraryCalls) {
          if (!LIMITER_MODULES.has(call.module) || call.isNew || call.options === undefined || call.options.keyGenerator !== undefined) continue;
          const name = call.assignedTo === undefined ? `This ${call.module} limiter` : `\`${call.assignedTo}\` (${call.module})`;
          report({
            location: call,
            message: `${name} counts per \`req.ip\` (its default \`keyGenerator\`), but this Express app never sets \`trust proxy\`: behind the Ingress every request has the ingress controller's address, so all users share one count and one client can exhaust the limit for everybody (the library warns with ERR_ERL_UNEXPECTED_X_FORWARDED_FOR)${tail}.`,
          });
        }
      }
    }
  },
});

function describeRead(read: ClientAddressRead): string {
  const handler = handlerText(read);
  const where = handler === undefined ? '' : ` in \`${handler}\``;
  return read.use === 'key' ? `\`${read.text}\` is the key of ${read.by}${where}` : `\`${read.text}\` is recorded by ${read.by}${where}`;
}

function consequence(read: ClientAddressRead): string {
  if (read.use === 'stored') return 'every record names the proxy instead of the client';
  return "one client's ban or limit hits every user";
}
