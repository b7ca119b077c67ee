// Env vars the code reads with no fallback that a workload running it never gets — from `env`,
// `envFrom` keys of rendered ConfigMaps and Secrets, or the image's Dockerfile `ENV` — and the
// variables Kubernetes sets behind the code's back (service links such as `REDIS_PORT`).
import { distance } from 'fastest-levenshtein';
import type { Level, RelatedLocation, Span } from '../findings.js';
import { levelRank, LEVELS } from '../findings.js';
import { describeUnknownSources, envReadsOf, listWorkloads, perSite, schemaRequiredKeys } from '../link/describe.js';
import type { LinkedContainer } from '../link/link-model.js';
import { defineCrossRule, type ReportInput } from '../rule.js';
import type { EnvRead, SourceFileFacts } from '../source/app-model.js';

/** Options whose library rejects NaN or undefined when it is constructed. */
const VALIDATING_OPTIONS: Record<string, string> = {
  'new Worker concurrency': "BullMQ's `new Worker()` throws `concurrency must be a finite number greater than 0`",
};

interface Consequence {
  level: Level;
  /** What the read does when the variable is missing, for the message. */
  effect: string;
}

/** What a read without a fallback does when the variable is unset; undefined when unset is a valid state (a switch). */
function consequence(read: EnvRead): Consequence | undefined {
  const atStartup = read.time === 'init';
  const throwing = (effect: string): Consequence =>
    atStartup ? { level: 'P0', effect: `${effect} at start-up, so {crash}` } : { level: 'P1', effect: `${effect} in every request that reaches it` };
  if (read.guardedByThrow === true) return throwing('the code throws or exits when it is missing');
  const option = read.option === undefined ? undefined : VALIDATING_OPTIONS[`${read.option.callee} ${read.option.name}`];
  if (option !== undefined) return throwing(`it is the \`${read.option!.name}\` option and ${option}`);
  switch (read.coercion) {
    case 'boolean':
      return undefined;
    case 'url':
      return throwing('`new URL(undefined)` throws `Invalid URL`');
    case 'json':
      return throwing('`JSON.parse(undefined)` throws');
    case 'split':
      return throwing('`.split()` on undefined throws a TypeError');
    case 'number':
      return { level: 'P1', effect: 'it becomes `NaN`, silently' };
    default:
      break;
  }
  return { level: 'P2', effect: 'the code gets `undefined`' };
}

function lower(level: Level): Level | undefined {
  return LEVELS[levelRank(level) + 1];
}

export default defineCrossRule({
  id: 'required-env',
  category: 'required-env',
  severity: 'P0',
  effort: 'XS',
  docs: {
    summary: 'Env var the code needs that the workload never gets',
    why: 'A variable that is in a developer\'s `.env` but in no `env`, `envFrom` ConfigMap or Secret, or Dockerfile `ENV` is undefined in the pod: code that validates it throws at start-up and the pod crash-loops; code that does not runs with `NaN` or `undefined/…` paths.',
    fix: 'Set the variable in the workload (`env`, or a key of a ConfigMap/Secret it already loads with `envFrom`), or give it a default in the code or the Dockerfile.',
  },
  check({ app, links, report }) {
    // One finding per read site and level, naming every workload that runs it without the variable.
    const misses = new Map<string, Miss>();
    const clashes = perSite(report);
    for (const container of links.containers) {
      if (container.package === undefined || container.files.size === 0) continue;
      const reads = envReadsOf(container, app.files);
      const writesUnder = envWriteRoots(container, app.files);
      // Keys a schema parsed at start-up requires: missing, the parse throws before any read runs.
      const schemaRequired = schemaRequiredKeys(container, app.files);
      for (const [name, required] of schemaRequired) {
        if (container.env.has(name)) continue;
        const level = container.unknownEnvSources.length === 0 ? 'P0' : lower('P0');
        if (level === undefined) continue;
        const { key, schema, library, parse } = required;
        const failure = library === 'envalid' ? 'envalid exits the process' : 'the parse throws';
        const effect = `it is a required key of env schema \`${schema}\`, which ${parse.file}:${parse.line} parses at start-up: ${failure}, so {crash}`;
        const missKey = `${key.file}:${key.line}:${name}:${level}`;
        const miss = misses.get(missKey) ?? { name, read: key, bySchema: true, level, effect, sites: reads.get(name) ?? [], containers: [], similar: new Set<string>() };
        miss.containers.push(container);
        misses.set(missKey, miss);
      }
      for (const [name, sites] of reads) {
        const provided = container.env.get(name);
        if (provided?.origin.kind === 'service-link') {
          serviceLinkClash(name, sites, provided.origin, container, clashes);
          continue;
        }
        // A write root left unset is local-fs-persistence's finding, at the write, with the volume it needs;
        // a key a start-up schema requires is reported at the schema, where the process stops.
        if (provided !== undefined || writesUnder.has(name) || schemaRequired.has(name)) continue;
        const worst = sites
          .filter((read) => !read.hasDefault)
          .map((read) => ({ read, consequence: consequence(read) }))
          .filter((entry): entry is { read: EnvRead; consequence: Consequence } => entry.consequence !== undefined)
          .sort((a, b) => levelRank(a.consequence.level) - levelRank(b.consequence.level))[0];
        if (worst === undefined) continue;
        // A Secret or ConfigMap outside the rendered set may hold it: say so, one level lower.
        const level = container.unknownEnvSources.length === 0 ? worst.consequence.level : lower(worst.consequence.level);
        if (level === undefined) continue;
        const { read } = worst;
        const key = `${read.file}:${read.line}:${read.column}:${name}:${level}`;
        const miss = misses.get(key) ?? { name, read, bySchema: false, level, effect: worst.consequence.effect, sites, containers: [], similar: new Set<string>() };
        miss.containers.push(container);
        const similar = similarlyNamed(name, container, reads);
        if (similar !== undefined) miss.similar.add(similar);
        misses.set(key, miss);
      }
    }
    for (const miss of misses.values()) report(describeMiss(miss));
    clashes.flush();
  },
});

