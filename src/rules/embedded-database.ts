// Databases kept in a file on the pod's disk: SQLite, lowdb, NeDB, LevelDB, node-json-db. Each
// replica opens its own copy, and without a volume a restart starts from an empty one. With a
// claim it survives restarts, but still cannot be shared: one node attaches a ReadWriteOnce
// claim, and SQLite's locking is not safe over a network filesystem.
import type { Level } from '../findings.js';
import { originValue, scaledOut } from '../link/describe.js';
import type { LinkedContainer, LinkModel } from '../link/link-model.js';
import { directoryInContainer, mountFor } from '../link/mounts.js';
import { defineSourceRule } from '../rule.js';
import type { EmbeddedDatabase, PathInfo, PrismaSqlite } from '../source/app-model.js';

interface Verdict {
  /** On a claim, in a workload that runs one replica: it survives restarts, and only scaling is ruled out. */
  persistent: boolean;
  text: string;
}

export default defineSourceRule({
  id: 'embedded-database',
  category: 'local-fs-persistence',
  severity: 'P0',
  effort: 'M',
  docs: {
    summary: 'Database kept in a local file (SQLite, lowdb, NeDB, LevelDB)',
    why: "An embedded database lives in the pod's own filesystem: each replica reads and writes its own copy, and unless a volume is mounted there a restart, reschedule or rollout starts from an empty database. A ReadWriteOnce volume keeps it across restarts but ties the service to one replica on one node, and SQLite over a shared network filesystem corrupts.",
    fix: 'Move the data to a database server the replicas share (PostgreSQL, MySQL, MongoDB, Redis) and point the code at it through an env var; if it must stay embedded, run a single-replica StatefulSet with a ReadWriteOnce claim and the Recreate strategy.',
  },
  check({ app, links, report }) {
    for (const file of app.files) {
      for (const database of file.embeddedDatabases) {
        if (database.path?.root === 'tmp') continue;
        const verdicts = verdictsFor(database, links);
        const severity: Level = verdicts.length > 0 && verdicts.every((verdict) => verdict.persistent) ? 'P1' : 'P0';
        const where = database.path === undefined ? "in the pod's filesystem" : `in ${code(database.path.text)}${directoryHint(database.path)}`;
        const deployed = unique(verdicts.map((verdict) => verdict.text));
        const scaled = deployed.length === 0 ? scaledOut(file.path, links) : undefined;
        const message =
          severity === 'P1'
            ? `\`${database.api}\` (${database.library}) keeps the database ${where} and ${deployed.join('; ')}: it survives restarts (P1), but the service can never run a second replica — another pod would open its own copy or fail to attach the claim on another node, and SQLite-style locking is not safe over a shared network filesystem.`
            : `\`${database.api}\` (${database.library}) keeps the database ${where}: each replica writes its own copy, and a restart, reschedule or rollout starts from an empty database unless a volume holds it` +
              `${deployed.length > 0 ? `; ${deployed.join('; ')}` : ''}${scaled === undefined ? '' : ` (${scaled})`}.`;
        report({ location: database, severity, message });
      }
    }
    for (const datasource of app.prismaSqlite ?? []) {
      const verdicts = prismaVerdicts(datasource, links);
      const severity: Level = verdicts.length > 0 && verdicts.every((verdict) => verdict.persistent) ? 'P1' : 'P0';
      const deployed = unique(verdicts.map((verdict) => verdict.text));
      const where = datasource.urlEnv !== undefined ? `the file \`$${datasource.urlEnv}\` names` : datasource.url !== undefined ? `\`${datasource.url}\` (relative to the schema)` : 'a local file';
      const message =
        severity === 'P1'
          ? `The Prisma datasource is SQLite, kept in ${where}, and ${deployed.join('; ')}: it survives restarts (P1), but the service can never run a second replica — another pod would open its own copy or fail to attach the claim on another node.`
          : `The Prisma datasource is SQLite, kept in ${where}: each replica writes its own copy, and a restart, reschedule or rollout starts from an empty database unless a volume holds it${deployed.length > 0 ? `; ${deployed.join('; ')}` : ''}.`;
      report({ location: datasource, severity, message });
    }
  },
});

