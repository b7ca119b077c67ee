// Label-selector semantics as the API server applies them, and the graph they build: which pod
// templates a Service, a PDB or an HPA reaches. Several rules ask "is this pod behind a Service".
import type { Resource } from './cluster-model.js';
import { podSpecs } from './pod-templates.js';
import { isRecord, valueAt } from './plain-data.js';

export type Labels = Readonly<Record<string, string>>;

interface SelectorRequirement {
  key: string;
  operator: string;
  values?: readonly string[];
}

/**
 * A `LabelSelector` (`matchLabels` + `matchExpressions`) against a set of labels. An empty
 * selector matches everything, as it does for a PDB or a NetworkPolicy `podSelector: {}`.
 */
export function matchesLabelSelector(selector: unknown, labels: Labels): boolean {
  if (!isRecord(selector)) return false;
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  for (const [key, value] of Object.entries(matchLabels)) {
    if (labels[key] !== String(value)) return false;
  }
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  return expressions.every((expression) => isRecord(expression) && matchesRequirement(expression as unknown as SelectorRequirement, labels));
}

function matchesRequirement({ key, operator, values = [] }: SelectorRequirement, labels: Labels): boolean {
  const present = Object.hasOwn(labels, key);
  switch (operator) {
    case 'In':
      return present && values.map(String).includes(labels[key] as string);
    case 'NotIn':
      return !present || !values.map(String).includes(labels[key] as string);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    default:
      // An unknown operator is rejected by the API server; it selects nothing.
      return false;
  }
}

/** A Service's `spec.selector` is a plain map; a Service without one selects nothing (manual Endpoints). */
export function serviceSelector(service: Resource): Labels | undefined {
  const selector = valueAt(service.object, ['spec', 'selector']);
  if (!isRecord(selector) || Object.keys(selector).length === 0) return undefined;
  return Object.fromEntries(Object.entries(selector).map(([key, value]) => [key, String(value)]));
}

export function podTemplateLabels(resource: Resource): Labels {
  const path = resource.kind === 'Pod' ? ['metadata', 'labels'] : resource.kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'] : ['spec', 'template', 'metadata', 'labels'];
  const labels = valueAt(resource.object, path);
  if (!isRecord(labels)) return {};
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, String(value)]));
}

function sameNamespace(a: Resource, b: Resource): boolean {
  return (a.namespace ?? '') === (b.namespace ?? '');
}

/** The workloads (pod-template owners) in `resources` whose pods a Service selects. */
export function workloadsSelectedBy(service: Resource, resources: readonly Resource[]): Resource[] {
  const selector = serviceSelector(service);
  if (selector === undefined) return [];
  return podSpecs(resources)
    .map(({ resource }) => resource)
    .filter((workload) => sameNamespace(service, workload) && Object.entries(selector).every(([key, value]) => podTemplateLabels(workload)[key] === value));
}

/** The Services in `resources` that send traffic to `workload`'s pods. */
export function servicesTargeting(workload: Resource, resources: readonly Resource[]): Resource[] {
  return resources.filter((resource) => resource.kind === 'Service' && workloadsSelectedBy(resource, [workload]).length > 0);
}
