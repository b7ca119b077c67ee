// Sessions kept in the process: express-session with no store (its MemoryStore), the memorystore
// package, or session-file-store on the pod's disk. Every replica has its own sessions, and a
// restart logs everybody out.
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import type { LibraryCall } from '../source/app-model.js';

/** Stores that keep sessions in the pod: in memory, or in files on its disk. */
const LOCAL_STORE = /\bMemoryStore\b|\bFileStore\b|\bSessionFileStore\b/;

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
      for (const call of file.libraryCalls) {
        // Options built elsewhere (`session(options)` with an imported object) are not guessed at.
        if (!isExpressSession(call) || call.optionsUnknown === true) continue;
        const store = call.options?.store;
        if (store !== undefined && !LOCAL_STORE.test(store)) continue;
        const what = store === undefined ? 'no `store`, so it uses its built-in MemoryStore' : `\`store: ${store}\`, which keeps sessions ${/File/.test(store) ? "in files on the pod's disk" : 'in the process'}`;
        const scaled = scaledOut(file.path, links);
        report({
          location: call,
          message: `express-session is set up with ${what}: a request that reaches another replica finds no session and the user is logged out, and every restart or rollout logs everybody out${scaled === undefined ? '' : ` (${scaled})`}.`,
        });
      }
    }
  },
});
