// The environment a container really gets, in the order the kubelet builds it: the image's ENV,
// then the service links of the namespace, then `envFrom` sources (a later one wins), then `env`
// (which wins over all of them).
import type { GeneratorOutput, Resource } from '../manifests/cluster-model.js';
import type { ContainerRef, PodSpecRef } from '../manifests/pod-templates.js';
import { generatedObjects } from '../manifests/generated-objects.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import type { DockerImage } from './dockerfile.js';
import { sameNamespace } from './describe.js';
import type { ProvidedEnv, UnknownEnvSource } from './link-model.js';

const RUNTIME_VARIABLES: ReadonlyMap<string, string> = new Map([
  ['HOSTNAME', 'the pod name'],
  ['KUBERNETES_SERVICE_HOST', 'the API server address'],
  ['KUBERNETES_SERVICE_PORT', 'the API server port'],
  ['KUBERNETES_PORT', 'tcp://<api-server>:443'],
]);

export interface ContainerEnv {
  env: Map<string, ProvidedEnv>;
  unknownEnvSources: UnknownEnvSource[];
}

export function containerEnv({
  ref,
  podSpec,
  namespace,
  resources,
  generatorOutputs,
  dockerImage,
}: {
  ref: ContainerRef;
  podSpec: PodSpecRef;
  namespace: string;
  resources: readonly Resource[];
  /** What the generators of unrendered overlays make (the plain set's stand-in for them). */
  generatorOutputs: readonly GeneratorOutput[];
  dockerImage?: DockerImage;
}): ContainerEnv {
  const env = new Map<string, ProvidedEnv>();
  const unknownEnvSources: UnknownEnvSource[] = [];
  const { resource, container, path } = ref;

  if (dockerImage !== undefined) {
    for (const [name, { value, line }] of dockerImage.env) {
      env.set(name, { name, origin: { kind: 'dockerfile', value, file: dockerImage.file, line }, location: { file: dockerImage.file, line, column: 1, endLine: line, endColumn: 1 } });
    }
  }
  // Every container gets these, whatever its spec says.
  const workloadLine = resource.locate(['metadata', 'name']);
  for (const [name, value] of RUNTIME_VARIABLES) env.set(name, { name, origin: { kind: 'runtime', value }, location: workloadLine });
  if (podSpec.spec.enableServiceLinks !== false) {
    for (const service of resources) {
      if (service.kind !== 'Service' || !sameNamespace(service.namespace, namespace)) continue;
      for (const [name, value] of serviceLinkVariables(service)) {
        env.set(name, { name, origin: { kind: 'service-link', service: service.name, value }, location: service.locate(['metadata', 'name']) });
      }
    }
  }
  const envFrom = Array.isArray(container.envFrom) ? container.envFrom : [];
  for (const source of envFrom as unknown[]) {
    if (!isRecord(source)) continue;
    const prefix = typeof source.prefix === 'string' ? source.prefix : '';
    for (const kind of ['ConfigMap', 'Secret'] as const) {
      const refField = kind === 'ConfigMap' ? 'configMapRef' : 'secretRef';
      const sourceRef = source[refField];
      if (!isRecord(sourceRef) || typeof sourceRef.name !== 'string') continue;
      const name = sourceRef.name;
      const object = resources.find((candidate) => candidate.kind === kind && candidate.name === name && sameNamespace(candidate.namespace, namespace));
      // An unrendered overlay's generator makes (or merges into) it: its literals are keys some overlay gives.
      const generated = generatorOutputs.filter((output) => output.kind === kind && output.name === name);
      const applyGenerated = (): void => {
        for (const literal of generated.flatMap((output) => output.literals)) {
          const origin = kind === 'ConfigMap' ? { kind: 'configMap' as const, name, value: literal.value } : { kind: 'secret' as const, name };
          env.set(prefix + literal.key, { name: prefix + literal.key, origin, location: literal.location });
        }
      };
      if (object === undefined && generated.length > 0) {
        applyGenerated();
        if (generated.some((output) => !output.literalsOnly)) unknownEnvSources.push({ kind, name, optional: sourceRef.optional === true });
        continue;
      }
      if (object === undefined) {
        // A Secret a controller makes from an object in the set (an ExternalSecret): its keys, when it lists them.
        const made = kind === 'Secret'
          ? generatedObjects(resources).find((object) => object.name === name && (object.namespace === '*' || sameNamespace(object.namespace, namespace)))
          : undefined;
        for (const key of made?.keys?.keys ?? []) {
          const madeBy = `${made!.generator.kind} \`${made!.generator.name}\``;
          env.set(prefix + key.name, { name: prefix + key.name, origin: { kind: 'secret', name, madeBy }, location: made!.generator.locate(key.path) });
        }
        if (made?.keys?.complete !== true) unknownEnvSources.push({ kind, name, optional: sourceRef.optional === true });
        continue;
      }
      for (const [key, value, keyPath] of objectEntries(object)) {
        env.set(prefix + key, {
          name: prefix + key,
          origin: kind === 'ConfigMap' ? { kind: 'configMap', name, value } : { kind: 'secret', name },
          location: object.locate(keyPath),
        });
      }
      // `behavior: merge` in an unrendered overlay: its literals win over the base object's.
      applyGenerated();
    }
  }
  const explicit = Array.isArray(container.env) ? container.env : [];
  explicit.forEach((variable: unknown, index) => {
    if (!isRecord(variable) || typeof variable.name !== 'string') return;
    const location = resource.locate([...path, 'env', index, 'name']);
    const valueFrom = isRecord(variable.valueFrom) ? Object.keys(variable.valueFrom)[0] : undefined;
    const origin = valueFrom === undefined
      ? { kind: 'env' as const, value: expandReferences(typeof variable.value === 'string' ? variable.value : '', env) }
      : { kind: 'env' as const, from: describeValueFrom(valueFrom, variable.valueFrom) };
    env.set(variable.name, { name: variable.name, origin, location });
  });
  return { env, unknownEnvSources };
}

