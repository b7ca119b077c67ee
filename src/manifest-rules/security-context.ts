import type { FieldPath } from '../manifests/cluster-model.js';
import { nodeDiskVolumes, type NodeDiskVolume } from '../manifests/node-disk-volumes.js';
import { containers, podSpecs, workloadName, type ContainerRef, type PodSpecRef } from '../manifests/pod-templates.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { storeContainers } from '../manifests/stateful-stores.js';
import { mountCovers, storeDataPaths } from '../manifests/store-data-paths.js';
import { defineManifestRule } from '../rule.js';
import { joinWords } from '../prose.js';

const HOST_NAMESPACES = [
  ['hostNetwork', 'network'],
  ['hostPID', 'PID'],
  ['hostIPC', 'IPC'],
] as const;

function securityContext(of: Record<string, unknown>): Record<string, unknown> {
  return isRecord(of.securityContext) ? of.securityContext : {};
}

interface Identity {
  /** Whether the process cannot be uid 0, from the settings alone (the image's `USER` is not known here). */
  nonRoot: boolean;
  /** How a message names it: `uid 999`, `a non-root user (\`runAsNonRoot: true\`)`, `` `runAsUser: 0` ``. */
  label: string;
}

/** The user a container runs as: its own `runAsUser`/`runAsNonRoot`, else the pod's. */
function identity(pod: Record<string, unknown>, container: Record<string, unknown>): Identity {
  const own = securityContext(container);
  const shared = securityContext(pod);
  const user = typeof own.runAsUser === 'number' ? own.runAsUser : typeof shared.runAsUser === 'number' ? shared.runAsUser : undefined;
  const flag = typeof own.runAsNonRoot === 'boolean' ? own.runAsNonRoot : shared.runAsNonRoot;
  if (user !== undefined) return { nonRoot: user !== 0, label: user === 0 ? '`runAsUser: 0`' : `uid ${user}` };
  if (flag === true) return { nonRoot: true, label: 'a non-root user (`runAsNonRoot: true`)' };
  return { nonRoot: false, label: flag === false ? '`runAsNonRoot: false`' : 'no `runAsNonRoot: true` or non-zero `runAsUser` on the container or pod' };
}

/** `runAsUser`, `runAsNonRoot`, `privileged` and the rest are Linux settings; the API server rejects most of them on a Windows pod. */
function isWindows(pod: Record<string, unknown>): boolean {
  return isRecord(pod.os) && pod.os.name === 'windows';
}

/** The settings a container lacks, in the words of the message. */
function missingHardening(pod: Record<string, unknown>, container: Record<string, unknown>): string[] {
  const context = securityContext(container);
  const missing: string[] = [];
  if (context.privileged === true) missing.push('`privileged: true` (every device and capability of the node)');
  // With `privileged: true` the API server rejects `allowPrivilegeEscalation: false`: removing privileged comes first.
  else if (context.allowPrivilegeEscalation !== false) missing.push('`allowPrivilegeEscalation` not false');
  const user = identity(pod, container);
  if (!user.nonRoot) missing.push(user.label.startsWith('no ') ? `may run as root (${user.label})` : `runs as root (${user.label})`);
  if (context.readOnlyRootFilesystem !== true) missing.push('writable root filesystem (`readOnlyRootFilesystem` not true)');
  return missing;
}

function role(ref: ContainerRef): string {
  return ref.path.at(-2) === 'initContainers' ? 'init container' : 'container';
}

