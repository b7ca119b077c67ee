import type { Level } from '../findings.js';
import type { FieldPath, Resource } from '../manifests/cluster-model.js';
import { containers, workloadName, type ContainerRef } from '../manifests/pod-templates.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { servicesTargeting } from '../manifests/selectors.js';
import { defineManifestRule } from '../rule.js';

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
type ProbeField = (typeof PROBES)[number];
const HANDLERS = ['httpGet', 'tcpSocket', 'grpc', 'exec'] as const;

/** Kubernetes defaults for probe timing. */
const DEFAULT_PERIOD = 10;
const DEFAULT_FAILURE_THRESHOLD = 3;
/** Below this many seconds a liveness probe without a startupProbe restarts a slow start. */
const SHORT_START_SECONDS = 30;

/** Workload kinds that run until stopped; a Job's pods are not asked for a readiness probe. */
const SERVING_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Pod']);

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

function declaredPorts(container: Record<string, unknown>): { names: string[]; numbers: number[] } {
  const ports = Array.isArray(container.ports) ? container.ports.filter(isRecord) : [];
  return {
    names: ports.map((port) => port.name).filter((name): name is string => typeof name === 'string'),
    numbers: ports.map((port) => port.containerPort).filter((port): port is number => typeof port === 'number'),
  };
}

/**
 * The containers a Service's traffic reaches: those declaring one of its target ports (by name
 * or number). When no target port resolves to a declared one, every container may be serving.
 */
function servingContainers(workload: Resource, services: readonly Resource[], all: readonly ContainerRef[]): ContainerRef[] {
  const targets: (string | number)[] = [];
  for (const service of services) {
    const ports = valueAt(service.object, ['spec', 'ports']);
    for (const port of Array.isArray(ports) ? ports.filter(isRecord) : []) {
      const target = port.targetPort ?? port.port;
      if (typeof target === 'string' || typeof target === 'number') targets.push(target);
    }
  }
  const regular = all.filter((ref) => ref.resource === workload && ref.path.at(-2) === 'containers');
  const matching = regular.filter(({ container }) => {
    const { names, numbers } = declaredPorts(container);
    return targets.some((target) => (typeof target === 'string' ? names.includes(target) || numbers.includes(Number(target)) : numbers.includes(target)));
  });
  return matching.length > 0 ? matching : regular;
}

/** A Service that publishes not-ready addresses sends traffic regardless of readiness. */
function gatesOnReadiness(service: Resource): boolean {
  return valueAt(service.object, ['spec', 'publishNotReadyAddresses']) !== true;
}

/** The handler of a probe, normalised to compare two probes: `httpGet` defaults to path `/` and scheme HTTP. */
function handlerOf(probe: Record<string, unknown>): { kind: string; value: unknown } | undefined {
  for (const kind of HANDLERS) {
    const value = probe[kind];
    if (!isRecord(value)) continue;
    if (kind === 'httpGet') return { kind, value: { path: '/', scheme: 'HTTP', ...value } };
    return { kind, value };
  }
  return undefined;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(String(value));
}

function describeHandler(handler: { kind: string; value: unknown }): string {
  const value = handler.value as Record<string, unknown>;
  if (handler.kind === 'httpGet') return `\`httpGet ${String(value.path)}\` on port \`${String(value.port)}\``;
  if (handler.kind === 'exec') return `\`exec ${Array.isArray(value.command) ? value.command.join(' ') : ''}\``;
  return `\`${handler.kind}\` on port \`${String(value.port)}\``;
}

const NAMED_PORT_CONSEQUENCE: Record<ProbeField, { level: Level; text: string }> = {
  livenessProbe: {
    level: 'P0',
    text: 'the kubelet cannot resolve it, so every liveness check fails and the container is killed after each start: a restart loop',
  },
  startupProbe: {
    level: 'P0',
    text: 'the kubelet cannot resolve it, so the startup check never succeeds and the container is killed after each start: a restart loop',
  },
  readinessProbe: {
    level: 'P1',
    text: 'the kubelet cannot resolve it, so the pod never becomes ready: it gets no Service traffic and a rolling update stops at it',
  },
};

