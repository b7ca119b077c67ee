// What is mounted where in a container, and what backs each mount: a claim (with its access
// modes, when the claim is in the set), an emptyDir, a hostPath, configuration.
import type { Resource } from '../manifests/cluster-model.js';
import type { ContainerRef, PodSpecRef } from '../manifests/pod-templates.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import type { PathInfo } from '../source/app-model.js';
import { originValue, sameNamespace } from './describe.js';
import type { LinkedContainer, Mount } from './link-model.js';

const CONFIG_SOURCES = new Set(['configMap', 'secret', 'projected', 'downwardAPI']);

export function containerMounts(ref: ContainerRef, podSpec: PodSpecRef, resources: readonly Resource[], namespace: string): Mount[] {
  const volumes = Array.isArray(podSpec.spec.volumes) ? podSpec.spec.volumes.filter(isRecord) : [];
  const claimTemplates = valueAt(podSpec.resource.object, ['spec', 'volumeClaimTemplates']);
  const templates = Array.isArray(claimTemplates) ? claimTemplates.filter(isRecord) : [];
  const mounts: Mount[] = [];
  const volumeMounts = Array.isArray(ref.container.volumeMounts) ? ref.container.volumeMounts.filter(isRecord) : [];
  for (const volumeMount of volumeMounts) {
    if (typeof volumeMount.mountPath !== 'string' || typeof volumeMount.name !== 'string') continue;
    const base = { mountPath: volumeMount.mountPath, volume: volumeMount.name, readOnly: volumeMount.readOnly === true };
    const volume = volumes.find((candidate) => candidate.name === volumeMount.name);
    const template = templates.find((candidate) => valueAt(candidate, ['metadata', 'name']) === volumeMount.name);
    if (volume === undefined) {
      mounts.push(template === undefined ? { ...base, source: 'other' } : { ...base, source: 'volumeClaimTemplate', accessModes: accessModes(valueAt(template, ['spec', 'accessModes'])) });
      continue;
    }
    const claimName = valueAt(volume, ['persistentVolumeClaim', 'claimName']);
    if (typeof claimName === 'string') {
      const claim = resources.find((candidate) => candidate.kind === 'PersistentVolumeClaim' && candidate.name === claimName && sameNamespace(candidate.namespace, namespace));
      const modes = claim === undefined ? undefined : accessModes(valueAt(claim.object, ['spec', 'accessModes']));
      mounts.push({ ...base, source: 'persistentVolumeClaim', claim: claimName, ...(modes === undefined ? {} : { accessModes: modes }) });
      continue;
    }
    if (isRecord(volume.emptyDir)) mounts.push({ ...base, source: 'emptyDir' });
    else if (isRecord(volume.hostPath)) mounts.push({ ...base, source: 'hostPath' });
    else if (Object.keys(volume).some((key) => CONFIG_SOURCES.has(key))) mounts.push({ ...base, source: 'configuration' });
    else mounts.push({ ...base, source: 'other' });
  }
  return mounts;
}

/** The mount a path falls under: the deepest mount path that is the path or one of its folders. */
export function mountFor(path: string, mounts: readonly Mount[]): Mount | undefined {
  const normalised = path.replace(/\/+$/, '');
  let best: Mount | undefined;
  for (const mount of mounts) {
    const mountPath = mount.mountPath.replace(/\/+$/, '');
    const covers = normalised === mountPath || normalised.startsWith(`${mountPath}/`) || mountPath === '';
    if (covers && (best === undefined || mountPath.length > best.mountPath.replace(/\/+$/, '').length)) best = mount;
  }
  return best;
}

/**
 * The absolute directory a path of the code lands in inside a container: the value its env var
 * gets, an absolute prefix, or a folder under the Dockerfile's WORKDIR. `unsetEnv` when the
 * variable is not set at all; undefined when the manifests do not say (a Secret's value, a path
 * built from `__dirname`, no WORKDIR).
 */
export function directoryInContainer(container: LinkedContainer, path: PathInfo): { directory: string } | { unsetEnv: string } | undefined {
  let directory: string | undefined;
  if (path.root === 'env' && path.envVar !== undefined) {
    const provided = container.env.get(path.envVar);
    if (provided === undefined) return { unsetEnv: path.envVar };
    directory = originValue(provided.origin);
  } else if (path.root === 'absolute') {
    directory = path.prefix;
  } else if (path.root === 'repo' && container.dockerImage?.workdir !== undefined && !/__dirname|import\.meta/.test(path.text)) {
    // Relative to the working directory (WORKDIR); a path built from `__dirname` is relative to the
    // compiled module instead, which the Dockerfile does not say.
    const folder = (path.prefix ?? '').split('/').filter((part) => part !== '' && part !== '.').join('/');
    directory = folder.startsWith('..') ? undefined : `${container.dockerImage.workdir.replace(/\/+$/, '')}/${folder}`;
  }
  return directory === undefined || !directory.startsWith('/') ? undefined : { directory };
}

function accessModes(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((mode): mode is string => typeof mode === 'string') : undefined;
}
