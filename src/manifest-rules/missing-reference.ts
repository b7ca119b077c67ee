import { Minimatch } from 'minimatch';
import { z } from 'zod';
import type { FieldPath, ManifestSet, Resource } from '../manifests/cluster-model.js';
import { generatedObjects } from '../manifests/generated-objects.js';
import { containers, podSpecs, workloadName } from '../manifests/pod-templates.js';
import { operatorSelectedBy, plainMatchLabels } from '../manifests/operator-pods.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { podReferences, type PodReference, type ReferenceVia } from '../manifests/references.js';
import { matchesLabelSelector, podTemplateLabels, serviceSelector, workloadsSelectedBy } from '../manifests/selectors.js';
import type { Report } from '../rule.js';
import { defineManifestRule } from '../rule.js';

/**
 * Objects that exist in a namespace although no manifest declares them. Objects the team creates
 * outside the repo (sealed or external secrets, Helm releases, by hand) are added by the `allow` option.
 */
export const CREATED_OUTSIDE_THE_MANIFESTS: readonly { kind: string; name: string }[] = [
  // The API server gives every namespace its `default` ServiceAccount.
  { kind: 'ServiceAccount', name: 'default' },
  // kube-controller-manager publishes the cluster CA in every namespace (projected SA tokens read it).
  { kind: 'ConfigMap', name: 'kube-root-ca.crt' },
];

/** What the kubelet or the controller does when the referenced object is missing. */
const MISSING_CONSEQUENCE: Record<ReferenceVia, string> = {
  envFrom: 'the container cannot be created (CreateContainerConfigError), so the pod never starts',
  env: 'the container cannot be created (CreateContainerConfigError), so the pod never starts',
  volume: 'the volume cannot be mounted, so the pod stays in ContainerCreating and never starts',
  projected: 'the volume cannot be mounted, so the pod stays in ContainerCreating and never starts',
  persistentVolumeClaim: 'the pod cannot be scheduled (persistentvolumeclaim not found) and stays Pending',
  serviceAccount: 'the API server rejects every pod of it (serviceaccount not found), so not one replica is created',
  imagePullSecret: 'the kubelet pulls without those credentials, so an image in a private registry ends in ImagePullBackOff',
};

const MISSING_KEY_CONSEQUENCE: Partial<Record<ReferenceVia, string>> = {
  env: "the container cannot be created (CreateContainerConfigError: couldn't find key), so the pod never starts",
  volume: 'the volume cannot be mounted, so the pod stays in ContainerCreating and never starts',
  projected: 'the volume cannot be mounted, so the pod stays in ContainerCreating and never starts',
};

const CORE_KINDS = new Set(['ConfigMap', 'Secret', 'ServiceAccount', 'PersistentVolumeClaim', 'Service']);

/** The set's objects by `kind/namespace/name`, core kinds only (a Knative `Service` is not a v1 Service). */
function coreObjects(set: ManifestSet): Map<string, Resource> {
  const objects = new Map<string, Resource>();
  for (const resource of set.resources) {
    if (resource.apiVersion === 'v1' && CORE_KINDS.has(resource.kind)) objects.set(key(resource.kind, resource.namespace, resource.name), resource);
  }
  return objects;
}

function key(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

function sameNamespace(a: Resource, b: Resource): boolean {
  return (a.namespace ?? '') === (b.namespace ?? '');
}

/** "in the rendered overlay", "in namespace `shop` of the scanned manifests". */
function inTheSet(set: ManifestSet, namespace: string | undefined): string {
  const where = set.kind === 'overlay' ? 'the rendered overlay' : 'the scanned manifests';
  return namespace === undefined || namespace === '' ? `in ${where}` : `in namespace \`${namespace}\` of ${where}`;
}

/** The keys a ConfigMap or Secret holds, or undefined when they cannot be known from the manifest. */
function dataKeys(object: Resource): Set<string> | undefined {
  // A service-account token Secret is filled in by the token controller.
  if (object.kind === 'Secret' && valueAt(object.object, ['type']) === 'kubernetes.io/service-account-token') return undefined;
  const maps = ['data', 'stringData', 'binaryData'].map((field) => object.object[field]).filter(isRecord);
  // An object with no data at all is a placeholder something else fills (a controller, `kubectl create --dry-run | apply`).
  if (maps.length === 0) return undefined;
  return new Set(maps.flatMap((map) => Object.keys(map)));
}

const options = z.strictObject({
  /**
   * `Kind/name` of objects created outside the repo — by the sealed-secrets or external-secrets
   * controller, Helm, a pipeline — that pods may reference; `*` globs names (`Secret/tls-*`).
   */
  allow: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9]*\/[^/\s]+$/, 'expected `Kind/name`, such as `Secret/api-secrets`')).default([]),
});

