// Directories walked and files read once at start-up from a place the app itself writes to at
// runtime: each pod keeps the snapshot it took when it started and never sees the files written
// after it, by itself or by another replica. (Runtime reads of those places are
// local-fs-persistence's business; start-up reads of bundled data are fine.)
import type { Level, RelatedLocation } from '../findings.js';
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import type { FsCall, PathInfo } from '../source/app-model.js';
import { handlerText } from '../source/call-graph.js';
import { directoryKey, sameDirectory } from '../source/directory-keys.js';

const GLOB_API = /^(glob|fast-glob|globby|tiny-glob)(\.|$)/;
const FILE_READS = new Set(['readFile', 'createReadStream', 'readJson', 'readJSON']);
/** Writes that hold what users or jobs produced: requests, middleware, queue processors. */
const USER_DATA_HANDLER = /^(GET|POST|PUT|PATCH|DELETE|ALL|USE|HEAD|OPTIONS) |^middleware$|^BullMQ worker |processor/;
const USER_DATA_PATH = /upload|result|export|attachment|avatar|invoice|report/i;

/** A walk reads a whole directory; a file read one file. Existence checks, watches and serving are not loads. */
function loadKind(call: FsCall): 'walk' | 'file' | undefined {
  if (call.access !== 'read' || call.time !== 'init' || call.path === undefined) return undefined;
  if (GLOB_API.test(call.api)) return 'walk';
  const method = call.api.slice(call.api.lastIndexOf('.') + 1).replace(/Sync$/, '');
  if (method === 'readdir' || method === 'opendir') return 'walk';
  return FILE_READS.has(method) ? 'file' : undefined;
}

interface Write {
  key: string;
  call: FsCall;
}

interface Load {
  key: string;
  kind: 'walk' | 'file';
  call: FsCall;
  path: PathInfo;
  writes: Write[];
}

export default defineSourceRule({
  id: 'startup-fs-load',
  category: 'startup-fs-load',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Directory or file loaded once at start-up from a place the app writes at runtime',
    why: 'Each pod reads the directory when it starts and serves from that snapshot: files written afterwards, by the same pod or by another replica (each with its own disk), never show up until the pod restarts, so replicas answer differently and new data seems lost.',
    fix: 'Keep the data in the database or object storage and query it per request (with a short-lived cache if needed), or read the directory at request time from a shared ReadWriteMany volume.',
  },
  check({ app, links, report }) {
    const writes: Write[] = [];
    const loads: Load[] = [];
    for (const file of app.files) {
      // A walk followed by deletes at start-up (`for (f of await glob('ftp/*.pdf')) await fs.remove(f)`,
      // juice-shop) clears the folder: nothing is kept from it, so there is no snapshot to go stale.
      const clearsAtStartUp = file.fsCalls.some((call) => call.access === 'delete' && call.time === 'init');
      for (const call of file.fsCalls) {
        if (call.path === undefined) continue;
        const key = directoryKey(file.packageDir, call.path);
        if (key === undefined) continue;
        if (call.access === 'write' && call.time === 'runtime') writes.push({ key, call });
        const kind = loadKind(call);
        if (kind !== undefined && !(kind === 'walk' && clearsAtStartUp)) loads.push({ key, kind, call, path: call.path, writes: [] });
      }
    }
    if (writes.length === 0) return;
    // One finding per directory loaded: the walk and the reads of its files are one snapshot.
    const byDirectory = new Map<string, Load[]>();
    for (const load of loads) {
      load.writes = writes.filter((write) => writesWhatIsLoaded(write, load));
      if (load.writes.length === 0) continue;
      byDirectory.set(load.key, [...(byDirectory.get(load.key) ?? []), load]);
    }
    for (const group of byDirectory.values()) {
      const [first, ...others] = group;
      if (first === undefined) continue;
      const written = unique(group.flatMap((load) => load.writes.map((write) => write.call)));
      const userData = written.some(isUserData);
      const severity: Level = userData ? 'P0' : 'P1';
      const related: RelatedLocation[] = [
        ...others.map((load) => ({ file: load.call.file, line: load.call.line, message: `also loaded at start-up (${load.call.api})` })),
        ...written.map((call) => ({ file: call.file, line: call.line, message: `written at runtime${where(call)} (${call.api})` })),
      ];
      const scaled = scaledOut(first.call.file, links);
      const writers = unique(written.map((call) => `${call.api === 'multer' ? 'multer uploads' : `\`${call.api}\``}${where(call)}`));
      const consequence = userData
        ? 'each pod serves the snapshot it took when it started, so what users upload or jobs produce afterwards — on this pod or on another replica — never shows up until a restart'
        : 'each pod keeps the snapshot it took when it started and misses every file written after it, by itself or by another replica';
      report({
        location: first.call,
        severity,
        related,
        message:
          `${code(`${first.call.api}(${shorten(first.path.text)})`)} loads ${subject(first)} once at start-up, but the app writes there at runtime (${writers.join('; ')}): ${consequence}` +
          `${userData ? '' : ' (P1: the writes are not user uploads or job results)'}${scaled === undefined ? '' : ` (${scaled})`}.`,
      });
    }
  },
});

/**
 * A walk sees every file written in its directory (or below); a read of one named file only sees
 * writes of that file. A read whose file name is computed is taken as part of a walk.
 */
function writesWhatIsLoaded(write: Write, load: Load): boolean {
  if (load.kind === 'walk' || load.path.file === undefined) return sameDirectory(load.key, write.key);
  return load.key === write.key && write.call.path?.file === load.path.file;
}

function isUserData(call: FsCall): boolean {
  if (call.api === 'multer') return true;
  if (call.handlers?.some((ref) => USER_DATA_HANDLER.test(ref.name)) === true) return true;
  return call.path !== undefined && USER_DATA_PATH.test(call.path.text);
}

/** "`$UPLOAD_DIR`", "`products.json` in `$DATA_DIR`", "`uploads` (repo-relative)". */
function subject(load: Load): string {
  const path = load.path;
  const folder =
    path.root === 'env' ? `\`$${path.envVar ?? '?'}\`` : path.root === 'absolute' ? `\`${path.prefix ?? '/'}\`` : `\`${path.prefix ?? '.'}\` (relative to the app)`;
  return load.kind === 'file' && path.file !== undefined ? `\`${path.file}\` in ${folder}` : folder;
}

function where(call: FsCall): string {
  const handler = handlerText(call);
  return handler === undefined ? '' : ` in \`${handler}\``;
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
}

/** Inline code that survives backticks in the path text (template strings). */
function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
