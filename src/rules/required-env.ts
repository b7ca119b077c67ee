// Env vars the code reads with no fallback that a workload running it never gets — from `env`,
// `envFrom` keys of rendered ConfigMaps and Secrets, or the image's Dockerfile `ENV` — and the
// variables Kubernetes sets behind the code's back (service links such as `REDIS_PORT`).
import { distance } from 'fastest-levenshtein';
import type { Level, RelatedLocation } from '../findings.js';
import { levelRank, LEVELS } from '../findings.js';
import { describeUnknownSources, envReadsOf, listWorkloads } from '../link/describe.js';
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
    const findings = new Map<string, { input: ReportInput; workloads: string[] }>();
    const add = (key: string, input: ReportInput, workload: string): void => {
      const entry = findings.get(key) ?? { input, workloads: [] };
      entry.workloads.push(workload);
      findings.set(key, entry);
    };
    for (const container of links.containers) {
      if (container.package === undefined || container.files.size === 0) continue;
      const reads = envReadsOf(container, app.files);
      const writesUnder = envWriteRoots(container, app.files);
      for (const [name, sites] of reads) {
        const provided = container.env.get(name);
        if (provided?.origin.kind === 'service-link') {
          serviceLinkClash(name, sites, provided.origin, container, add);
          continue;
        }
        // A write root left unset is local-fs-persistence's finding, at the write, with the volume it needs.
        if (provided !== undefined || writesUnder.has(name)) continue;
        const judged = sites
          .filter((read) => !read.hasDefault)
          .map((read) => ({ read, consequence: consequence(read) }))
          .filter((entry): entry is { read: EnvRead; consequence: Consequence } => entry.consequence !== undefined)
          .sort((a, b) => levelRank(a.consequence.level) - levelRank(b.consequence.level));
        const worst = judged[0];
        if (worst === undefined) continue;
        // A Secret or ConfigMap outside the rendered set may hold it: say so, one level lower.
        const unknown = container.unknownEnvSources;
        const level = unknown.length === 0 ? worst.consequence.level : lower(worst.consequence.level);
        if (level === undefined) continue;
        const others = sites.filter((read) => read !== worst.read);
        const related: RelatedLocation[] = others.slice(0, 5).map((read) => ({ file: read.file, line: read.line, message: `\`${name}\` also read here` }));
        const similar = similarlyNamed(name, container, reads);
        const message = [
          `\`${name}\` is read here with no fallback but the pods of {workloads} never get it (no \`env\` entry, no \`envFrom\` key, no Dockerfile \`ENV\`): ${worst.consequence.effect}`,
          unknown.length === 0 ? '' : `; unless ${describeUnknownSources(unknown)} holds it`,
          similar === undefined ? '' : `; the manifests set \`${similar}\`, which the code never reads (a typo?)`,
          `. Set it in ${whereToSet(container)}.`,
        ].join('').replace('{crash}', crashOf(container));
        add(`${worst.read.file}:${worst.read.line}:${worst.read.column}:${name}:${level}:${message}`, { location: worst.read, message, severity: level, related }, container.workloadName);
      }
    }
    for (const { input, workloads } of findings.values()) {
      // One finding per code line, naming every workload that runs it.
      const single = new Set(workloads).size === 1;
      report({ ...input, message: input.message.replace('{workloads}', listWorkloads(workloads)), ...(single ? { workload: workloads[0]! } : {}) });
    }
  },
});

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
  add: (key: string, input: ReportInput, workload: string) => void,
): void {
  const numeric = sites.find((read) => read.coercion === 'number' || read.option !== undefined);
  if (numeric === undefined || /^\d+$/.test(origin.value)) return;
  const level: Level = numeric.time === 'init' ? 'P0' : 'P1';
  const fallback = numeric.defaultText === undefined ? '' : ` and the fallback \`${numeric.defaultText}\` never applies`;
  const message =
    `\`${name}\` is set in the pods of {workloads} by Kubernetes, not by the manifests: Service \`${origin.service}\` in the same namespace makes the kubelet inject \`${name}=${origin.value}\` (service links), ` +
    `so \`Number()\` gives NaN${fallback}. Rename the variable (e.g. \`${name}_NUMBER\`), set it explicitly in the container's \`env\`, or set \`enableServiceLinks: false\` in the pod spec.`;
  add(`${numeric.file}:${numeric.line}:${numeric.column}:${name}:link`, { location: numeric, message, severity: level }, container.workloadName);
}

/** What a throw at start-up does to the workload: a Deployment's pods restart forever, a Job's fail. */
function crashOf(container: LinkedContainer): string {
  const kind = container.workload.kind;
  return kind === 'Job' || kind === 'CronJob' ? `every run of ${container.workloadName} fails` : 'the pods crash-loop';
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

/** "ConfigMap `api-config` (already loaded with `envFrom`) or the `env` of container `worker`". */
function whereToSet(container: LinkedContainer): string {
  const configMaps = [...container.env.values()].flatMap((provided) => (provided.origin.kind === 'configMap' ? [provided.origin.name] : []));
  const configMap = configMaps[0];
  const env = `the \`env\` of container \`${container.ref.name}\` in ${container.workloadName}`;
  return configMap === undefined ? env : `ConfigMap \`${configMap}\` (already loaded with \`envFrom\`) or ${env}`;
}
