// Secrets that no manifest spells out but that a controller creates from an object in the set:
// an ExternalSecret, a SealedSecret, a cert-manager Certificate, an operator's cluster. A rule
// that asks "does this Secret exist" must count them, or every GitOps repo looks broken.
import type { FieldPath, Resource } from './cluster-model.js';
import { isRecord, valueAt } from './plain-data.js';

/** The keys a generated Secret will hold, as far as its generator lists them. */
export interface GeneratedKeys {
  keys: { name: string; path: FieldPath }[];
  /** Whether those are all its keys (no `dataFrom`, no template that adds more). */
  complete: boolean;
}

export interface GeneratedObject {
  kind: 'Secret';
  name: string;
  /** The namespace it is created in; `'*'` for cluster-scoped generators that fan out to many namespaces. */
  namespace: string;
  /** The object in the set whose controller creates it. */
  generator: Resource;
  /** Its keys, for generators that list them (ExternalSecret `data`, SealedSecret `encryptedData`). */
  keys?: GeneratedKeys;
}

interface Generator {
  /** API group (the part of `apiVersion` before `/`). */
  group: string;
  kind: string;
  /** The Secrets the controller writes for this object; `anyNamespace` for cluster-scoped generators. */
  secrets(resource: Resource): { name: string; anyNamespace?: boolean }[];
  /** The keys those Secrets hold, when the object lists them. */
  keys?(resource: Resource): GeneratedKeys;
}

function stringAt(resource: Resource, ...path: string[]): string | undefined {
  const value = valueAt(resource.object, path);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const one = (name: string | undefined): { name: string }[] => (name === undefined ? [] : [{ name }]);

/** `spec.data[].secretKey` → each key with its path. */
function listed(resource: Resource, path: FieldPath, field: string): { name: string; path: FieldPath }[] {
  const entries = valueAt(resource.object, path);
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((entry: unknown, index) => (isRecord(entry) && typeof entry[field] === 'string' ? [{ name: entry[field], path: [...path, index, field] }] : []));
}

/** The controllers we know, as data: group, kind and which Secret names they write. */
const GENERATORS: readonly Generator[] = [
  // external-secrets.io: `spec.target.name`, default the ExternalSecret's own name.
  {
    group: 'external-secrets.io',
    kind: 'ExternalSecret',
    secrets: (r) => one(stringAt(r, 'spec', 'target', 'name') ?? r.name),
    // `data[].secretKey`; `dataFrom` pulls whole remote objects and a template may add keys.
    keys: (r) => ({
      keys: listed(r, ['spec', 'data'], 'secretKey'),
      complete: valueAt(r.object, ['spec', 'dataFrom']) === undefined && !isRecord(valueAt(r.object, ['spec', 'target', 'template', 'data'])),
    }),
  },
  {
    group: 'external-secrets.io',
    kind: 'ClusterExternalSecret',
    secrets: (r) => [
      { name: stringAt(r, 'spec', 'externalSecretSpec', 'target', 'name') ?? stringAt(r, 'spec', 'externalSecretName') ?? r.name, anyNamespace: true },
    ],
  },
  // The retired godaddy kubernetes-external-secrets: the Secret takes the ExternalSecret's name.
  { group: 'kubernetes-client.io', kind: 'ExternalSecret', secrets: (r) => one(r.name) },
  {
    group: 'bitnami.com',
    kind: 'SealedSecret',
    secrets: (r) => one(r.name),
    keys: (r) => {
      const data = valueAt(r.object, ['spec', 'encryptedData']);
      return { keys: isRecord(data) ? Object.keys(data).map((name) => ({ name, path: ['spec', 'encryptedData', name] })) : [], complete: true };
    },
  },
  { group: 'cert-manager.io', kind: 'Certificate', secrets: (r) => one(stringAt(r, 'spec', 'secretName')) },
  { group: 'secrets.hashicorp.com', kind: 'VaultStaticSecret', secrets: (r) => one(stringAt(r, 'spec', 'destination', 'name')) },
  { group: 'secrets.hashicorp.com', kind: 'VaultDynamicSecret', secrets: (r) => one(stringAt(r, 'spec', 'destination', 'name')) },
  { group: 'secrets.hashicorp.com', kind: 'VaultPKISecret', secrets: (r) => one(stringAt(r, 'spec', 'destination', 'name')) },
  { group: 'onepassword.com', kind: 'OnePasswordItem', secrets: (r) => one(r.name) },
  // CloudNativePG writes the application and superuser credentials and the cluster's certificates.
  {
    group: 'postgresql.cnpg.io',
    kind: 'Cluster',
    secrets: (r) => ['app', 'superuser', 'ca', 'server', 'replication'].map((suffix) => ({ name: `${r.name}-${suffix}` })),
  },
  { group: 'kafka.strimzi.io', kind: 'KafkaUser', secrets: (r) => one(r.name) },
];

const CERT_MANAGER_INGRESS_ANNOTATIONS = ['cert-manager.io/issuer', 'cert-manager.io/cluster-issuer'];

function apiGroup(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

/** Every Secret the set's generators will create, with the generator that creates it. */
export function generatedObjects(resources: readonly Resource[]): GeneratedObject[] {
  const generated: GeneratedObject[] = [];
  for (const resource of resources) {
    const namespace = resource.namespace ?? '';
    const generator = GENERATORS.find((candidate) => candidate.kind === resource.kind && candidate.group === apiGroup(resource.apiVersion));
    if (generator !== undefined) {
      const keys = generator.keys?.(resource);
      for (const { name, anyNamespace } of generator.secrets(resource)) {
        generated.push({ kind: 'Secret', name, namespace: anyNamespace === true ? '*' : namespace, generator: resource, ...(keys === undefined ? {} : { keys }) });
      }
    }
    // cert-manager's ingress-shim issues a Certificate for each `tls` entry of an annotated Ingress.
    const annotations = valueAt(resource.object, ['metadata', 'annotations']);
    if (resource.kind === 'Ingress' && isRecord(annotations) && CERT_MANAGER_INGRESS_ANNOTATIONS.some((key) => key in annotations)) {
      const tls = valueAt(resource.object, ['spec', 'tls']);
      for (const entry of Array.isArray(tls) ? tls : []) {
        if (isRecord(entry) && typeof entry.secretName === 'string') generated.push({ kind: 'Secret', name: entry.secretName, namespace, generator: resource });
      }
    }
  }
  return generated;
}
