// Where each workload kind keeps its pod spec, so rules ask "which containers run here"
// without knowing that a CronJob nests its template two levels deeper than a Deployment.
import type { FieldPath, Resource } from './cluster-model.js';
import { isRecord, valueAt } from './plain-data.js';

const POD_SPEC_PATHS: Record<string, FieldPath> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export interface PodSpecRef {
  resource: Resource;
  /** Path of the pod spec inside the resource. */
  path: FieldPath;
  spec: Record<string, unknown>;
}

export interface ContainerRef {
  resource: Resource;
  /** Path of the container inside the resource: `[...podSpecPath, 'containers', 0]`. */
  path: FieldPath;
  container: Record<string, unknown>;
  name: string;
}

/** Several rules ask for the pod specs of the same set, once per Service or PDB: walk each set once. */
const podSpecsOfSet = new WeakMap<readonly Resource[], PodSpecRef[]>();

export function podSpecs(resources: readonly Resource[]): PodSpecRef[] {
  const cached = podSpecsOfSet.get(resources);
  if (cached !== undefined) return cached;
  const specs: PodSpecRef[] = [];
  for (const resource of resources) {
    // `kind` is input: `kind: toString` must not find Object.prototype.toString.
    if (!Object.hasOwn(POD_SPEC_PATHS, resource.kind)) continue;
    const path = POD_SPEC_PATHS[resource.kind] as FieldPath;
    const spec = valueAt(resource.object, path);
    if (isRecord(spec)) specs.push({ resource, path, spec });
  }
  podSpecsOfSet.set(resources, specs);
  return specs;
}

/** Every container and init container of every workload in the set. */
export function containers(resources: readonly Resource[]): ContainerRef[] {
  const found: ContainerRef[] = [];
  for (const { resource, path, spec } of podSpecs(resources)) {
    for (const list of ['initContainers', 'containers'] as const) {
      const items = spec[list];
      if (!Array.isArray(items)) continue;
      items.forEach((container: unknown, index) => {
        if (!isRecord(container)) return;
        const name = typeof container.name === 'string' ? container.name : `#${index}`;
        found.push({ resource, path: [...path, list, index], container, name });
      });
    }
  }
  return found;
}

/** `Deployment/api`, the way findings name a workload. */
export function workloadName(resource: Resource): string {
  return `${resource.kind}/${resource.name}`;
}
