// API versions Kubernetes stopped serving, from the official Deprecated API Migration Guide
// (kubernetes.io/docs/reference/using-api/deprecation-guide). kubernetes-models merges the
// OpenAPI specs of many releases, so its validators still accept `extensions/v1beta1`
// Deployments: this table, read against the target version, is what catches them.

/** A Kubernetes minor release, `1.33`. */
export type KubeVersion = `1.${number}`;

/** What `--kube-version` defaults to: a current stable release. */
export const DEFAULT_KUBE_VERSION: KubeVersion = '1.33';

interface RemovedApi {
  apiVersion: string;
  kinds: readonly string[];
  /**
   * The release whose API server first warns about it (its prerelease-lifecycle annotation); for
   * the APIs removed in 1.16, which predate those warnings, the release that made the replacement available.
   */
  deprecatedIn: KubeVersion;
  removedIn: KubeVersion;
  /** The apiVersion to move to; absent when the kind itself is gone. */
  replacement?: string;
  /** What to do instead when there is no replacement version. */
  instead?: string;
}

const TABLE: readonly RemovedApi[] = [
  // v1.32
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], deprecatedIn: '1.29', removedIn: '1.32', replacement: 'flowcontrol.apiserver.k8s.io/v1' },
  // v1.29
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], deprecatedIn: '1.26', removedIn: '1.29', replacement: 'flowcontrol.apiserver.k8s.io/v1' },
  // v1.27
  { apiVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIStorageCapacity'], deprecatedIn: '1.24', removedIn: '1.27', replacement: 'storage.k8s.io/v1' },
  // v1.26
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], deprecatedIn: '1.23', removedIn: '1.26', replacement: 'flowcontrol.apiserver.k8s.io/v1beta3' },
  { apiVersion: 'autoscaling/v2beta2', kinds: ['HorizontalPodAutoscaler'], deprecatedIn: '1.23', removedIn: '1.26', replacement: 'autoscaling/v2' },
  // v1.25
  { apiVersion: 'batch/v1beta1', kinds: ['CronJob'], deprecatedIn: '1.21', removedIn: '1.25', replacement: 'batch/v1' },
  { apiVersion: 'discovery.k8s.io/v1beta1', kinds: ['EndpointSlice'], deprecatedIn: '1.21', removedIn: '1.25', replacement: 'discovery.k8s.io/v1' },
  { apiVersion: 'events.k8s.io/v1beta1', kinds: ['Event'], deprecatedIn: '1.19', removedIn: '1.25', replacement: 'events.k8s.io/v1' },
  { apiVersion: 'autoscaling/v2beta1', kinds: ['HorizontalPodAutoscaler'], deprecatedIn: '1.22', removedIn: '1.25', replacement: 'autoscaling/v2' },
  { apiVersion: 'policy/v1beta1', kinds: ['PodDisruptionBudget'], deprecatedIn: '1.21', removedIn: '1.25', replacement: 'policy/v1' },
  {
    apiVersion: 'policy/v1beta1',
    kinds: ['PodSecurityPolicy'],
    deprecatedIn: '1.21',
    removedIn: '1.25',
    instead: 'PodSecurityPolicy has no successor API: enforce Pod Security Standards with `pod-security.kubernetes.io/enforce` namespace labels',
  },
  { apiVersion: 'node.k8s.io/v1beta1', kinds: ['RuntimeClass'], deprecatedIn: '1.20', removedIn: '1.25', replacement: 'node.k8s.io/v1' },
  // v1.22
  { apiVersion: 'admissionregistration.k8s.io/v1beta1', kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], deprecatedIn: '1.16', removedIn: '1.22', replacement: 'admissionregistration.k8s.io/v1' },
  { apiVersion: 'apiextensions.k8s.io/v1beta1', kinds: ['CustomResourceDefinition'], deprecatedIn: '1.16', removedIn: '1.22', replacement: 'apiextensions.k8s.io/v1' },
  { apiVersion: 'apiregistration.k8s.io/v1beta1', kinds: ['APIService'], deprecatedIn: '1.19', removedIn: '1.22', replacement: 'apiregistration.k8s.io/v1' },
  { apiVersion: 'authentication.k8s.io/v1beta1', kinds: ['TokenReview'], deprecatedIn: '1.19', removedIn: '1.22', replacement: 'authentication.k8s.io/v1' },
  { apiVersion: 'authorization.k8s.io/v1beta1', kinds: ['LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SubjectAccessReview'], deprecatedIn: '1.19', removedIn: '1.22', replacement: 'authorization.k8s.io/v1' },
  { apiVersion: 'certificates.k8s.io/v1beta1', kinds: ['CertificateSigningRequest'], deprecatedIn: '1.19', removedIn: '1.22', replacement: 'certificates.k8s.io/v1' },
  { apiVersion: 'coordination.k8s.io/v1beta1', kinds: ['Lease'], deprecatedIn: '1.19', removedIn: '1.22', replacement: 'coordination.k8s.io/v1' },
  { apiVersion: 'extensions/v1beta1', kinds: ['Ingress'], deprecatedIn: '1.14', removedIn: '1.22', replacement: 'networking.k8s.io/v1' },
  { apiVersion: 'networking.k8s.io/v1beta1', kinds: ['Ingress', 'IngressClass'], deprecatedIn: '1.19', removedIn: '1.22', replacement: 'networking.k8s.io/v1' },
  { apiVersion: 'rbac.authorization.k8s.io/v1beta1', kinds: ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], deprecatedIn: '1.17', removedIn: '1.22', replacement: 'rbac.authorization.k8s.io/v1' },
  { apiVersion: 'scheduling.k8s.io/v1beta1', kinds: ['PriorityClass'], deprecatedIn: '1.14', removedIn: '1.22', replacement: 'scheduling.k8s.io/v1' },
  { apiVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], deprecatedIn: '1.19', removedIn: '1.22', replacement: 'storage.k8s.io/v1' },
  // v1.16
  { apiVersion: 'extensions/v1beta1', kinds: ['NetworkPolicy'], deprecatedIn: '1.8', removedIn: '1.16', replacement: 'networking.k8s.io/v1' },
  { apiVersion: 'extensions/v1beta1', kinds: ['PodSecurityPolicy'], deprecatedIn: '1.10', removedIn: '1.16', replacement: 'policy/v1beta1' },
  { apiVersion: 'extensions/v1beta1', kinds: ['DaemonSet', 'Deployment', 'ReplicaSet'], deprecatedIn: '1.9', removedIn: '1.16', replacement: 'apps/v1' },
  { apiVersion: 'apps/v1beta1', kinds: ['Deployment', 'StatefulSet', 'ReplicaSet'], deprecatedIn: '1.9', removedIn: '1.16', replacement: 'apps/v1' },
  { apiVersion: 'apps/v1beta2', kinds: ['DaemonSet', 'Deployment', 'StatefulSet', 'ReplicaSet'], deprecatedIn: '1.9', removedIn: '1.16', replacement: 'apps/v1' },
];

