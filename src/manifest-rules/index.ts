// The manifest rule registry: adding a rule means adding its file and one line here.
import availability from './availability.js';
import imageTag from './image-tag.js';
import kustomizeMerge from './kustomize-merge.js';
import missingReference from './missing-reference.js';
import optionalSecret from './optional-secret.js';
import probes from './probes.js';
import resources from './resources.js';
import schema from './schema.js';
import securityContext from './security-context.js';
import statefulNoPvc from './stateful-no-pvc.js';
import statefulSingleReplica from './stateful-single-replica.js';

// `as const` keeps each rule's id and options type: `defineConfig` is typed from this list.
export const manifestRules = [
  availability,
  imageTag,
  kustomizeMerge,
  missingReference,
  optionalSecret,
  probes,
  resources,
  schema,
  securityContext,
  statefulNoPvc,
  statefulSingleReplica,
] as const;
