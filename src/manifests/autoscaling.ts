// What a HorizontalPodAutoscaler does to a workload, as the controller reads it: which workload
// it scales, between which counts, and which CPU-utilisation targets need container requests.
// Covers autoscaling/v1, v2beta1, v2beta2 and v2, with the API server's defaults applied.
import type { FieldPath, Resource } from './cluster-model.js';
import { isRecord, valueAt } from './plain-data.js';

export function isAutoscaler(resource: Resource): boolean {
  return resource.kind === 'HorizontalPodAutoscaler' && resource.apiVersion.startsWith('autoscaling/');
}

/** The HPAs in `resources` whose `scaleTargetRef` names `workload` (same namespace, kind and name). */
export function autoscalersTargeting(workload: Resource, resources: readonly Resource[]): Resource[] {
  return resources.filter(
    (hpa) =>
      isAutoscaler(hpa) &&
      (hpa.namespace ?? '') === (workload.namespace ?? '') &&
      valueAt(hpa.object, ['spec', 'scaleTargetRef', 'kind']) === workload.kind &&
      valueAt(hpa.object, ['spec', 'scaleTargetRef', 'name']) === workload.name,
  );
}

/** The workload an HPA scales, when it is in `resources`. */
export function autoscalerTarget(hpa: Resource, resources: readonly Resource[]): Resource | undefined {
  return resources.find((workload) => workload !== hpa && autoscalersTargeting(workload, [hpa]).length > 0);
}

/** `spec.minReplicas`, defaulted to 1 as the API server does. */
export function autoscalerMinReplicas(hpa: Resource): number {
  const value = valueAt(hpa.object, ['spec', 'minReplicas']);
  return typeof value === 'number' ? value : 1;
}

export function autoscalerMaxReplicas(hpa: Resource): number | undefined {
  const value = valueAt(hpa.object, ['spec', 'maxReplicas']);
  return typeof value === 'number' ? value : undefined;
}

export interface CpuUtilizationTarget {
  /** Where the target is written, or the HPA's `spec` when it is the API server's default. */
  path: FieldPath;
  /** The target percentage, when stated (the default is 80). */
  percent: number;
  /** A `ContainerResource` metric reads one container's request; a `Resource` metric reads every container's. */
  container?: string;
  /** True when no metric is written and the API server defaults to 80 % CPU. */
  defaulted: boolean;
}

const DEFAULT_CPU_UTILIZATION = 80;

/** The CPU-utilisation targets an HPA scales on; utilisation is usage divided by the CPU request. */
export function cpuUtilizationTargets(hpa: Resource): CpuUtilizationTarget[] {
  const spec = valueAt(hpa.object, ['spec']);
  if (!isRecord(spec)) return [];
  if (hpa.apiVersion === 'autoscaling/v1') {
    const percent = spec.targetCPUUtilizationPercentage;
    return typeof percent === 'number'
      ? [{ path: ['spec', 'targetCPUUtilizationPercentage'], percent, defaulted: false }]
      : [{ path: ['spec'], percent: DEFAULT_CPU_UTILIZATION, defaulted: true }];
  }
  const metrics = Array.isArray(spec.metrics) ? spec.metrics : [];
  if (metrics.length === 0) return [{ path: ['spec'], percent: DEFAULT_CPU_UTILIZATION, defaulted: true }];
  const targets: CpuUtilizationTarget[] = [];
  metrics.forEach((metric: unknown, index) => {
    if (!isRecord(metric)) return;
    const field = metric.type === 'Resource' ? 'resource' : metric.type === 'ContainerResource' ? 'containerResource' : undefined;
    const source = field === undefined ? undefined : metric[field];
    if (field === undefined || !isRecord(source) || source.name !== 'cpu') return;
    const container = field === 'containerResource' && typeof source.container === 'string' ? { container: source.container } : {};
    // v2beta2 and v2: `target: {type: Utilization, averageUtilization}`; v2beta1: `targetAverageUtilization`.
    const target = source.target;
    if (isRecord(target) && target.type === 'Utilization') {
      const percent = typeof target.averageUtilization === 'number' ? target.averageUtilization : DEFAULT_CPU_UTILIZATION;
      targets.push({ path: ['spec', 'metrics', index, field, 'target', 'averageUtilization'], percent, ...container, defaulted: false });
    } else if (typeof source.targetAverageUtilization === 'number') {
      targets.push({ path: ['spec', 'metrics', index, field, 'targetAverageUtilization'], percent: source.targetAverageUtilization, ...container, defaulted: false });
    }
  });
  return targets;
}
