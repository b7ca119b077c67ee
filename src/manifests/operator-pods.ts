// Pods that no pod template in the set describes but that an operator creates from a custom
// resource in it (an ECK `Elasticsearch`, a Percona `PerconaServerMongoDB`, a CloudNativePG
// `Cluster`). A Service or a PDB written against those pods' labels is wired, not dangling.
import type { Resource } from './cluster-model.js';
import { isRecord } from './plain-data.js';
import type { Labels } from './selectors.js';

/** Labels an operator puts on the pods of one custom resource; `ANY_VALUE` for labels that vary per pod (role, replica set, node set). */
export const ANY_VALUE = '*';

interface OperatorPods {
  group: string;
  kind: string;
  labels(resource: Resource): Labels;
}

/** Operators whose pod labels are not in their own API group's label domain (those are recognised by domain, below). */
const KNOWN_OPERATORS: readonly OperatorPods[] = [
  {
    group: 'psmdb.percona.com',
    kind: 'PerconaServerMongoDB',
    labels: (r) => ({
      'app.kubernetes.io/name': 'percona-server-mongodb',
      'app.kubernetes.io/instance': r.name,
      'app.kubernetes.io/managed-by': 'percona-server-mongodb-operator',
      'app.kubernetes.io/part-of': 'percona-server-mongodb',
      'app.kubernetes.io/component': ANY_VALUE,
      'app.kubernetes.io/replset': ANY_VALUE,
    }),
  },
  // Zalando postgres-operator (Spilo pods).
  { group: 'acid.zalan.do', kind: 'postgresql', labels: (r) => ({ application: 'spilo', 'cluster-name': r.name, 'spilo-role': ANY_VALUE }) },
];

function apiGroup(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

const customResourcesOfSet = new WeakMap<readonly Resource[], Map<string, Resource[]>>();

/** Custom resources (a dotted group that is not one of Kubernetes' own) per namespace, computed once per set. */
function customResourcesByNamespace(resources: readonly Resource[]): Map<string, Resource[]> {
  let byNamespace = customResourcesOfSet.get(resources);
  if (byNamespace === undefined) {
    byNamespace = new Map();
    for (const resource of resources) {
      const group = apiGroup(resource.apiVersion);
      if (!group.includes('.') || /(^|\.)k8s\.io$/.test(group)) continue;
      const namespace = resource.namespace ?? '';
      byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), resource]);
    }
    customResourcesOfSet.set(resources, byNamespace);
  }
  return byNamespace;
}

/**
 * The custom resource in `resources` (same namespace as `consumer`) whose operator-made pods
 * `selector` (a plain label map) can select, if any. Besides the known operators above, a
 * selector key in the label domain of a custom resource's API group (`elasticsearch.k8s.elastic.co/…`
 * next to an `elasticsearch.k8s.elastic.co` Elasticsearch, `cnpg.io/cluster` next to a
 * `postgresql.cnpg.io` Cluster) is taken as that operator's pods: operators own their label domain.
 */
export function operatorSelectedBy(consumer: Resource, selector: Labels, resources: readonly Resource[]): Resource | undefined {
  const customResources = customResourcesByNamespace(resources).get(consumer.namespace ?? '') ?? [];
  for (const resource of customResources) {
    const group = apiGroup(resource.apiVersion);
    const known = KNOWN_OPERATORS.find((operator) => operator.group === group && operator.kind === resource.kind);
    if (known !== undefined) {
      const labels = known.labels(resource);
      const matches = Object.entries(selector).every(([key, value]) => labels[key] === ANY_VALUE || labels[key] === value);
      if (matches) return resource;
      continue;
    }
    const inDomain = Object.keys(selector).some((key) => {
      const domain = key.includes('/') ? key.slice(0, key.indexOf('/')) : undefined;
      if (domain === undefined || /(^|\.)(kubernetes\.io|k8s\.io)$/.test(domain)) return false;
      return group === domain || group.endsWith(`.${domain}`);
    });
    if (inDomain) return resource;
  }
  return undefined;
}

/** A `LabelSelector`'s `matchLabels` as a plain map, for `operatorSelectedBy`; undefined when it uses `matchExpressions`. */
export function plainMatchLabels(selector: unknown): Labels | undefined {
  if (!isRecord(selector)) return undefined;
  if (Array.isArray(selector.matchExpressions) && selector.matchExpressions.length > 0) return undefined;
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  return Object.fromEntries(Object.entries(matchLabels).map(([key, value]) => [key, String(value)]));
}