/** Where `$DATABASE_URL` (`file:/data/app.db`) puts the database in each workload running the schema's package. */
function prismaVerdicts(datasource: PrismaSqlite, links: LinkModel): Verdict[] {
  const verdicts: Verdict[] = [];
  if (datasource.urlEnv === undefined || datasource.packageDir === undefined) return verdicts;
  for (const { set, containers } of links.sets) {
    const setName = set.kind === 'overlay' ? ` in overlay \`${set.source}\`` : '';
    for (const container of containers) {
      if (container.init || container.package?.dir !== datasource.packageDir) continue;
      const provided = container.env.get(datasource.urlEnv);
      if (provided === undefined) {
        verdicts.push({ persistent: false, text: `\`$${datasource.urlEnv}\` is not set in ${container.workloadName}${setName}` });
        continue;
      }
      const value = originValue(provided.origin);
      const file = value?.startsWith('file:') === true ? value.slice('file:'.length).replace(/\?.*$/, '') : undefined;
      if (file === undefined || !file.startsWith('/')) continue;
      const verdict = mountVerdict(container, file.slice(0, file.lastIndexOf('/')) || '/');
      verdicts.push({ ...verdict, text: `${verdict.text}${setName}` });
    }
  }
  return verdicts;
}

/** How each workload running the file holds the database's folder; empty when none runs it or the manifests do not say. */
function verdictsFor(database: EmbeddedDatabase, links: LinkModel): Verdict[] {
  const verdicts: Verdict[] = [];
  if (database.path === undefined) return verdicts;
  for (const { set, containers } of links.sets) {
    const setName = set.kind === 'overlay' ? ` in overlay \`${set.source}\`` : '';
    for (const container of containers) {
      if (container.init || !container.files.has(database.file)) continue;
      const verdict = verdictIn(container, database.path);
      if (verdict !== undefined) verdicts.push({ ...verdict, text: `${verdict.text}${setName}` });
    }
  }
  return verdicts;
}

function verdictIn(container: LinkedContainer, path: PathInfo): Verdict | undefined {
  const workload = container.workloadName;
  const where = directoryInContainer(container, path);
  if (where === undefined) return undefined;
  if ('unsetEnv' in where) return { persistent: false, text: `\`$${where.unsetEnv}\` is not set in ${workload}, so the file lands under \`undefined\` in the working directory` };
  return mountVerdict(container, where.directory);
}

/** What holds `directory` in the container: a claim (persistent only with one replica), an emptyDir, nothing. */
function mountVerdict(container: LinkedContainer, directory: string): Verdict {
  const workload = container.workloadName;
  const mount = mountFor(directory, container.mounts);
  const replicas = container.autoscaled ? `up to ${container.replicas} replicas (HPA)` : `${container.replicas} replica${container.replicas === 1 ? '' : 's'}`;
  if (mount === undefined) return { persistent: false, text: `no volume is mounted at \`${directory}\` in ${workload}` };
  const scaled = container.replicas > 1 || container.autoscaled;
  if (mount.source === 'persistentVolumeClaim' || mount.source === 'volumeClaimTemplate') {
    const claim = mount.source === 'volumeClaimTemplate' ? `each replica's own claim \`${mount.volume}\`` : `PVC \`${mount.claim ?? mount.volume}\``;
    if (!scaled) return { persistent: true, text: `\`${directory}\` is on ${claim} in ${workload}, which runs 1 replica` };
    if (mount.source === 'volumeClaimTemplate') return { persistent: false, text: `\`${directory}\` is on ${claim} while ${workload} runs ${replicas}: each replica has a different database` };
    return { persistent: false, text: `\`${directory}\` is on ${claim} while ${workload} runs ${replicas}: they cannot share one database file` };
  }
  const volume = mount.source === 'emptyDir' ? 'an emptyDir' : mount.source === 'hostPath' ? 'a hostPath' : `a ${mount.source}`;
  return { persistent: false, text: `\`${directory}\` is on ${volume} volume (\`${mount.volume}\`) in ${workload}, which does not outlive the pod or its node` };
}

/** " (under `$DB_DIR`)" for paths that start from an env var. */
function directoryHint(path: PathInfo): string {
  return path.root === 'env' && !path.text.startsWith('process.env') ? ` (under \`$${path.envVar ?? '?'}\`)` : '';
}

/** Inline code that survives backticks in the path text (template strings); a plain string literal loses its quotes. */
function code(text: string): string {
  const flat = text.replace(/\s+/g, ' ').replace(/^(['"])([^'"`$]*)\1$/, '$2');
  const short = flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
  return short.includes('`') ? `\`\` ${short} \`\`` : `\`${short}\``;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