/** Whether an init container changes the owner of `volume` before the store starts: it mounts it, runs `chown`, and runs as root. */
function chowners(pod: Record<string, unknown>, volume: string): { effective: string[]; asNonRoot: string[] } {
  const effective: string[] = [];
  const asNonRoot: string[] = [];
  for (const init of Array.isArray(pod.initContainers) ? pod.initContainers.filter(isRecord) : []) {
    const mounts = Array.isArray(init.volumeMounts) ? init.volumeMounts.filter(isRecord) : [];
    if (!mounts.some((mount) => mount.name === volume)) continue;
    const text = ['command', 'args'].flatMap((field) => (Array.isArray(init[field]) ? init[field] : [])).join(' ');
    if (!/(^|[\s;&|/(])chown\s/.test(text)) continue;
    const name = typeof init.name === 'string' ? init.name : 'init';
    (identity(pod, init).nonRoot ? asNonRoot : effective).push(name);
  }
  return { effective, asNonRoot };
}

function describeVolume(volume: NodeDiskVolume): string {
  const directory = volume.hostDirectory === undefined ? '' : ` (\`${volume.hostDirectory}\`)`;
  if (volume.persistentVolume === undefined) return `hostPath volume \`${volume.name}\`${directory}`;
  return `volume \`${volume.name}\`, bound to ${volume.kind} PersistentVolume \`${volume.persistentVolume.name}\`${directory}`;
}

export default defineManifestRule({
  id: 'security-context',
  category: 'security-context',
  severity: 'P2',
  effort: 'S',
  docs: {
    summary: 'Containers without a hardened securityContext, pods on host namespaces or hostPath; non-root stores on node directories nobody chowns',
    why: 'A container that runs as root, may gain privileges, or writes its own filesystem turns one exploited bug into a foothold; `privileged`, host namespaces and `hostPath` hand it the node. Namespaces enforcing the `restricted` Pod Security Standard reject such pods outright. And the kubelet never changes the owner of a `hostPath` directory (nor of a `local` volume without `fsGroup`): a store running as a non-root user cannot write its data there and fails at boot.',
    fix: 'Set `allowPrivilegeEscalation: false`, `readOnlyRootFilesystem: true` (with an `emptyDir` for scratch paths) and `runAsNonRoot: true` with a non-zero `runAsUser` on each container (or the user settings once on the pod); drop `privileged`, host namespaces and `hostPath` unless the workload is a node agent. For a store on a node directory, use a `local` PersistentVolume with the pod `fsGroup`, or an init container running as root that `chown`s the directory.',
  },
  check({ cluster, report }) {
    // Every container, init containers included: the `restricted` Pod Security Standard rejects a pod
    // for any one of them, so a short `wait-for-db` init container blocks the pod as surely as the app.
    for (const ref of containers(cluster.resources)) {
      const { resource, path, container, name } = ref;
      const pod = podOf(ref);
      if (isWindows(pod)) continue;
      const missing = missingHardening(pod, container);
      if (missing.length === 0) continue;
      const at: FieldPath = isRecord(container.securityContext) ? [...path, 'securityContext'] : path;
      report({
        location: resource.locate(at),
        message: `${workloadName(resource)} ${role(ref)} \`${name}\`: ${missing.join('; ')}`,
        workload: workloadName(resource),
      });
    }

    const specs = podSpecs(cluster.resources);
    for (const { resource, path, spec } of specs) {
      const namespaces = HOST_NAMESPACES.filter(([field]) => spec[field] === true);
      const hostPaths = [...nodeDiskVolumes({ resource, path, spec }, cluster.resources).values()].filter((v) => v.persistentVolume === undefined);
      if (namespaces.length === 0 && hostPaths.length === 0) continue;
      const parts: string[] = [];
      if (namespaces.length > 0) {
        parts.push(`shares the node's ${joinWords(namespaces.map(([, label]) => label))} namespace${namespaces.length > 1 ? 's' : ''} (${namespaces.map(([field]) => `\`${field}: true\``).join(', ')})`);
      }
      if (hostPaths.length > 0) parts.push(`mounts node directories: ${hostPaths.map(describeVolume).join(', ')}`);
      const first = namespaces[0];
      report({
        location: resource.locate(first !== undefined ? [...path, first[0]] : hostPaths[0]!.path),
        message: `${workloadName(resource)} pod ${parts.join(' and ')}: a compromised container reaches the node`,
        workload: workloadName(resource),
      });
    }

    // A store running as a non-root user on a node directory nobody hands over to it.
    const specOf = new Map<unknown, PodSpecRef>(specs.map((ref) => [ref.resource, ref]));
    for (const { resource, path, container, name, store } of storeContainers(cluster.resources)) {
      const podRef = specOf.get(resource);
      if (podRef === undefined || isWindows(podRef.spec)) continue;
      const user = identity(podRef.spec, container);
      if (!user.nonRoot) continue;
      const disks = nodeDiskVolumes(podRef, cluster.resources);
      const dataPaths = storeDataPaths(store, container).all;
      const mounts = Array.isArray(container.volumeMounts) ? container.volumeMounts : [];
      mounts.forEach((mount: unknown, index) => {
        if (!isRecord(mount) || mount.readOnly === true || typeof mount.name !== 'string' || typeof mount.mountPath !== 'string') return;
        const volume = disks.get(mount.name);
        const mountPath = mount.mountPath;
        if (volume === undefined || !dataPaths.some((dataPath) => mountCovers(mountPath, dataPath))) return;
        const fsGroup = securityContext(podRef.spec).fsGroup;
        // The kubelet applies fsGroup to `local` volumes; `hostPath` ones are never touched.
        if (volume.kind === 'local' && typeof fsGroup === 'number') return;
        const { effective, asNonRoot } = chowners(podRef.spec, mount.name);
        if (effective.length > 0) return;
        const reasons: string[] = [];
        if (volume.kind === 'hostPath') {
          reasons.push(typeof fsGroup === 'number' ? `the pod's \`fsGroup: ${fsGroup}\` does not apply to hostPath (the kubelet never changes its owner)` : 'the kubelet never changes the owner of a hostPath');
        } else reasons.push('the pod sets no `fsGroup`');
        reasons.push(
          asNonRoot.length > 0
            ? `init container ${asNonRoot.map((n) => `\`${n}\``).join(', ')} runs \`chown\` as a non-root user, which is refused`
            : 'no init container `chown`s it',
        );
        const owner =
          volume.kind === 'local'
            ? 'the volume\'s root directory belongs to root'
            : volume.hostPathType === 'DirectoryOrCreate'
              ? 'the kubelet creates the directory owned by root, mode 0755'
              : 'unless the directory is already owned by that user on every node, it belongs to root';
        report({
          location: resource.locate([...path, 'volumeMounts', index]),
          message: `${workloadName(resource)} container \`${name}\` runs ${store.label} as ${user.label} with its data (\`${mountPath}\`) on ${describeVolume(volume)}; ${reasons.join(' and ')}: ${owner}, so ${store.label} fails at boot with permission denied`,
          severity: 'P1',
          workload: workloadName(resource),
        });
      });
    }
  },
});

/** The pod spec a container belongs to: its path minus `containers`/`initContainers` and the index. */
function podOf({ resource, path }: ContainerRef): Record<string, unknown> {
  const pod = valueAt(resource.object, path.slice(0, -2));
  return isRecord(pod) ? pod : {};
}