const BY_GVK = new Map(TABLE.flatMap((entry) => entry.kinds.map((kind) => [`${entry.apiVersion}/${kind}`, entry] as const)));

/** `1.33`, `v1.33` or `1.33.2` as a minor release; `undefined` for anything else. */
export function parseKubeVersion(text: string): KubeVersion | undefined {
  const match = /^v?1\.(\d{1,3})(?:\.\d+)?$/.exec(text.trim());
  return match === null ? undefined : `1.${Number(match[1])}`;
}

function minor(version: KubeVersion): number {
  return Number(version.slice(2));
}

export interface ApiVersionStatus {
  /** `removed`: the target's API server does not serve it; `deprecated`: served, with a warning. */
  status: 'removed' | 'deprecated';
  deprecatedIn: KubeVersion;
  removedIn: KubeVersion;
  /** What to write instead, as a sentence fragment: "use `apps/v1`". */
  advice: string;
}

/** Whether `apiVersion`/`kind` is removed or deprecated at `target`; `undefined` when it is served without warning. */
export function apiVersionStatus(apiVersion: string, kind: string, target: KubeVersion): ApiVersionStatus | undefined {
  const entry = BY_GVK.get(`${apiVersion}/${kind}`);
  if (entry === undefined || minor(target) < minor(entry.deprecatedIn)) return undefined;
  return {
    status: minor(target) >= minor(entry.removedIn) ? 'removed' : 'deprecated',
    deprecatedIn: entry.deprecatedIn,
    removedIn: entry.removedIn,
    advice: adviceFor(entry, kind, target),
  };
}

/** The replacement the target serves: `extensions/v1beta1` PodSecurityPolicy points at `policy/v1beta1`, itself gone in 1.25. */
function adviceFor(entry: RemovedApi, kind: string, target: KubeVersion): string {
  let current = entry;
  for (let hops = 0; hops < TABLE.length; hops++) {
    if (current.replacement === undefined) return current.instead ?? `\`${kind}\` has no successor API`;
    const next = BY_GVK.get(`${current.replacement}/${kind}`);
    if (next === undefined || minor(target) < minor(next.removedIn)) return `use \`apiVersion: ${current.replacement}\``;
    current = next;
  }
  return `use \`apiVersion: ${current.replacement ?? entry.apiVersion}\``;
}
