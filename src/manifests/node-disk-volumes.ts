// Which volumes of a pod live on a directory of the node's own disk: an inline `hostPath`, or a
// claim bound to a `hostPath` or `local` PersistentVolume in the same set. The difference matters
// for ownership: the kubelet applies `fsGroup` to a `local` volume, never to a `hostPath` one.
import type { FieldPath, Resource } from './cluster-model.js';
import type { PodSpecRef } from './pod-templates.js';
import { isRecord, valueAt } from './plain-data.js';

export interface NodeDiskVolume {
  /** The pod volume name (or the volumeClaimTemplate name). */
  name: string;
  kind: 'hostPath' | 'local';
  /** The directory on the node. */
  hostDirectory: string | undefined;
  /** `hostPath.type`, for inline and PersistentVolume hostPaths. */
  hostPathType: string | undefined;
  /** The PersistentVolume the claim binds to, when the volume is a claim. */
  persistentVolume?: Resource;
  /** Where the volume is declared in the workload: the `hostPath` field, or the claim. */
  path: FieldPath;
}

function sameNamespace(a: Resource, b: Resource): boolean {
  return (a.namespace ?? '') === (b.namespace ?? '');
}

function diskKind(pv: Resource): 'hostPath' | 'local' | undefined {
  if (isRecord(valueAt(pv.object, ['spec', 'hostPath']))) return 'hostPath';
  if (isRecord(valueAt(pv.object, ['spec', 'local']))) return 'local';
  return undefined;
}

/**
 * The PersistentVolume a claim spec binds to, as far as the set says: `volumeName`, a PV whose
 * `claimRef` names the claim, or, for a storage class, its PVs when every one of them is on a
 * node's disk (static provisioning: `local-storage` classes hold only local PVs).
 */
function boundVolume(claimName: string, claimSpec: unknown, owner: Resource, resources: readonly Resource[]): Resource | undefined {
  const volumes = resources.filter((r) => r.kind === 'PersistentVolume' && r.apiVersion === 'v1');
  const volumeName = valueAt(claimSpec, ['volumeName']);
  if (typeof volumeName === 'string' && volumeName !== '') return volumes.find((pv) => pv.name === volumeName);
  const claimed = volumes.find((pv) => {
    const ref = valueAt(pv.object, ['spec', 'claimRef']);
    if (!isRecord(ref) || typeof ref.name !== 'string') return false;
    const namespace = typeof ref.namespace === 'string' ? ref.namespace : '';
    return (ref.name === claimName || ref.name.startsWith(`${claimName}-`)) && namespace === (owner.namespace ?? '');
  });
  if (claimed !== undefined) return claimed;
  const storageClass = valueAt(claimSpec, ['storageClassName']);
  if (typeof storageClass !== 'string' || storageClass === '') return undefined;
  const inClass = volumes.filter((pv) => valueAt(pv.object, ['spec', 'storageClassName']) === storageClass);
  if (inClass.length === 0 || inClass.some((pv) => diskKind(pv) === undefined)) return undefined;
  return inClass[0];
}

function fromPersistentVolume(name: string, pv: Resource, path: FieldPath): NodeDiskVolume | undefined {
  const kind = diskKind(pv);
  if (kind === undefined) return undefined;
  const hostDirectory = valueAt(pv.object, ['spec', kind, 'path']);
  const hostPathType = kind === 'hostPath' ? valueAt(pv.object, ['spec', 'hostPath', 'type']) : undefined;
  return {
    name,
    kind,
    hostDirectory: typeof hostDirectory === 'string' ? hostDirectory : undefined,
    hostPathType: typeof hostPathType === 'string' ? hostPathType : undefined,
    persistentVolume: pv,
    path,
  };
}

/** The volumes of one pod spec that are a directory on the node, by volume name. */
export function nodeDiskVolumes({ resource, path, spec }: PodSpecRef, resources: readonly Resource[]): Map<string, NodeDiskVolume> {
  const found = new Map<string, NodeDiskVolume>();
  const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
  volumes.forEach((volume: unknown, index) => {
    if (!isRecord(volume) || typeof volume.name !== 'string') return;
    const volumePath: FieldPath = [...path, 'volumes', index];
    if (isRecord(volume.hostPath)) {
      const { path: hostDirectory, type } = volume.hostPath;
      found.set(volume.name, {
        name: volume.name,
        kind: 'hostPath',
        hostDirectory: typeof hostDirectory === 'string' ? hostDirectory : undefined,
        hostPathType: typeof type === 'string' ? type : undefined,
        path: [...volumePath, 'hostPath'],
      });
      return;
    }
    const claimName = valueAt(volume, ['persistentVolumeClaim', 'claimName']);
    if (typeof claimName !== 'string') return;
    const claim = resources.find((r) => r.kind === 'PersistentVolumeClaim' && r.name === claimName && sameNamespace(r, resource));
    const pv = boundVolume(claimName, claim === undefined ? undefined : valueAt(claim.object, ['spec']), resource, resources);
    const disk = pv === undefined ? undefined : fromPersistentVolume(volume.name, pv, [...volumePath, 'persistentVolumeClaim']);
    if (disk !== undefined) found.set(volume.name, disk);
  });
  if (resource.kind === 'StatefulSet') {
    const templates = valueAt(resource.object, ['spec', 'volumeClaimTemplates']);
    (Array.isArray(templates) ? templates : []).forEach((template: unknown, index) => {
      const name = valueAt(template, ['metadata', 'name']);
      if (typeof name !== 'string' || found.has(name)) return;
      // A StatefulSet's claims are `<template>-<statefulset>-<ordinal>`.
      const pv = boundVolume(`${name}-${resource.name}`, valueAt(template, ['spec']), resource, resources);
      const disk = pv === undefined ? undefined : fromPersistentVolume(name, pv, ['spec', 'volumeClaimTemplates', index]);
      if (disk !== undefined) found.set(name, disk);
    });
  }
  return found;
}