function checkPodReferences(set: ManifestSet, report: Report, allow: readonly string[]): void {
  const objects = coreObjects(set);
  const generated = generatedObjects(set.resources);
  const allowed = allow.map((pattern) => new Minimatch(pattern));
  const createdOutside = (kind: string, name: string) =>
    CREATED_OUTSIDE_THE_MANIFESTS.some((entry) => entry.kind === kind && entry.name === name) || allowed.some((glob) => glob.match(`${kind}/${name}`));

  for (const reference of podReferences(set.resources)) {
    // optional-secret judges optional Secrets; an optional ConfigMap or key is a documented default.
    if (reference.optional) continue;
    const { resource, kind, name, via, usage } = reference;
    const workload = workloadName(resource);
    if (createdOutside(kind, name)) continue;
    const target = objects.get(key(kind, resource.namespace, name));
    if (target === undefined) {
      const generator = generated.find((g) => g.kind === kind && g.name === name && (g.namespace === '*' || g.namespace === (resource.namespace ?? '')));
      if (generator !== undefined) continue;
      // An unrendered overlay's generator: the engine would set its namespace with the pods', so any namespace matches.
      if (set.generatorOutputs.some((output) => output.kind === kind && output.name === name)) continue;
      report({
        location: resource.locate(reference.namePath),
        message: `${workload} → ${kind} \`${name}\` (${usage}) is not ${inTheSet(set, resource.namespace)}${elsewhere(objects, reference)}: ${MISSING_CONSEQUENCE[via]}`,
        severity: via === 'imagePullSecret' ? 'P1' : 'P0',
        workload,
      });
      continue;
    }
    const keys = reference.keys.length > 0 ? dataKeys(target) : undefined;
    if (keys === undefined) continue;
    for (const { key: dataKey, path } of reference.keys) {
      if (keys.has(dataKey)) continue;
      report({
        location: resource.locate(path),
        message: `${workload} → ${kind} \`${name}\` has no key \`${dataKey}\` (${usage}; it holds ${describeKeys(keys)}): ${MISSING_KEY_CONSEQUENCE[via] ?? MISSING_CONSEQUENCE[via]}`,
        severity: 'P0',
        workload,
      });
    }
  }
}

/** " (a ConfigMap of that name is in namespace `b`)": the usual cause of a miss is the namespace. */
function elsewhere(objects: Map<string, Resource>, { kind, name }: PodReference): string {
  const namespaces = [...objects.values()].filter((o) => o.kind === kind && o.name === name).map((o) => (o.namespace === undefined ? 'no namespace' : `namespace \`${o.namespace}\``));
  return namespaces.length === 0 ? '' : ` (a ${kind} of that name is in ${namespaces.join(', ')})`;
}

function describeKeys(keys: Set<string>): string {
  const sorted = [...keys].sort();
  const shown = sorted.slice(0, 5).map((k) => `\`${k}\``).join(', ');
  return sorted.length > 5 ? `${shown} and ${sorted.length - 5} more` : shown;
}

// ---------------------------------------------------------------------------------------------
// Wiring: the objects that send traffic to, scale, protect or name pods, and the pods they reach.

function services(set: ManifestSet): Resource[] {
  return set.resources.filter((r) => r.kind === 'Service' && r.apiVersion === 'v1');
}

