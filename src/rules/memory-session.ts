// Sessions kept in the process: express-session with no store (its MemoryStore), the memorystore
// package, or session-file-store on the pod's disk. Every replica has its own sessions, and a
// restart logs everybody out.
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import type { LibraryCall } from '../source/app-model.js';

/** Stores that keep sessions in the pod: in memory, or in files on its disk. */
const LOCAL_STORE = /\bMemoryStore\b|\bFileStore\b|\bSessionFileStore\b/;
/** Packages whose store class, made from `session`, keeps sessions in the pod. */
const LOCAL_STORE_MODULES = new Set(['memorystore', 'session-file-store']);

function isExpressSession(call: LibraryCall): boolean {
  return call.module === 'express-session' && !call.isNew && (call.imported === 'default' || call.imported === '*') && call.member === undefined;
}

export default defineSourceRule({
  id: 'memory-session',
  category: 'memory-session',
  severity: 'P0',
  effort: 'S',
  docs: {
    summary: 'Sessions stored in the process (express-session MemoryStore, file store)',
    why: "The default MemoryStore of express-session (and memorystore, session-file-store) keeps sessions inside one pod: behind a Service, a user's next request lands on another replica that does not know the session and is logged out, and every restart or rollout logs everybody out.",
    fix: 'Give express-session a shared `store` (connect-redis `RedisStore`, connect-mongo, connect-pg-simple), or keep the session in a signed cookie (cookie-session).',
  },
  check({ app, links, report }) {
    for (const file of app.files) {
      // `const SessionStore = require('session-file-store')(session)`: store classes of this file made by a local-store package, whatever their name.
      const localClasses = file.libraryCalls.filter((call) => LOCAL_STORE_MODULES.has(call.module) && call.assignedTo !== undefined);
      const classOf = (store: string) => localClasses.find((call) => new RegExp(`\\bnew\\s+${call.assignedTo!.replace(/\$/g, '\\$')}\\b`).test(store));
      const localStore = (store: string): boolean => LOCAL_STORE.test(store) || classOf(store) !== undefined;
      const onDisk = (store: string): boolean => /File/.test(store) || classOf(store)?.module === 'session-file-store';
      // Passport keeps its logins in this session: one finding, with passport's line as evidence.
      const passport = file.libraryCalls.filter((call) => call.module === 'passport' && call.member === 'session');
      for (const call of file.libraryCalls) {
        // Options built elsewhere (`session(options)` with an imported object) are not guessed at.
        if (!isExpressSession(call) || call.optionsUnknown === true) continue;
        const store = call.options?.store;
        if (store !== undefined && !localStore(store)) continue;
        const what = store === undefined ? 'no `store`, so it uses its built-in MemoryStore' : `\`store: ${store}\`, which keeps sessions ${onDisk(store) ? "in files on the pod's disk" : 'in the process'}`;
        const scaled = scaledOut(file.path, links);
        report({
          location: call,
          message: `express-session is set up with ${what}${passport.length > 0 ? ', and passport keeps its logins in that session' : ''}: a request that reaches another replica finds no session and the user is logged out, and every restart or rollout logs everybody out${scaled === undefined ? '' : ` (${scaled})`}.`,
          ...(passport.length > 0 ? { related: passport.map((use) => ({ file: use.file, line: use.line, message: 'passport.session() reads its logins from this session' })) } : {}),
        });
      }
    }
  },
});