interface Miss {
  name: string;
  /** The read (or schema key) whose consequence sets the level; the finding points at it. */
  read: Span;
  /** Required by an env schema rather than read without a fallback. */
  bySchema: boolean;
  level: Level;
  effect: string;
  sites: readonly EnvRead[];
  containers: LinkedContainer[];
  similar: Set<string>;
}

function describeMiss({ name, read, bySchema, level, effect, sites, containers, similar }: Miss): ReportInput {
  const workloads = [...new Set(containers.map((container) => container.workloadName))];
  const unknown = [...new Set(containers.filter((container) => container.unknownEnvSources.length > 0).map((container) => describeUnknownSources(container.unknownEnvSources)))];
  const onlyJobs = containers.every((container) => container.workload.kind === 'Job' || container.workload.kind === 'CronJob');
  const crash = onlyJobs ? 'every run fails' : 'the pods crash-loop';
  const message = [
    `\`${name}\` is ${bySchema ? 'required here' : 'read here with no fallback'} but the pods of ${listWorkloads(workloads)} never get it (no \`env\` entry, no \`envFrom\` key, no Dockerfile \`ENV\`): ${effect.replace('{crash}', crash)}`,
    unknown.length === 0 ? '' : `; unless ${unknown.join(', or ')} holds it`,
    similar.size === 0 ? '' : `; the manifests set ${[...similar].sort().map((other) => `\`${other}\``).join(', ')}, which the code never reads (a typo?)`,
    `. Set it in ${whereToSet(containers)}.`,
  ].join('');
  const related: RelatedLocation[] = sites
    .filter((other) => other !== read)
    .slice(0, 5)
    .map((other) => ({ file: other.file, line: other.line, message: `\`${name}\` also read here` }));
  return { location: read, message, severity: level, related, ...(workloads.length === 1 ? { workload: workloads[0]! } : {}) };
}

/**
 * `REDIS_PORT` read as a number while a Service `redis` exists: the kubelet sets
 * `REDIS_PORT=tcp://<cluster-ip>:6379` in every pod of the namespace, so the fallback never
 * applies and `Number()` gives NaN.
 */
function serviceLinkClash(
  name: string,
  sites: readonly EnvRead[],
  origin: { service: string; value: string },
  container: LinkedContainer,
  clashes: ReturnType<typeof perSite>,
): void {
  // Read as a number (or passed as a `port`) with nothing to catch the NaN.
  const numeric = sites.find((read) => (read.coercion === 'number' || read.option?.name === 'port') && read.fallbackCatchesNaN !== true);
  if (numeric === undefined || /^\d+$/.test(origin.value)) return;
  const level: Level = numeric.time === 'init' ? 'P0' : 'P1';
  const fallback = numeric.defaultText === undefined ? '' : ` and the fallback \`${numeric.defaultText}\` never applies`;
  const message =
    `\`${name}\` is set in the pods of {workloads} by Kubernetes, not by the manifests: Service \`${origin.service}\` in the same namespace makes the kubelet inject \`${name}=${origin.value}\` (service links), ` +
    `so \`Number()\` gives NaN${fallback}. Rename the variable (e.g. \`${name}_NUMBER\`), set it explicitly in the container's \`env\`, or set \`enableServiceLinks: false\` in the pod spec.`;
  clashes.add(`${numeric.file}:${numeric.line}:${numeric.column}:${name}`, { location: numeric, message, severity: level }, container.workloadName);
}

/** Variables that are the root of a runtime write path in the container's files: unset, they write under `undefined/`. */
function envWriteRoots(container: LinkedContainer, files: readonly SourceFileFacts[]): Set<string> {
  const roots = new Set<string>();
  for (const facts of files) {
    if (!container.files.has(facts.path)) continue;
    for (const call of facts.fsCalls) if (call.access === 'write' && call.path?.envVar !== undefined) roots.add(call.path.envVar);
  }
  return roots;
}

/** A variable the manifests set and the code never reads, spelled almost like `name`: `RESULT_DIR` for `RESULTS_DIR`. */
function similarlyNamed(name: string, container: LinkedContainer, reads: ReadonlyMap<string, EnvRead[]>): string | undefined {
  for (const provided of container.env.values()) {
    const kind = provided.origin.kind;
    if (kind === 'service-link' || kind === 'runtime' || reads.has(provided.name)) continue;
    if (distance(provided.name, name) <= 2) return provided.name;
  }
  return undefined;
}

/** "ConfigMap `api-config` (already loaded with `envFrom`) or the `env` of container `worker` in Deployment/worker". */
function whereToSet(containers: readonly LinkedContainer[]): string {
  const configMapsOf = (container: LinkedContainer): Set<string> =>
    new Set([...container.env.values()].flatMap((provided) => (provided.origin.kind === 'configMap' ? [provided.origin.name] : [])));
  const [first, ...others] = containers;
  if (first === undefined) return 'the workload';
  // A ConfigMap every one of them already loads is the one place to add it.
  const shared = [...configMapsOf(first)].filter((name) => others.every((container) => configMapsOf(container).has(name))).sort()[0];
  const env = others.length === 0 ? `the \`env\` of container \`${first.ref.name}\` in ${first.workloadName}` : 'the `env` of each of these containers';
  return shared === undefined ? env : `ConfigMap \`${shared}\` (already loaded with \`envFrom\`) or ${env}`;
}
