// What links the code to the manifests: which package each container runs, what environment it
// really gets, what is mounted where, which Services its namespace has. Cross rules compare what
// the code needs (the app model) with what a manifest set gives (this model), one set at a time.
import type { Span } from '../findings.js';
import type { ManifestSet, Resource } from '../manifests/cluster-model.js';
import type { ContainerRef } from '../manifests/pod-templates.js';
import type { DockerImage } from './dockerfile.js';
import type { ShippedTemplate } from './templates.js';
import type { Entry } from './workload-package.js';

/** Where a variable a container gets comes from. */
export type EnvOrigin =
  /** `env: [{ name, value }]`, or `valueFrom` (then `value` is undefined and `from` says what). */
  | { kind: 'env'; value?: string; from?: string }
  | { kind: 'configMap'; name: string; value: string }
  /** A Secret's key (rendered, or listed by the ExternalSecret/SealedSecret that makes it); its value is not read. */
  | { kind: 'secret'; name: string; madeBy?: string }
  | { kind: 'dockerfile'; value: string; file: string; line: number }
  /** Set by the kubelet for each Service of the namespace (`enableServiceLinks`, on by default). */
  | { kind: 'service-link'; service: string; value: string }
  /** Set by the container runtime and the kubelet in every container: `HOSTNAME`, `KUBERNETES_SERVICE_HOST`. */
  | { kind: 'runtime'; value: string };

export interface ProvidedEnv {
  name: string;
  origin: EnvOrigin;
  /** The manifest or Dockerfile line that provides it. */
  location: Span;
}

/** An `envFrom` source whose keys cannot be known: the ConfigMap or Secret is not in the rendered set. */
export interface UnknownEnvSource {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  optional: boolean;
}

export interface Mount {
  mountPath: string;
  volume: string;
  /** What backs the volume. */
  /** `configuration`: a configMap, secret, projected or downwardAPI volume (read-only data). */
  source: 'persistentVolumeClaim' | 'volumeClaimTemplate' | 'emptyDir' | 'hostPath' | 'configuration' | 'other';
  /** The claim's access modes when the volume is a PVC or claim template found in the set. */
  accessModes?: string[];
  claim?: string;
  readOnly: boolean;
}

/** How a container was tied to a package, for the Workloads table. */
export interface PackageLink {
  dir: string;
  how: string;
  /** The Dockerfile variant the image is named after (`worker` for `worker.Dockerfile` and image `…-worker`). */
  variant?: string;
}

export interface LinkedContainer {
  workload: Resource;
  /** `Deployment/api`. */
  workloadName: string;
  ref: ContainerRef;
  init: boolean;
  /** Rendered namespace, '' when the manifests leave it to `kubectl apply`. */
  namespace: string;
  image?: string;
  package?: PackageLink;
  /** The source file the container starts and what named it (`command`, Dockerfile `CMD`, `package.json` `main`…), or the other program it runs. */
  entry?: Entry;
  /** Source files the container runs: reachable from the entry by relative imports, else every file of the package. */
  files: ReadonlySet<string>;
  dockerImage?: DockerImage;
  env: ReadonlyMap<string, ProvidedEnv>;
  unknownEnvSources: readonly UnknownEnvSource[];
  mounts: readonly Mount[];
  /** `spec.replicas` (1 when unset), or the HPA's maximum. */
  replicas: number;
  autoscaled: boolean;
}

export interface SetLinks {
  set: ManifestSet;
  containers: readonly LinkedContainer[];
  templates: readonly ShippedTemplate[];
}

export interface LinkModel {
  sets: readonly SetLinks[];
  /** Config templates packages ship into their images, with the variables their placeholders need. */
  templates: readonly ShippedTemplate[];
}
