import type { FieldPath, ManifestSet, Resource } from '../manifests/cluster-model.js';
import { autoscalerTarget, cpuUtilizationTargets, isAutoscaler } from '../manifests/autoscaling.js';
import { containers, workloadName, type ContainerRef } from '../manifests/pod-templates.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import type { Level } from '../findings.js';
import { defineManifestRule } from '../rule.js';

type Quantity = 'cpu' | 'memory';

interface Missing {
  label: string;
  level: Level;
  path: FieldPath;
  consequence: string;
}

/**
 * The containers whose requests count for the running pod: regular containers and sidecars
 * (init containers with `restartPolicy: Always`). A plain init container runs alone before them,
 * so its missing request only affects scheduling when it asks for more than they do.
 */
function runningContainers(resources: readonly Resource[]): ContainerRef[] {
  return containers(resources).filter(({ path, container }) => path.at(-2) !== 'initContainers' || container.restartPolicy === 'Always');
}

/** What a namespace's LimitRange fills in at admission: `defaultRequest` falls back to `default`, which falls back to `max`. */
interface LimitDefaults {
  request: Set<Quantity>;
  limit: Set<Quantity>;
}

function limitRangeDefaults(set: ManifestSet): Map<string, LimitDefaults> {
  const byNamespace = new Map<string, LimitDefaults>();
  for (const range of set.resources.filter((r) => r.kind === 'LimitRange' && r.apiVersion === 'v1')) {
    const namespace = range.namespace ?? '';
    const defaults = byNamespace.get(namespace) ?? { request: new Set<Quantity>(), limit: new Set<Quantity>() };
    const limits = valueAt(range.object, ['spec', 'limits']);
    for (const item of Array.isArray(limits) ? limits : []) {
      if (!isRecord(item) || item.type !== 'Container') continue;
      for (const quantity of ['cpu', 'memory'] as const) {
        const has = (field: string) => isRecord(item[field]) && (item[field] as Record<string, unknown>)[quantity] !== undefined;
        if (has('default') || has('max')) defaults.limit.add(quantity);
        if (has('defaultRequest') || has('default') || has('max')) defaults.request.add(quantity);
      }
    }
    byNamespace.set(namespace, defaults);
  }
  return byNamespace;
}

/** A request the pod really gets: written, copied from the limit (the API server does that), or filled by a LimitRange. */
function hasRequest(container: Record<string, unknown>, quantity: Quantity, defaults: LimitDefaults | undefined): boolean {
  return (
    valueAt(container, ['resources', 'requests', quantity]) !== undefined ||
    valueAt(container, ['resources', 'limits', quantity]) !== undefined ||
    defaults?.request.has(quantity) === true
  );
}

function hasLimit(container: Record<string, unknown>, quantity: Quantity, defaults: LimitDefaults | undefined): boolean {
  return valueAt(container, ['resources', 'limits', quantity]) !== undefined || defaults?.limit.has(quantity) === true;
}

/** Each setting the rule asks for, as data: what is missing is what a container lacks of these. */
const REQUIRED_SETTINGS: readonly (Missing & { present: (container: Record<string, unknown>, defaults: LimitDefaults | undefined) => boolean })[] = [
  {
    label: 'CPU request',
    level: 'P1',
    path: ['resources', 'requests', 'cpu'],
    consequence: 'the scheduler reserves no CPU for it and under contention it gets the smallest CPU share',
    present: (container, defaults) => hasRequest(container, 'cpu', defaults),
  },
  {
    label: 'memory request',
    level: 'P1',
    path: ['resources', 'requests', 'memory'],
    consequence: 'the scheduler reserves no memory for it and under node memory pressure its pod is among the first evicted (usage always exceeds a zero request)',
    present: (container, defaults) => hasRequest(container, 'memory', defaults),
  },
  {
    label: 'memory limit',
    level: 'P2',
    path: ['resources', 'limits', 'memory'],
    consequence: "a leak can exhaust the node's memory and get other pods on the node evicted or OOM-killed",
    present: (container, defaults) => hasLimit(container, 'memory', defaults),
  },
];

function missingResources(container: Record<string, unknown>, defaults: LimitDefaults | undefined): Missing[] {
  return REQUIRED_SETTINGS.filter((setting) => !setting.present(container, defaults)).map(({ present: _present, ...missing }) => missing);
}

/** The deepest path every missing field shares, so the finding points at `requests:` when only requests are missing. */
function commonPath(paths: readonly FieldPath[]): FieldPath {
  const [first, ...rest] = paths;
  if (first === undefined) return [];
  let length = first.length;
  for (const path of rest) {
    let same = 0;
    while (same < Math.min(length, path.length) && path[same] === first[same]) same += 1;
    length = same;
  }
  return first.slice(0, length);
}

function join(items: readonly string[], conjunction: 'and' | 'or'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

export default defineManifestRule({
  id: 'resources',
  category: 'resources',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Container without CPU/memory requests or memory limit; HPA on CPU without CPU requests',
    why: 'Requests are what the scheduler reserves and what eviction ranks by: without them a node is packed blind and the pod is evicted first under pressure. Without a memory limit one leak starves every pod on the node. An HPA on CPU utilisation divides usage by the CPU request, so without requests it cannot compute anything and never scales.',
    fix: 'Set `resources.requests.cpu` and `resources.requests.memory` from observed usage (p95), and `resources.limits.memory` a margin above it; leave the CPU limit off unless throttling is wanted. Or give the namespace a LimitRange with defaults.',
  },
  check({ cluster, report }) {
    const defaultsByNamespace = limitRangeDefaults(cluster);
    const defaultsFor = (resource: Resource) => defaultsByNamespace.get(resource.namespace ?? '');

    for (const { resource, path, container, name } of runningContainers(cluster.resources)) {
      const missing = missingResources(container, defaultsFor(resource));
      if (missing.length === 0) continue;
      const level: Level = missing.some((item) => item.level === 'P1') ? 'P1' : 'P2';
      report({
        location: resource.locate([...path, ...commonPath(missing.map((item) => item.path))]),
        message: `${workloadName(resource)} container \`${name}\` has no ${join(missing.map((item) => item.label), 'or')}: ${missing.map((item) => item.consequence).join('; ')}`,
        severity: level,
        workload: workloadName(resource),
      });
    }

    for (const hpa of cluster.resources.filter(isAutoscaler)) {
      const workload = autoscalerTarget(hpa, cluster.resources);
      if (workload === undefined) continue;
      const candidates = runningContainers([workload]);
      for (const target of cpuUtilizationTargets(hpa)) {
        const read = target.container === undefined ? candidates : candidates.filter((ref) => ref.name === target.container);
        const lacking = read.filter((ref) => !hasRequest(ref.container, 'cpu', defaultsFor(workload))).map((ref) => `\`${ref.name}\``);
        if (lacking.length === 0) continue;
        const how = target.defaulted ? `CPU utilisation (no metric is set, so the API server defaults to ${target.percent}% CPU)` : `${target.percent}% CPU utilisation`;
        report({
          location: hpa.locate(target.path),
          message: `${workloadName(hpa)} scales ${workloadName(workload)} on ${how}, but container${lacking.length > 1 ? 's' : ''} ${join(lacking, 'and')} ${lacking.length > 1 ? 'have' : 'has'} no CPU request: the HPA cannot compute utilisation (event \`FailedGetResourceMetric\`: missing request for cpu) and never scales`,
          severity: 'P1',
          workload: workloadName(workload),
        });
      }
    }
  },
});
