// Files written at runtime to the pod's own disk (anywhere but the temp dir): lost when the pod
// goes, invisible to the other replicas.
import type { RelatedLocation } from '../findings.js';
import type { LinkedContainer, LinkModel } from '../link/link-model.js';
import { directoryInContainer, mountFor } from '../link/mounts.js';
import { defineSourceRule } from '../rule.js';
import { handlerText } from '../source/call-graph.js';
import type { FsCall, PathInfo } from '../source/app-model.js';
import { directoryKey, sameDirectory } from '../source/directory-keys.js';
import { joinWords } from '../prose.js';

interface Group {
  key: string;
  writes: FsCall[];
}

export default defineSourceRule({
  id: 'local-fs-persistence',
  category: 'local-fs-persistence',
  severity: 'P0',
  effort: 'M',
  docs: {
    summary: 'Runtime data written to the container filesystem',
    why: 'A container filesystem is ephemeral and private to one pod: files written at runtime vanish on restart, reschedule or rollout, and a request routed to another replica cannot find them. A ReadWriteOnce volume keeps them across restarts but still cannot be shared by several replicas.',
    fix: 'Store the files in object storage (S3, GCS, MinIO) or the database and serve them from there; if a shared filesystem is unavoidable, mount a ReadWriteMany volume at that path.',
  },
  check({ app, links, report }) {
    const groups = new Map<string, Group>();
    const reads: { key: string; call: FsCall }[] = [];
    const deletes: { key: string; call: FsCall }[] = [];
    for (const file of app.files) {
      for (const call of file.fsCalls) {
        const key = call.path === undefined ? undefined : directoryKey(file.packageDir, call.path);
        if (key === undefined) continue;
        if (call.access === 'read') reads.push({ key, call });
        else if (call.access === 'delete') deletes.push({ key, call });
        else if (call.time === 'runtime') {
          const group = groups.get(key) ?? { key, writes: [] };
          group.writes.push(call);
          groups.set(key, group);
        }
      }
    }
    for (const group of groups.values()) {
      const [first, ...others] = group.writes;
      if (first === undefined || first.path === undefined) continue;
      const readBack = reads.filter((read) => sameDirectory(read.key, group.key)).map((read) => read.call);
      const removed = deletes.filter((entry) => sameDirectory(entry.key, group.key)).map((entry) => entry.call);
      const related: RelatedLocation[] = [
        ...others.map((call) => ({ file: call.file, line: call.line, message: `also written${where(call)} (${call.api})` })),
        ...readBack.map((call) => ({
          file: call.file,
          line: call.line,
          message: call.api === 'express.static' ? 'served by express.static' : `read back${where(call)} (${call.api})`,
        })),
        ...removed.map((call) => ({ file: call.file, line: call.line, message: `deleted${where(call)} (${call.api})` })),
      ];
      // User uploads are data the service owes back to someone, whether or not this code reads them.
      const uploads = group.writes.some((call) => call.api === 'multer');
      const storage = storageInWorkloads(first, first.path, links);
      // Every workload running this code writes it to shared, persistent storage: nothing to report.
      if (storage !== undefined && storage.every((verdict) => verdict.ok)) continue;
      const problems = (storage ?? []).filter((verdict) => !verdict.ok);
      const severity = readBack.length > 0 || uploads || problems.some((verdict) => verdict.fatal) ? 'P0' : 'P1';
      const deployed = problems.length === 0 ? undefined : { text: describeVerdicts(problems), persistent: problems.every((verdict) => verdict.unshared === true) };
      report({
        location: first,
        message: describe(first, first.path, group.writes, readBack, uploads, deployed, severity),
        severity,
        related,
      });
    }
  },
});

function where(call: FsCall): string {
  const handler = handlerText(call);
  return handler === undefined ? (call.time === 'init' ? ' at start-up' : '') : ` in ${handler}`;
}

interface StorageVerdict {
  ok: boolean;
  /** On a claim that several replicas cannot attach: persistent, but not shared. */
  unshared?: boolean;
  /** The directory is not configured at all: the code writes somewhere nobody meant. */
  fatal?: boolean;
  text: string;
  set: string;
}

/**
 * Where the directory lands in each workload that runs the writing file, per manifest set;
 * undefined when no workload runs it (then only the code is judged).
 */
function storageInWorkloads(call: FsCall, path: PathInfo, links: LinkModel): StorageVerdict[] | undefined {
  const verdicts: StorageVerdict[] = [];
  for (const { set, containers } of links.sets) {
    const setName = set.kind === 'overlay' ? `overlay \`${set.source}\`` : 'the plain manifests';
    for (const container of containers) {
      if (container.init || !container.files.has(call.file)) continue;
      const verdict = storageVerdict(container, path);
      if (verdict !== undefined) verdicts.push({ ...verdict, set: setName });
    }
  }
  return verdicts.length === 0 ? undefined : verdicts;
}

