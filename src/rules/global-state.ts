// Process-wide slots written while serving: `global.x`, `globalThis.x` and Express's `app.locals.x`
// (`req.app.locals.x` in a route). They are module state without the module: one copy per process.
//
// Judged: writes (assignments, `++`, mutator calls such as `.add()`/`.push()`) at runtime, grouped
// per slot across the files of a package. Not state: writes at start-up (`app.locals.title = 'x'` at
// top level, a `global.fetch = …` polyfill, a setup function only called at load), a client built
// on first use (`if (!global.prisma) global.prisma = new PrismaClient()`), `res.locals` (one request),
// and writes in a SIGTERM handler.
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import type { GlobalSlot, MutationSite, Site, SourceFileFacts } from '../source/app-model.js';
import { describeUse, graded, inSignalHandler, nameKind } from '../source/state-sites.js';

interface Group {
  text: string;
  name: string;
  writes: { file: SourceFileFacts; site: MutationSite }[];
  mutations: MutationSite[];
  reads: Site[];
}

export default defineSourceRule({
  id: 'global-state',
  category: 'in-memory-state',
  severity: 'P1',
  effort: 'M',
  docs: {
    summary: 'Runtime state written to `global`, `globalThis` or `app.locals`',
    why: '`global`, `globalThis` and Express `app.locals` exist once per process: a value a request stores there is seen by the requests that reach the same pod only, and is gone after a restart.',
    fix: 'Keep shared runtime state in Redis or the database; keep `app.locals` for settings written at start-up and `res.locals` for per-request data.',
  },
  check({ app, links, report }) {
    for (const group of groups(app.files)) {
      const writes = group.writes.filter(({ site }) => site.time === 'runtime' && !inSignalHandler(site));
      if (writes.length === 0) continue;
      // Built on first use and kept: a client or connection per process, not shared state.
      if (group.mutations.length > 0 && group.mutations.every((site) => site.lazy === true || site.time === 'init')) continue;
      const file = writes[0]!.file;
      const runtimeReads = group.reads.filter((site) => site.time === 'runtime');
      const use = describeUse(writes.map(({ site }) => site), runtimeReads, file);
      const { cache, critical: criticalName } = nameKind(group.name);
      const critical = !cache && (use.crossHandler || criticalName);
      const scaled = scaledOut(file.path, links);
      const owner = group.text.startsWith('app.locals') ? '`app.locals` belongs to the one Express app of this process' : `\`${group.text.split('.')[0]}\` is one object per process`;
      const message = `\`${group.text}\` ${use.where}: ${owner}, so each pod keeps its own value, what one replica stores the others never see, and a restart loses it${scaled === undefined ? '' : ` (${scaled})`}`;
      report({
        location: writes[0]!.site,
        ...graded(message, critical, cache, 'one handler keeps it to itself and its name does not suggest user, security or job data'),
        related: use.related,
      });
    }
  },
});

/** Slots of the same name in the files of one package are one slot (`global.x` and `globalThis.x` too). */
function groups(files: readonly SourceFileFacts[]): Group[] {
  const byKey = new Map<string, Group>();
  for (const file of files) {
    for (const slot of file.globalSlots) {
      const key = `${file.packageDir ?? ''}\0${rootOf(slot)}.${slot.name}`;
      let group = byKey.get(key);
      if (group === undefined) {
        group = { text: slot.text, name: slot.name, writes: [], mutations: [], reads: [] };
        byKey.set(key, group);
      }
      for (const site of slot.mutations) group.writes.push({ file, site });
      group.mutations.push(...slot.mutations);
      group.reads.push(...slot.reads);
    }
  }
  return [...byKey.values()];
}

function rootOf(slot: GlobalSlot): string {
  return slot.text.startsWith('app.locals') ? 'app.locals' : 'global';
}