function checkServices(set: ManifestSet, report: Report): void {
  for (const service of services(set)) {
    // ExternalName is a DNS alias; a Service without selector has hand-made Endpoints(Slices).
    if (valueAt(service.object, ['spec', 'type']) === 'ExternalName') continue;
    const selector = serviceSelector(service);
    if (selector === undefined) continue;
    const selected = workloadsSelectedBy(service, set.resources);
    const shown = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
    if (selected.length === 0) {
      if (operatorSelectedBy(service, selector, set.resources) !== undefined) continue;
      report({
        location: service.locate(['spec', 'selector']),
        message: `Service/${service.name} selects \`${shown}\`, which no pod template ${inTheSet(set, service.namespace)} carries: the Service has no endpoints and every connection to it fails`,
        severity: 'P1',
      });
      continue;
    }
    const ports = valueAt(service.object, ['spec', 'ports']);
    (Array.isArray(ports) ? ports : []).forEach((port: unknown, index) => {
      if (!isRecord(port)) return;
      const hasTarget = port.targetPort !== undefined;
      const target = hasTarget ? port.targetPort : port.port;
      if (typeof target !== 'string' && typeof target !== 'number') return;
      const portLabel = typeof port.name === 'string' ? `port \`${port.name}\`` : `port ${String(port.port)}`;
      for (const workload of selected) {
        const problem = targetPortProblem(target, workload);
        if (problem === undefined) continue;
        report({
          location: service.locate(['spec', 'ports', index, hasTarget ? 'targetPort' : 'port']),
          message: `Service/${service.name} ${portLabel} → ${workloadName(workload)}: ${problem}`,
          severity: 'P1',
          workload: workloadName(workload),
        });
      }
    });
  }
}

/**
 * Why `target` reaches no container of `workload`, or undefined when it does. A named targetPort
 * is resolved against the containers' declared port names, and a pod without that name gets no
 * endpoint: always a break. A numeric one reaches whatever listens there, declared or not
 * (`containerPort` is informational), so it is flagged only when the containers declare their
 * ports and none is that number — kube-linter flags every undeclared number, which is wrong for
 * images that simply do not declare ports.
 */
function targetPortProblem(target: string | number, workload: Resource): string | undefined {
  const declared = containers([workload]).flatMap(({ container }) =>
    (Array.isArray(container.ports) ? container.ports : []).filter(isRecord).map((p) => ({ name: p.name, number: p.containerPort })),
  );
  if (typeof target === 'string') {
    if (declared.some((p) => p.name === target)) return undefined;
    const names = declared.map((p) => p.name).filter((n): n is string => typeof n === 'string');
    const have = names.length === 0 ? 'its containers name no port' : `its containers name only ${names.map((n) => `\`${n}\``).join(', ')}`;
    return `targetPort \`${target}\` is a port name, but ${have}, so its pods get no endpoint and connections through this port fail`;
  }
  if (declared.length === 0 || declared.some((p) => p.number === target)) return undefined;
  const numbers = [...new Set(declared.map((p) => String(p.number)))].join(', ');
  return `targetPort ${target} is none of the container ports it declares (${numbers}), so unless the app also listens on ${target} without declaring it, connections are refused`;
}

interface IngressBackend {
  /** Path of the field naming the Service. */
  namePath: FieldPath;
  serviceName: string;
  portPath?: FieldPath;
  port?: string | number;
  /** "path `/api` of host `shop.example`", "the default backend". */
  label: string;
  /** A `namespace` written on the backend: not an API field, ignored by the ingress controller. */
  namespace?: string;
}

function ingressBackends(ingress: Resource): IngressBackend[] {
  const backends: IngressBackend[] = [];
  const add = (backendPath: FieldPath, label: string): void => {
    const backend = valueAt(ingress.object, backendPath);
    if (!isRecord(backend)) return;
    if (isRecord(backend.service) && typeof backend.service.name === 'string') {
      // networking.k8s.io/v1: `service.name` and `service.port.number|name`.
      const port = isRecord(backend.service.port) ? backend.service.port : {};
      const field = typeof port.number === 'number' ? 'number' : typeof port.name === 'string' ? 'name' : undefined;
      backends.push({
        namePath: [...backendPath, 'service', 'name'],
        serviceName: backend.service.name,
        label,
        ...(typeof backend.service.namespace === 'string' ? { namespace: backend.service.namespace } : {}),
        ...(field === undefined ? {} : { portPath: [...backendPath, 'service', 'port', field], port: port[field] as string | number }),
      });
    } else if (typeof backend.serviceName === 'string') {
      // extensions/v1beta1 and networking.k8s.io/v1beta1: `serviceName` and `servicePort`.
      const port = backend.servicePort;
      backends.push({
        namePath: [...backendPath, 'serviceName'],
        serviceName: backend.serviceName,
        label,
        ...(typeof port === 'number' || typeof port === 'string' ? { portPath: [...backendPath, 'servicePort'], port } : {}),
      });
    }
    // A `resource` backend (an object in another API group) is not a Service.
  };
  add(['spec', 'defaultBackend'], 'the default backend');
  add(['spec', 'backend'], 'the default backend');
  const rules = valueAt(ingress.object, ['spec', 'rules']);
  (Array.isArray(rules) ? rules : []).forEach((rule: unknown, ruleIndex) => {
    const host = isRecord(rule) && typeof rule.host === 'string' ? ` of host \`${rule.host}\`` : '';
    const paths = valueAt(rule, ['http', 'paths']);
    (Array.isArray(paths) ? paths : []).forEach((entry: unknown, pathIndex) => {
      const path = isRecord(entry) && typeof entry.path === 'string' ? entry.path : '/';
      add(['spec', 'rules', ruleIndex, 'http', 'paths', pathIndex, 'backend'], `path \`${path}\`${host}`);
    });
  });
  return backends;
}