function storageVerdict(container: LinkedContainer, path: PathInfo): Omit<StorageVerdict, 'set'> | undefined {
  const workload = container.workloadName;
  const where = directoryInContainer(container, path);
  if (where === undefined) return undefined;
  if ('unsetEnv' in where) {
    return { ok: false, fatal: true, text: `\`$${where.unsetEnv}\` is not set in ${workload}, so the files go to \`undefined/\` under the working directory` };
  }
  const directory = where.directory;
  const mount = mountFor(directory, container.mounts);
  const replicas = container.autoscaled ? `up to ${container.replicas} replicas (HPA)` : `${container.replicas} replica${container.replicas === 1 ? '' : 's'}`;
  if (mount === undefined) return { ok: false, text: `no volume is mounted at \`${directory}\` in ${workload}` };
  if (mount.source === 'persistentVolumeClaim' || mount.source === 'volumeClaimTemplate') {
    // A claim made outside the set: its access modes are unknown, so nothing can be said.
    if (mount.accessModes === undefined) return undefined;
    const shared = mount.accessModes?.includes('ReadWriteMany') === true;
    const scaled = container.replicas > 1 || container.autoscaled;
    if (shared || !scaled) return { ok: true, text: '' };
    if (mount.source === 'volumeClaimTemplate') {
      return { ok: false, unshared: true, text: `\`${directory}\` is on each replica's own claim (\`${mount.volume}\`) while ${workload} runs ${replicas}: a file one replica writes is not on the others` };
    }
    return {
      ok: false,
      unshared: true,
      text: `\`${directory}\` is on PVC \`${mount.claim ?? mount.volume}\` (ReadWriteOnce) while ${workload} runs ${replicas}: replicas scheduled on another node cannot attach it (Multi-Attach error) and stay in ContainerCreating`,
    };
  }
  const volume = mount.source === 'emptyDir' ? 'an emptyDir' : mount.source === 'hostPath' ? 'a hostPath' : `a ${mount.source}`;
  return { ok: false, text: `\`${directory}\` is on ${volume} volume (\`${mount.volume}\`) in ${workload}, which does not outlive the pod or its node` };
}

/** "in overlay `before`, `$JOBS_DIR` is not set …; in overlay `after`, …" — one clause per distinct problem. */
function describeVerdicts(verdicts: readonly StorageVerdict[]): string {
  const byText = new Map<string, string[]>();
  for (const verdict of verdicts) byText.set(verdict.text, [...(byText.get(verdict.text) ?? []), verdict.set]);
  return [...byText].map(([text, sets]) => `in ${describeSets([...new Set(sets)].sort())}, ${text}`).join('; ');
}

/** "overlays `local` and `prod`", "overlay `prod`", "the plain manifests". */
function describeSets(sets: readonly string[]): string {
  const overlays = sets.filter((set) => set.startsWith('overlay ')).map((set) => set.slice('overlay '.length));
  const others = sets.filter((set) => !set.startsWith('overlay '));
  const named = overlays.length === 0 ? [] : [`${overlays.length === 1 ? 'overlay' : 'overlays'} ${overlays.join(', ')}`];
  return [...named, ...others].join(' and ');
}

function describe(
  first: FsCall,
  path: PathInfo,
  writes: FsCall[],
  reads: FsCall[],
  uploads: boolean,
  deployed: { text: string; persistent: boolean } | undefined,
  severity: 'P0' | 'P1',
): string {
  const under = path.root === 'env' ? `\`$${path.envVar ?? '?'}\`` : path.prefix !== undefined ? `\`${path.prefix}\`` : undefined;
  const target = under === undefined ? code(path.text) : `${code(path.text)} (under ${under})`;
  const writers = unique(writes.map((call) => handlerText(call) ?? 'runtime code'));
  const readers = unique(reads.filter((call) => call.api !== 'express.static').map((call) => handlerText(call) ?? (call.time === 'init' ? 'start-up code' : 'runtime code')));
  const served = reads.some((call) => call.api === 'express.static');
  const back = [
    ...(readers.length > 0 ? [`read back in ${list(readers)}`] : []),
    ...(served ? ['served by `express.static`'] : []),
  ];
  const readText = back.length > 0 ? ` and ${back.join(' and ')}` : '';
  const consequence =
    deployed?.persistent === true
      ? 'the files persist, but only for the pod that can attach the volume'
      : reads.length > 0 || uploads
        ? "the files live on one pod's disk, so they are lost on restart and another replica cannot serve them"
        : `the files live on one pod's disk and are lost on restart${severity === 'P1' ? ' (P1: nothing in the code reads them back)' : ''}`;
  const volume = deployed !== undefined
    ? `; ${deployed.text}`
    : path.root === 'env' ? `; \`$${path.envVar ?? '?'}\` needs shared storage (ReadWriteMany if replicas > 1)` : '';
  if (first.api === 'multer') {
    // Configured once at load; each request through its middleware stores a file there.
    const routes = first.handlers === undefined ? ' on every upload' : ` in ${list(first.handlers.map((ref) => ref.name))}`;
    return `multer stores uploaded files under ${uploadFolder(path)}${routes}${readText}: ${consequence}${volume}`;
  }
  return `${target} is written in ${list(writers)}${readText}: ${consequence}${volume}`;
}

/** `` `uploads/` (repo-relative, inside the container) ``, `` `$UPLOAD_DIR` ``. */
function uploadFolder(path: PathInfo): string {
  if (path.root === 'env') return `\`$${path.envVar ?? '?'}\``;
  const literal = /^(['"`])([^'"`$]*)\1$/.exec(path.text);
  const folder = literal === null ? code(path.text) : `\`${literal[2]}\``;
  if (path.root === 'repo') return `${folder} (repo-relative, inside the container)`;
  if (path.root === 'absolute') return `${folder} (inside the container)`;
  return folder;
}

/** Inline code that survives backticks in the path text (template strings). */
function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

function list(names: string[]): string {
  return joinWords(names.map((name) => (name.endsWith(' code') ? name : `\`${name}\``)));
}