/**
 * `redis://$(REDIS_HOST):6379` as the kubelet expands it: `$(NAME)` of a variable defined before it
 * with a known value; an unknown or undefined one stays as written, and `$$(` is a literal `$(`.
 */
function expandReferences(value: string, env: ReadonlyMap<string, ProvidedEnv>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    const origin = env.get(name)?.origin;
    const known = origin === undefined ? undefined : origin.kind === 'env' || origin.kind === 'configMap' || origin.kind === 'dockerfile' ? origin.value : undefined;
    return known ?? match;
  });
}

/** `secretKeyRef` → "Secret `api-secrets` key `token`". */
function describeValueFrom(kind: string, valueFrom: unknown): string {
  const ref = valueAt(valueFrom, [kind]);
  const name = valueAt(ref, ['name']);
  const key = valueAt(ref, ['key']);
  if (kind === 'secretKeyRef' && typeof name === 'string') return `Secret \`${name}\`${typeof key === 'string' ? ` key \`${key}\`` : ''}`;
  if (kind === 'configMapKeyRef' && typeof name === 'string') return `ConfigMap \`${name}\`${typeof key === 'string' ? ` key \`${key}\`` : ''}`;
  if (kind === 'fieldRef') return `field \`${String(valueAt(ref, ['fieldPath']))}\``;
  return kind;
}

/** The keys a ConfigMap or Secret holds, with their values (a Secret's stay unread) and the path of each. */
function objectEntries(object: Resource): [string, string, readonly (string | number)[]][] {
  const fields = object.kind === 'ConfigMap' ? ['data', 'binaryData'] : ['data', 'stringData'];
  const entries: [string, string, readonly (string | number)[]][] = [];
  for (const field of fields) {
    const data = object.object[field];
    if (!isRecord(data)) continue;
    for (const [key, value] of Object.entries(data)) entries.push([key, object.kind === 'ConfigMap' && typeof value === 'string' ? value : '', [field, key]]);
  }
  return entries;
}

/**
 * The variables the kubelet sets for a Service (the Docker-links convention): `REDIS_SERVICE_HOST`,
 * `REDIS_SERVICE_PORT`, `REDIS_PORT=tcp://<cluster-ip>:6379` and the per-port forms. The cluster IP
 * is unknown before deploying, so it is written as `<cluster-ip>`.
 */
export function serviceLinkVariables(service: Resource): Map<string, string> {
  const variables = new Map<string, string>();
  const prefix = service.name.toUpperCase().replace(/-/g, '_');
  const ports = valueAt(service.object, ['spec', 'ports']);
  const clusterIp = valueAt(service.object, ['spec', 'clusterIP']);
  // Headless Services and ExternalName Services get no variables.
  if (clusterIp === 'None' || valueAt(service.object, ['spec', 'type']) === 'ExternalName' || !Array.isArray(ports) || ports.length === 0) return variables;
  const address = '<cluster-ip>';
  const first = ports[0] as unknown;
  variables.set(`${prefix}_SERVICE_HOST`, address);
  if (isRecord(first) && typeof first.port === 'number') {
    variables.set(`${prefix}_SERVICE_PORT`, String(first.port));
    variables.set(`${prefix}_PORT`, `${protocolOf(first).toLowerCase()}://${address}:${first.port}`);
  }
  for (const port of ports) {
    if (!isRecord(port) || typeof port.port !== 'number') continue;
    const protocol = protocolOf(port);
    const base = `${prefix}_PORT_${port.port}_${protocol}`;
    variables.set(base, `${protocol.toLowerCase()}://${address}:${port.port}`);
    variables.set(`${base}_PROTO`, protocol.toLowerCase());
    variables.set(`${base}_PORT`, String(port.port));
    variables.set(`${base}_ADDR`, address);
    if (typeof port.name === 'string') variables.set(`${prefix}_SERVICE_PORT_${port.name.toUpperCase().replace(/-/g, '_')}`, String(port.port));
  }
  return variables;
}

function protocolOf(port: Record<string, unknown>): string {
  return typeof port.protocol === 'string' ? port.protocol : 'TCP';
}