function checkIngresses(set: ManifestSet, report: Report): void {
  const objects = coreObjects(set);
  for (const ingress of set.resources.filter((r) => r.kind === 'Ingress')) {
    for (const backend of ingressBackends(ingress)) {
      const service = objects.get(key('Service', ingress.namespace, backend.serviceName));
      if (service === undefined) {
        const others = services(set).filter((s) => s.name === backend.serviceName).map((s) => `\`${s.namespace ?? ''}\``);
        const crossNamespace =
          backend.namespace !== undefined
            ? ` (\`namespace: ${backend.namespace}\` on a backend is not an Ingress field and is ignored: a backend is always in the Ingress's namespace)`
            : others.length > 0
              ? ` (a Service of that name is in namespace ${others.join(', ')}; a backend is always in the Ingress's namespace)`
              : '';
        report({
          location: ingress.locate(backend.namePath),
          message: `Ingress/${ingress.name} → Service \`${backend.serviceName}\` (${backend.label}) is not ${inTheSet(set, ingress.namespace)}${crossNamespace}: the ingress controller answers 503 for it`,
          severity: 'P1',
        });
        continue;
      }
      if (backend.port === undefined || backend.portPath === undefined || valueAt(service.object, ['spec', 'type']) === 'ExternalName') continue;
      const ports = valueAt(service.object, ['spec', 'ports']);
      const exposed = (Array.isArray(ports) ? ports : []).filter(isRecord);
      const matches = exposed.some((p) => (typeof backend.port === 'number' ? p.port === backend.port : p.name === backend.port));
      if (matches) continue;
      const offered = exposed.map((p) => (typeof p.name === 'string' ? `${String(p.port)} (\`${p.name}\`)` : String(p.port))).join(', ');
      report({
        location: ingress.locate(backend.portPath),
        message: `Ingress/${ingress.name} → Service \`${backend.serviceName}\` port ${typeof backend.port === 'number' ? backend.port : `\`${backend.port}\``} (${backend.label}), which the Service does not expose (${offered === '' ? 'it has no ports' : `it exposes ${offered}`}): the ingress controller has no upstream and answers 503`,
        severity: 'P1',
      });
    }
  }
}

function apiGroup(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

function checkAutoscalers(set: ManifestSet, report: Report): void {
  for (const hpa of set.resources.filter((r) => r.kind === 'HorizontalPodAutoscaler')) {
    const ref = valueAt(hpa.object, ['spec', 'scaleTargetRef']);
    if (!isRecord(ref) || typeof ref.name !== 'string' || typeof ref.kind !== 'string') continue;
    const { kind, name } = ref;
    const candidates = set.resources.filter((r) => r.kind === kind && r.name === name && sameNamespace(r, hpa));
    const group = typeof ref.apiVersion === 'string' ? apiGroup(ref.apiVersion) : undefined;
    if (candidates.some((r) => group === undefined || apiGroup(r.apiVersion) === group)) continue;
    const problem =
      candidates.length > 0
        ? `whose \`apiVersion: ${String(ref.apiVersion)}\` does not match \`${candidates[0]!.apiVersion}\`: the autoscaler cannot read its scale (FailedGetScale) and never scales it`
        : `which is not ${inTheSet(set, hpa.namespace)}: the autoscaler reports FailedGetScale and nothing is scaled`;
    report({
      location: hpa.locate(['spec', 'scaleTargetRef', candidates.length > 0 ? 'apiVersion' : 'name']),
      message: `HorizontalPodAutoscaler/${hpa.name} scales ${kind}/${name}, ${problem}`,
      severity: 'P1',
    });
  }
}

function checkDisruptionBudgets(set: ManifestSet, report: Report): void {
  const workloads = podSpecs(set.resources).map(({ resource }) => resource);
  for (const pdb of set.resources.filter((r) => r.kind === 'PodDisruptionBudget')) {
    const selector = valueAt(pdb.object, ['spec', 'selector']);
    // policy/v1beta1 read an empty selector as "no pods"; policy/v1 reads it as "every pod in the namespace".
    const selectsNothing = pdb.apiVersion === 'policy/v1beta1' && isRecord(selector) && Object.keys(selector).length === 0;
    const selected = selectsNothing ? [] : workloads.filter((w) => sameNamespace(w, pdb) && matchesLabelSelector(selector, podTemplateLabels(w)));
    if (selected.length === 1) continue;
    const matchLabels = plainMatchLabels(selector);
    if (selected.length === 0 && matchLabels !== undefined && operatorSelectedBy(pdb, matchLabels, set.resources) !== undefined) continue;
    const message =
      selected.length === 0
        ? `PodDisruptionBudget/${pdb.name} selects no pod template ${inTheSet(set, pdb.namespace)}: it protects nothing, so a node drain or upgrade may evict every replica at once`
        : `PodDisruptionBudget/${pdb.name} selects pods of ${selected.map(workloadName).join(' and ')}: the budget counts them together, so a drain can evict every pod of one while the other keeps the count up`;
    report({ location: pdb.locate(['spec', 'selector']), message, severity: 'P1' });
  }
}

function checkStatefulSetServices(set: ManifestSet, report: Report): void {
  const objects = coreObjects(set);
  for (const statefulSet of set.resources.filter((r) => r.kind === 'StatefulSet')) {
    const serviceName = valueAt(statefulSet.object, ['spec', 'serviceName']);
    if (typeof serviceName !== 'string' || serviceName === '') continue;
    const service = objects.get(key('Service', statefulSet.namespace, serviceName));
    if (service !== undefined && valueAt(service.object, ['spec', 'clusterIP']) === 'None') continue;
    const dns = `\`${statefulSet.name}-0.${serviceName}\``;
    const problem =
      service === undefined
        ? `which is not ${inTheSet(set, statefulSet.namespace)}`
        : `but that Service is not headless (no \`clusterIP: None\`)`;
    report({
      location: statefulSet.locate(['spec', 'serviceName']),
      message: `StatefulSet/${statefulSet.name} names governing Service \`${serviceName}\`, ${problem}: its pods get no stable DNS name (${dns}), so peers and clients that address a replica by name cannot resolve it`,
      severity: 'P1',
      workload: workloadName(statefulSet),
    });
  }
}

export default defineManifestRule({
  id: 'missing-reference',
  category: 'missing-reference',
  severity: 'P0',
  effort: 'S',
  docs: {
    summary: 'Object referenced by a pod, Service, Ingress, HPA, PDB or StatefulSet that is not in the manifests',
    why: 'A pod that names a missing ConfigMap, Secret, key, ServiceAccount or PVC never starts; a Service, Ingress, autoscaler or disruption budget that points at nothing fails quietly — no endpoints, 503s, no scaling, no protection during drains.',
    fix: 'Add the missing object to the manifests (or the overlay), fix the name or namespace, or mark a ConfigMap/Secret reference `optional: true` when the pod really can run without it; list objects created outside the repo (sealed or external secrets) in the rule\'s `allow` option.',
  },
  options,
  check({ cluster, report, options: { allow } }) {
    checkPodReferences(cluster, report, allow);
    checkServices(cluster, report);
    checkIngresses(cluster, report);
    checkAutoscalers(cluster, report);
    checkDisruptionBudgets(cluster, report);
    checkStatefulSetServices(cluster, report);
  },
});
