// Every object a pod spec names by reference — ConfigMaps, Secrets, the ServiceAccount, PVCs,
// image pull secrets — with the field that names it, so rules that ask "does it exist", "is it
// optional" or "which key does it read" share one walk instead of each re-learning the pod API.
import type { FieldPath, Resource } from './cluster-model.js';
import { containers, podSpecs } from './pod-templates.js';
import { isRecord, valueAt } from './plain-data.js';

export type ReferencedKind = 'ConfigMap' | 'Secret' | 'ServiceAccount' | 'PersistentVolumeClaim';

/** How the pod uses the object; the kubelet fails differently for each. */
export type ReferenceVia = 'envFrom' | 'env' | 'volume' | 'projected' | 'serviceAccount' | 'imagePullSecret' | 'persistentVolumeClaim';

export interface PodReference {
  /** The workload (pod-template owner) whose pod spec holds the reference. */
  resource: Resource;
  kind: ReferencedKind;
  name: string;
  /** Path of the field holding the name (`…configMapRef.name`, `…secret.secretName`, `…serviceAccountName`). */
  namePath: FieldPath;
  /** Path of the reference object, where `optional` lives; absent for kinds that cannot be optional. */
  refPath?: FieldPath;
  /** `optional: true` on the reference. */
  optional: boolean;
  /** The keys read from the object: `valueFrom.*KeyRef.key`, or the `items[].key` a volume projects; empty when the whole object is used. */
  keys: ReferencedKey[];
  via: ReferenceVia;
  /** How the pod uses it, for messages: "`envFrom` of container `api`", "volume `tls`". */
  usage: string;
}

export interface ReferencedKey {
  key: string;
  /** Path of the `key` field. */
  path: FieldPath;
}

const NAME_FIELD = { configMap: 'name', secret: 'secretName' } as const;

/** Every reference of every pod spec in `resources`, in document order. */
export function podReferences(resources: readonly Resource[]): PodReference[] {
  const found: PodReference[] = [];
  // A reference object (`configMapRef`, `secretKeyRef`, `secret`, …) that names its target in `nameField`.
  const add = (
    resource: Resource,
    refPath: FieldPath,
    kind: 'ConfigMap' | 'Secret',
    nameField: string,
    via: ReferenceVia,
    usage: string,
    keyField?: 'key',
  ): void => {
    const ref = valueAt(resource.object, refPath);
    if (!isRecord(ref) || typeof ref[nameField] !== 'string' || ref[nameField] === '') return;
    const keys: ReferencedKey[] = [];
    if (keyField !== undefined) {
      if (typeof ref.key === 'string') keys.push({ key: ref.key, path: [...refPath, 'key'] });
    } else if (Array.isArray(ref.items)) {
      // `items` projects chosen keys into files; a key that is not in the object fails the mount.
      ref.items.forEach((item: unknown, index) => {
        if (isRecord(item) && typeof item.key === 'string') keys.push({ key: item.key, path: [...refPath, 'items', index, 'key'] });
      });
    }
    found.push({ resource, kind, name: ref[nameField] as string, namePath: [...refPath, nameField], refPath, optional: ref.optional === true, keys, via, usage });
  };

  for (const { resource, path, container, name } of containers(resources)) {
    const envFrom = Array.isArray(container.envFrom) ? container.envFrom : [];
    envFrom.forEach((_, index) => {
      const usage = `\`envFrom\` of container \`${name}\``;
      add(resource, [...path, 'envFrom', index, 'configMapRef'], 'ConfigMap', 'name', 'envFrom', usage);
      add(resource, [...path, 'envFrom', index, 'secretRef'], 'Secret', 'name', 'envFrom', usage);
    });
    const env = Array.isArray(container.env) ? container.env : [];
    env.forEach((variable: unknown, index) => {
      const variableName = isRecord(variable) && typeof variable.name === 'string' ? variable.name : `#${index}`;
      const usage = `\`${variableName}\` of container \`${name}\``;
      add(resource, [...path, 'env', index, 'valueFrom', 'configMapKeyRef'], 'ConfigMap', 'name', 'env', usage, 'key');
      add(resource, [...path, 'env', index, 'valueFrom', 'secretKeyRef'], 'Secret', 'name', 'env', usage, 'key');
    });
  }

  for (const { resource, path, spec } of podSpecs(resources)) {
    const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
    volumes.forEach((volume: unknown, index) => {
      const volumeName = isRecord(volume) && typeof volume.name === 'string' ? volume.name : `#${index}`;
      const volumePath = [...path, 'volumes', index];
      add(resource, [...volumePath, 'configMap'], 'ConfigMap', NAME_FIELD.configMap, 'volume', `volume \`${volumeName}\``);
      add(resource, [...volumePath, 'secret'], 'Secret', NAME_FIELD.secret, 'volume', `volume \`${volumeName}\``);
      const claimName = valueAt(volume, ['persistentVolumeClaim', 'claimName']);
      if (typeof claimName === 'string' && claimName !== '') {
        found.push({
          resource,
          kind: 'PersistentVolumeClaim',
          name: claimName,
          namePath: [...volumePath, 'persistentVolumeClaim', 'claimName'],
          optional: false,
          keys: [],
          via: 'persistentVolumeClaim',
          usage: `volume \`${volumeName}\``,
        });
      }
      const sources = valueAt(volume, ['projected', 'sources']);
      if (!Array.isArray(sources)) return;
      sources.forEach((_, sourceIndex) => {
        const sourcePath = [...volumePath, 'projected', 'sources', sourceIndex];
        add(resource, [...sourcePath, 'configMap'], 'ConfigMap', 'name', 'projected', `projected volume \`${volumeName}\``);
        add(resource, [...sourcePath, 'secret'], 'Secret', 'name', 'projected', `projected volume \`${volumeName}\``);
      });
    });

    // `serviceAccount` is the deprecated alias; the API server copies one into the other.
    for (const field of ['serviceAccountName', 'serviceAccount'] as const) {
      const account = spec[field];
      if (typeof account !== 'string' || account === '') continue;
      found.push({ resource, kind: 'ServiceAccount', name: account, namePath: [...path, field], optional: false, keys: [], via: 'serviceAccount', usage: `\`${field}\`` });
      break;
    }

    const pullSecrets = Array.isArray(spec.imagePullSecrets) ? spec.imagePullSecrets : [];
    pullSecrets.forEach((entry: unknown, index) => {
      if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') return;
      found.push({
        resource,
        kind: 'Secret',
        name: entry.name,
        namePath: [...path, 'imagePullSecrets', index, 'name'],
        optional: false,
        keys: [],
        via: 'imagePullSecret',
        usage: '`imagePullSecrets`',
      });
    });
  }
  return found;
}
