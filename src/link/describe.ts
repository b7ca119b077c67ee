// Words for the link model, shared by the cross rules and the report's Environment contract.
import type { EnvRead, EnvSchema, EnvSchemaKey, EnvSchemaParse, SourceFileFacts } from '../source/app-model.js';
import type { Report, ReportInput } from '../rule.js';
import type { EnvOrigin, LinkedContainer, LinkModel, UnknownEnvSource } from './link-model.js';
import { joinWords } from '../prose.js';

/** "ConfigMap `api-config`", "`env` of the container", "Dockerfile `ENV`". */
export function describeOrigin(origin: EnvOrigin): string {
  switch (origin.kind) {
    case 'env':
      return origin.from === undefined ? '`env`' : `\`env\` from ${origin.from}`;
    case 'configMap':
      return `ConfigMap \`${origin.name}\``;
    case 'secret':
      return origin.madeBy === undefined ? `Secret \`${origin.name}\`` : `Secret \`${origin.name}\` (made by ${origin.madeBy})`;
    case 'dockerfile':
      return `Dockerfile \`ENV\` (${origin.file}:${origin.line})`;
    case 'service-link':
      return `Kubernetes, for Service \`${origin.service}\``;
    case 'runtime':
      return 'Kubernetes';
  }
}

/** The value a person can check, when the manifests say it: a Secret's stays unread. */
export function originValue(origin: EnvOrigin): string | undefined {
  switch (origin.kind) {
    case 'env':
    case 'configMap':
    case 'dockerfile':
    case 'service-link':
      return origin.value;
    default:
      return undefined;
  }
}

/** "Secret `api-secrets` (optional, not in the rendered set)". */
export function describeUnknownSources(sources: readonly UnknownEnvSource[]): string {
  return sources.map((source) => `${source.kind} \`${source.name}\` (${source.optional ? 'optional, ' : ''}not in the rendered set)`).join(' or ');
}

/** Every env read in the files a container runs, grouped by variable, in file and line order. */
export function envReadsOf(container: LinkedContainer, files: readonly SourceFileFacts[]): Map<string, EnvRead[]> {
  const byName = new Map<string, EnvRead[]>();
  for (const facts of files) {
    if (!container.files.has(facts.path)) continue;
    for (const read of facts.envReads) {
      const reads = byName.get(read.name) ?? [];
      reads.push(read);
      byName.set(read.name, reads);
    }
  }
  return byName;
}

/** "Deployment/api", "Deployment/api and Deployment/worker". */
export function listWorkloads(names: readonly string[]): string {
  const unique = [...new Set(names)].sort();
  return joinWords(unique);
}

/** The app containers (init containers aside), in every manifest set, whose entry reaches `file`. */
export function containersRunning(file: string, links: LinkModel): LinkedContainer[] {
  return links.sets.flatMap(({ containers }) => containers.filter((container) => !container.init && container.files.has(file)));
}

/**
 * "Deployment/api runs 3 replicas in overlay `prod`": where the code of `file` runs scaled out,
 * for messages about state each process keeps to itself. Undefined when it runs nowhere scaled.
 */
export function scaledOut(file: string, links: LinkModel): string | undefined {
  const bySets = new Map<string, string[]>();
  for (const { set, containers } of links.sets) {
    for (const container of containers) {
      if (container.init || !container.files.has(file) || (container.replicas <= 1 && !container.autoscaled)) continue;
      const scale = container.autoscaled ? `up to ${container.replicas} replicas (HPA)` : `${container.replicas} replicas`;
      const text = `${container.workloadName} runs ${scale}`;
      bySets.set(text, [...new Set([...(bySets.get(text) ?? []), set.kind === 'overlay' ? `\`${set.source}\`` : ''])]);
    }
  }
  if (bySets.size === 0) return undefined;
  const where = (sets: string[]): string => {
    const overlays = sets.filter((set) => set !== '').sort();
    if (overlays.length === 0) return 'in the plain manifests';
    return `in overlay${overlays.length === 1 ? '' : 's'} ${overlays.join(', ')}`;
  };
  return [...bySets].map(([text, sets]) => `${text} ${where(sets)}`).join('; ');
}

/** An object with no namespace is applied to the current one, usually `default`: the two are the same for lookups. */
export function sameNamespace(a: string | undefined, b: string | undefined): boolean {
  const normalise = (namespace: string | undefined): string => (namespace === undefined || namespace === '' ? 'default' : namespace);
  return normalise(a) === normalise(b);
}

export interface RequiredKey {
  key: EnvSchemaKey;
  schema: string;
  library: EnvSchema['library'];
  parse: EnvSchemaParse;
}

/**
 * The keys required by the env schemas a container parses at start-up (`schema.parse(process.env)`),
 * the schema found by name in the parsing file, else in the other files the container runs.
 */
export function schemaRequiredKeys(container: LinkedContainer, files: readonly SourceFileFacts[]): Map<string, RequiredKey> {
  const running = files.filter((facts) => container.files.has(facts.path));
  const required = new Map<string, RequiredKey>();
  for (const facts of running) {
    for (const parse of facts.envSchemaParses) {
      if (parse.time !== 'init') continue;
      const schema = facts.envSchemas.find((candidate) => candidate.name === parse.schema) ??
        running.flatMap((other) => other.envSchemas).find((candidate) => candidate.name === parse.schema);
      if (schema === undefined) continue;
      for (const key of schema.keys) {
        if (key.required && !required.has(key.name)) required.set(key.name, { key, schema: parse.schema, library: schema.library, parse });
      }
    }
  }
  return required;
}


/**
 * One finding per key (a code or manifest line) however many workloads share it: `add` as each
 * container is judged, then `flush` reports each once, `{workloads}` in its message replaced by
 * the workloads' names (and `{s}` by a verb's `s` when there is one), `workload` set when alone.
 */
export function perSite(report: Report): { add(key: string, input: ReportInput, workload: string): void; flush(): void } {
  const entries = new Map<string, { input: ReportInput; workloads: string[] }>();
  return {
    add(key, input, workload) {
      const entry = entries.get(key) ?? { input, workloads: [] };
      entry.workloads.push(workload);
      entries.set(key, entry);
    },
    flush() {
      for (const { input, workloads } of entries.values()) {
        const names = [...new Set(workloads)].sort();
        const single = names.length === 1;
        report({
          ...input,
          message: input.message.replace('{workloads}', listWorkloads(names)).replace('{s}', single ? 's' : ''),
          ...(single ? { workload: names[0]! } : {}),
        });
      }
    },
  };
}
