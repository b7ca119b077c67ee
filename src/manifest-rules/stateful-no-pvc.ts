import type { FieldPath } from '../manifests/cluster-model.js';
import { workloadName } from '../manifests/pod-templates.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { commandWords, flagValue, storeContainers, type StoreKind } from '../manifests/stateful-stores.js';
import { mountCovers, storeDataPaths } from '../manifests/store-data-paths.js';
import { defineManifestRule } from '../rule.js';

/** What backs a volume, as far as the data's survival goes. */
type Backing = 'claim' | 'pod-lifetime' | 'config' | 'other';

function backing(volume: Record<string, unknown> | undefined, isClaimTemplate: boolean): Backing {
  if (isClaimTemplate || (volume !== undefined && isRecord(volume.persistentVolumeClaim))) return 'claim';
  if (volume === undefined) return 'other';
  // A generic ephemeral volume is a PVC deleted with its pod: as short-lived as an emptyDir.
  if ('emptyDir' in volume || 'ephemeral' in volume) return 'pod-lifetime';
  if ('configMap' in volume || 'secret' in volume || 'downwardAPI' in volume || 'projected' in volume) return 'config';
  // hostPath, nfs, csi…: outlives the pod in some way; not this rule's call.
  return 'other';
}

/** A store configured to keep nothing: Redis with snapshots off and no AOF, NATS without JetStream. */
function keepsNothing(store: StoreKind, words: readonly string[]): boolean {
  if (store.id === 'redis' || store.id === 'valkey') return flagValue(words, '--save') === '' && flagValue(words, '--appendonly') !== 'yes';
  if (store.id === 'nats') return !words.includes('-js') && !words.includes('--jetstream');
  return false;
}

export default defineManifestRule({
  id: 'stateful-no-pvc',
  category: 'stateful-no-pvc',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Data store without a PersistentVolumeClaim for its data',
    why: 'A store whose data directory is the container filesystem or an `emptyDir` starts empty after every reschedule, eviction, node drain or rollout: everything it held is gone.',
    fix: 'Run the store as a StatefulSet with a `volumeClaimTemplates` entry mounted at its data directory (or use an operator or a managed service); if it really is a throw-away cache, turn its persistence off explicitly (Redis `--save ""`).',
  },
  check({ cluster: set, report }) {
    for (const { resource, path, container, name, store } of storeContainers(set.resources)) {
      const words = commandWords(container);
      if (keepsNothing(store, words)) continue;
      const workload = workloadName(resource);
      const image = String(container.image);
      const podSpecPath = path.slice(0, -2);
      const volumes = valueAt(resource.object, [...podSpecPath, 'volumes']);
      const volumeIndex = new Map<string, number>();
      (Array.isArray(volumes) ? volumes : []).forEach((volume: unknown, index) => {
        if (isRecord(volume) && typeof volume.name === 'string') volumeIndex.set(volume.name, index);
      });
      const templates = resource.kind === 'StatefulSet' ? valueAt(resource.object, ['spec', 'volumeClaimTemplates']) : undefined;
      const claimTemplates = new Set(
        (Array.isArray(templates) ? templates : []).map((template) => valueAt(template, ['metadata', 'name'])).filter((n): n is string => typeof n === 'string'),
      );
      const mounts = (Array.isArray(container.volumeMounts) ? container.volumeMounts : [])
        .filter((mount): mount is Record<string, unknown> => isRecord(mount) && typeof mount.name === 'string' && typeof mount.mountPath === 'string')
        .map((mount) => {
          const volumeName = mount.name as string;
          const index = volumeIndex.get(volumeName);
          const volume = index === undefined ? undefined : (volumes as unknown[])[index];
          return {
            volumeName,
            mountPath: mount.mountPath as string,
            volumePath: index === undefined ? undefined : ([...podSpecPath, 'volumes', index] as FieldPath),
            volume: isRecord(volume) ? volume : undefined,
            backing: backing(isRecord(volume) ? volume : undefined, claimTemplates.has(volumeName)),
          };
        })
        .filter((mount) => mount.backing !== 'config');

      const directories = storeDataPaths(store, container);
      const dataMount = mounts.find((mount) => directories.all.some((dir) => mountCovers(mount.mountPath, dir)));
      const aof = (store.id === 'redis' || store.id === 'valkey') && flagValue(words, '--appendonly') === 'yes';

      if (dataMount !== undefined && dataMount.backing === 'pod-lifetime' && dataMount.volume !== undefined && dataMount.volumePath !== undefined) {
        const field = 'emptyDir' in dataMount.volume ? 'emptyDir' : 'ephemeral';
        const what = field === 'emptyDir' ? 'an `emptyDir`' : 'a generic ephemeral volume';
        const writes = aof ? `its AOF (\`--appendonly yes\`) and snapshots` : 'its data';
        report({
          location: resource.locate([...dataMount.volumePath, field]),
          message: `${workload} runs ${store.label} (\`${image}\`, container \`${name}\`) and keeps ${writes} in volume \`${dataMount.volumeName}\` at \`${dataMount.mountPath}\`, which is ${what}: it is deleted with the pod, so every reschedule, eviction, node drain or rollout starts ${store.label} empty`,
          workload,
        });
        continue;
      }
      // A claim or another lasting volume mounted somewhere we do not recognise: the data may well be there.
      if (dataMount !== undefined || mounts.some((mount) => mount.backing === 'claim' || mount.backing === 'other')) continue;

      const unmounted = [...claimTemplates].filter((template) => !mounts.some((mount) => mount.volumeName === template));
      const how =
        resource.kind === 'Deployment'
          ? 'as a Deployment with no PersistentVolumeClaim'
          : unmounted.length > 0
            ? `without mounting its volumeClaimTemplate${unmounted.length > 1 ? 's' : ''} ${unmounted.map((t) => `\`${t}\``).join(', ')}`
            : 'in a StatefulSet with no volumeClaimTemplates';
      const writes = aof
        ? `\`--appendonly yes\` writes the AOF to the container's own disk at \`${directories.main}\`, which a restarted container does not get back`
        : `it writes to the container's own disk at \`${directories.main}\``;
      report({
        location: resource.locate([...path, 'image']),
        message: `${workload} runs ${store.label} (\`${image}\`, container \`${name}\`) ${how}: ${writes}, so every container restart, reschedule, eviction, node drain or rollout starts ${store.label} empty`,
        workload,
      });
    }
  },
});
