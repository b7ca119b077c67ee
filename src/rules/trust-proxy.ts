// Client addresses read in an Express app that never trusts the proxy in front of it. Behind an
// Ingress, the TCP peer of every request is the ingress controller's pod: `req.ip` (and the socket's
// remoteAddress) is that address for every client unless `app.set('trust proxy', …)` lets Express
// read X-Forwarded-For. express-rate-limit's default keyGenerator is `req.ip`, and its own
// validation says so (ERR_ERL_UNEXPECTED_X_FORWARDED_FOR: "The 'X-Forwarded-For' header is set but
// the Express 'trust proxy' setting is false"; its proxy wiki: the limiter becomes a global one).
import { defineSourceRule } from '../rule.js';
import { handlerText } from '../source/call-graph.js';
import type { ClientAddressRead, Site, SourceFileFacts } from '../source/app-model.js';

const LIMITER_MODULES = new Set(['express-rate-limit', 'express-slow-down']);
/** Express's names for addresses that are never another pod: `'loopback'`, `'linklocal'` (and lists of them). */
const LOCAL_ONLY = /^(['"`])\s*(loopback|linklocal)(\s*,\s*(loopback|linklocal))*\s*\1$|^\[\s*(['"`])(loopback|linklocal)\5(\s*,\s*(['"`])(loopback|linklocal)\8)*\s*\]$/;

/**
 * The package makes its Express app here (`express()`, or Nest's `NestFactory.create()` on its
 * default Express platform): only then can the audit tell that `trust proxy` is never set. A scan
 * limited to some files of the app says nothing.
 */
function makesExpressApp(files: readonly SourceFileFacts[]): boolean {
  const specifiers = new Set(files.flatMap((file) => file.moduleSpecifiers));
  if (specifiers.has('@nestjs/platform-fastify')) return false;
  return files.some((file) =>
    file.libraryCalls.some((call) =>
      (call.module === 'express' && !call.isNew && (call.imported === 'default' || call.imported === '*') && call.member === undefined) ||
      (call.module === '@nestjs/core' && call.imported === 'NestFactory' && call.member === 'create'),
    ),
  );
}

export default defineSourceRule({
  id: 'trust-proxy',
  category: 'memory-rate-limit',
  severity: 'P1',
  effort: 'XS',
  docs: {
    summary: "Client IP used for limits, bans or audit without Express's `trust proxy`",
    why: "Behind a Kubernetes Ingress every request reaches the pod from the ingress controller, so without `app.set('trust proxy', …)` `req.ip` is the controller's address for every client: a per-IP limit becomes one global limit, banning one IP bans every user, and audit records all name the proxy.",
    fix: "Set `app.set('trust proxy', 1)` (the number of proxies in front of the app, or the ingress controller's CIDR) so Express takes the client from X-Forwarded-For, and read it from `req.ip`, never the socket's `remoteAddress`; never `true` on a directly reachable app, since clients could forge the header.",
  },
  check({ app, report }) {
    const packages = new Map<string, SourceFileFacts[]>();
    for (const file of app.files) {
      const key = file.packageDir ?? '.';
      packages.set(key, [...(packages.get(key) ?? []), file]);
    }
    for (const files of packages.values()) {
      if (!makesExpressApp(files)) continue;
      const trusted = files.flatMap((file) => file.clientAddress.trustProxy);
      // With the proxy trusted, `req.ip` is the client; the socket's address is still the proxy's.
      const trusts = trusted.find((setting) => !LOCAL_ONLY.test(setting.value));
      const uses: Use[] = [];
      for (const file of files) {
        for (const read of file.clientAddress.reads) if (trusts === undefined || read.text.endsWith('remoteAddress')) uses.push({ site: read, text: `\`${read.text}\` ${describeRead(read)}`, stored: read.use === 'stored' });
        for (const call of file.libraryCalls) {
          // `rateLimit()` with no options uses the default keyGenerator too; options this file does not spell out may set one.
          if (trusts !== undefined || !LIMITER_MODULES.has(call.module) || call.isNew || call.optionsUnknown === true || call.options?.keyGenerator !== undefined) continue;
          const name = call.assignedTo === undefined ? `an ${call.module} limiter` : `\`${call.assignedTo}\` (${call.module})`;
          uses.push({ site: call, text: `${name} counts per \`req.ip\` (its default \`keyGenerator\`; the library warns with ERR_ERL_UNEXPECTED_X_FORWARDED_FOR)`, stored: false });
        }
      }
      if (uses.length === 0) continue;
      uses.sort((a, b) => (a.site.file === b.site.file ? a.site.line - b.site.line : a.site.file < b.site.file ? -1 : 1));
      // One root cause, one finding: at the setting to change, or at the first use when there is none.
      const setting = trusted[0];
      const first = uses[0]!;
      const cause = trusts !== undefined
        ? "The socket's `remoteAddress` is the TCP peer, which behind the Ingress is the ingress controller for every client whatever `trust proxy` says (only `req.ip` follows it)"
        : setting === undefined
          ? "This Express app never sets `trust proxy`, so behind the Ingress the client address it reads is the ingress controller's for every client"
          : `\`trust proxy\` is \`${setting.value}\`, which only trusts a proxy inside the pod, but the ingress controller (or the proxy in front of the app) is another pod, so \`req.ip\` is that pod's address for every client`;
      const shown = uses.slice(0, 3).map((use) => use.text);
      const more = uses.length > 3 ? `; and ${uses.length - 3} more use${uses.length === 4 ? '' : 's'}` : '';
      const harm = uses.some((use) => !use.stored)
        ? "one client's ban or limit then hits every user"
        : 'every record then names the proxy instead of the client';
      report({
        location: trusts !== undefined ? first.site : (setting ?? first.site),
        message: `${cause}; ${harm}: ${shown.join('; ')}${more}.`,
        related: uses.map((use) => ({ file: use.site.file, line: use.site.line, message: use.text })),
      });
    }
  },
});

interface Use {
  site: Site;
  text: string;
  stored: boolean;
}

function describeRead(read: ClientAddressRead): string {
  const handler = handlerText(read);
  const where = handler === undefined ? '' : ` in \`${handler}\``;
  if (read.use === 'stored') return `is recorded by ${read.by}${where}`;
  return read.by.includes('keyGenerator') ? `is what ${read.by} returns${where}` : `keys ${read.by}${where}`;
}
