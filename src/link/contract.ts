// The Workloads table and the Environment contract: what the link model knows, as plain data
// for the reporters — which package each container runs, and every variable its code reads
// against what each overlay gives it.
import { compareStrings } from '../findings.js';
import type { EnvContractEntry, WorkloadReport } from '../audit-result.js';
import type { AppModel } from '../source/app-model.js';
import { describeOrigin, describeUnknownSources, envReadsOf, schemaRequiredKeys } from './describe.js';
import type { LinkModel } from './link-model.js';

const MAX_READ_SITES = 3;

export function workloadsReport(links: LinkModel): WorkloadReport[] {
  const byContainer = new Map<string, WorkloadReport>();
  for (const { set, containers } of links.sets) {
    for (const container of containers) {
      if (container.init) continue;
      const key = `${container.workloadName}\0${container.ref.name}`;
      const report = byContainer.get(key) ?? {
        workload: container.workloadName,
        container: container.ref.name,
        ...(container.image === undefined ? {} : { image: container.image }),
        ...(container.package === undefined ? {} : { package: container.package.dir, linkedBy: container.package.how }),
        ...(container.entry === undefined ? {} : container.entry.kind === 'file' ? { entry: container.entry.file, entryFrom: container.entry.how } : { entryFrom: container.entry.how }),
        overlays: [],
      };
      report.overlays.push({ source: set.source, replicas: container.replicas, autoscaled: container.autoscaled });
      byContainer.set(key, report);
    }
  }
  return [...byContainer.values()].sort((a, b) => compareStrings(a.workload, b.workload) || compareStrings(a.container, b.container));
}

export function envContract(links: LinkModel, app: AppModel): EnvContractEntry[] {
  const entries = new Map<string, EnvContractEntry>();
  for (const { set, containers } of links.sets) {
    for (const container of containers) {
      if (container.init || container.package === undefined) continue;
      const reads = envReadsOf(container, app.files);
      const schemaKeys = schemaRequiredKeys(container, app.files);
      for (const variable of new Set([...reads.keys(), ...schemaKeys.keys()])) {
        const key = `${container.workloadName}\0${container.ref.name}\0${variable}`;
        const sites = reads.get(variable) ?? [];
        const schemaKey = schemaKeys.get(variable)?.key;
        const withDefault = sites.find((read) => read.defaultText !== undefined);
        const entry = entries.get(key) ?? {
          workload: container.workloadName,
          container: container.ref.name,
          variable,
          // As required-env judges it: a start-up schema requires it, or a read has no fallback and is not a switch.
          required: schemaKey !== undefined || sites.some((read) => !read.hasDefault && (read.coercion !== 'boolean' || read.guardedByThrow === true)),
          ...(withDefault?.defaultText === undefined ? {} : { default: withDefault.defaultText }),
          readAt: [...new Set([...(schemaKey === undefined ? [] : [schemaKey]), ...sites].map((site) => `${site.file}:${site.line}`))].slice(0, MAX_READ_SITES),
          providedBy: [],
        };
        const provided = container.env.get(variable);
        const by = provided !== undefined
          ? describeOrigin(provided.origin)
          : container.unknownEnvSources.length > 0
            ? `unknown: maybe ${describeUnknownSources(container.unknownEnvSources)}`
            : 'nobody';
        entry.providedBy.push({ source: set.source, by });
        entries.set(key, entry);
      }
    }
  }
  return [...entries.values()].sort((a, b) => compareStrings(a.workload, b.workload) || compareStrings(a.container, b.container) || compareStrings(a.variable, b.variable));
}