export default defineManifestRule({
  id: 'probes',
  category: 'probes',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Missing, self-defeating or unresolvable health probes',
    why: 'Without a readiness probe a pod receives Service traffic as soon as its process starts and keeps receiving it when it cannot serve. A liveness probe with a short budget and no startupProbe kills slow starts in a loop; one that checks the same thing as readiness restarts pods when a dependency is slow instead of taking them out of rotation. A probe on a port name the container does not declare always fails.',
    fix: 'Give every container a Service sends traffic to a `readinessProbe` on an endpoint that reports whether it can serve; keep `livenessProbe` cheap and local (the process answers), on a different endpoint; add a `startupProbe` sized for the slowest start; probe a port the container declares.',
  },
  check({ cluster, report }) {
    const all = containers(cluster.resources);
    const workloads = [...new Set(all.map((ref) => ref.resource))];

    // Readiness is demanded only where a Service sends traffic (kube-score's rule): workers and Jobs are not asked.
    for (const workload of workloads.filter((w) => SERVING_KINDS.has(w.kind))) {
      const services = servicesTargeting(workload, cluster.resources).filter(gatesOnReadiness);
      if (services.length === 0) continue;
      const serviceNames = services.map((service) => `Service/${service.name}`).join(', ');
      for (const { path, container, name } of servingContainers(workload, services, all)) {
        if (isRecord(container.readinessProbe)) continue;
        report({
          location: workload.locate(path),
          message: `${workloadName(workload)} container \`${name}\` has no readinessProbe while ${serviceNames} sends it traffic: a pod joins the endpoints as soon as the container starts, before it can serve, and stays in them when it stops answering`,
          severity: 'P1',
          workload: workloadName(workload),
        });
      }
    }

    for (const { resource, path, container, name } of all) {
      const who = `${workloadName(resource)} container \`${name}\``;
      const at = (field: string, ...rest: (string | number)[]): FieldPath => [...path, field, ...rest];
      const liveness = isRecord(container.livenessProbe) ? container.livenessProbe : undefined;
      const readiness = isRecord(container.readinessProbe) ? container.readinessProbe : undefined;

      if (liveness !== undefined && !isRecord(container.startupProbe)) {
        const delay = numberOr(liveness.initialDelaySeconds, 0);
        const failures = numberOr(liveness.failureThreshold, DEFAULT_FAILURE_THRESHOLD);
        const period = numberOr(liveness.periodSeconds, DEFAULT_PERIOD);
        const budget = delay + failures * period;
        if (budget < SHORT_START_SECONDS) {
          report({
            location: resource.locate(at('livenessProbe')),
            message: `${who}: livenessProbe with no startupProbe allows a start ${budget} s (initialDelaySeconds ${delay} + failureThreshold ${failures} × periodSeconds ${period}) before the kubelet kills it; a start slowed by a cold cache, a migration or a busy node becomes a restart loop`,
            severity: 'P2',
            workload: workloadName(resource),
          });
        }
      }

      if (liveness !== undefined && readiness !== undefined) {
        const live = handlerOf(liveness);
        const ready = handlerOf(readiness);
        if (live !== undefined && ready !== undefined && live.kind === ready.kind && canonical(live.value) === canonical(ready.value)) {
          report({
            location: resource.locate(at('livenessProbe', live.kind)),
            message: `${who}: livenessProbe and readinessProbe run the same check (${describeHandler(live)}): when something that check depends on is slow, the kubelet restarts the pods instead of only taking them out of rotation, and the restarts add load to the slow dependency`,
            severity: 'P2',
            workload: workloadName(resource),
          });
        }
      }

      const { names, numbers } = declaredPorts(container);
      for (const field of PROBES) {
        const probe = container[field];
        if (!isRecord(probe)) continue;
        for (const kind of ['httpGet', 'tcpSocket', 'grpc'] as const) {
          const port = valueAt(probe, [kind, 'port']);
          if (typeof port === 'string' && !/^\d+$/.test(port)) {
            if (names.includes(port)) continue;
            const declared = names.length === 0 ? 'it declares no named ports' : `it declares ${names.map((n) => `\`${n}\``).join(', ')}`;
            const { level, text } = NAMED_PORT_CONSEQUENCE[field];
            report({
              location: resource.locate(at(field, kind, 'port')),
              message: `${who}: ${field} uses port name \`${port}\`, which the container does not declare (${declared}); ${text}`,
              severity: level,
              workload: workloadName(resource),
            });
          } else if ((typeof port === 'number' || typeof port === 'string') && numbers.length > 0 && !numbers.includes(Number(port))) {
            // A number works whenever the process listens there, declared or not: only a likely mismatch, P2.
            report({
              location: resource.locate(at(field, kind, 'port')),
              message: `${who}: ${field} checks port ${String(port)}, which is not among the container's declared ports (${numbers.join(', ')}); it passes only if the process also listens on ${String(port)}, so a wrong number here fails the probe`,
              severity: 'P2',
              workload: workloadName(resource),
            });
          }
        }
      }
    }
  },
});
