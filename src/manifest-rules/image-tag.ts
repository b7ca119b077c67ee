import { parseImageReference } from '../manifests/image-reference.js';
import { containers, workloadName } from '../manifests/pod-templates.js';
import { defineManifestRule } from '../rule.js';

/** What a moving tag does under each pull policy; unset defaults to `Always` for `:latest` (an invalid value is the schema rule's). */
const PULL_POLICY_CONSEQUENCES: Record<string, string> = {
  IfNotPresent:
    'with `imagePullPolicy: IfNotPresent` each node keeps whichever build it cached first, so replicas on different nodes run different code and a new push never reaches a node that already has the tag',
  Never: 'with `imagePullPolicy: Never` each node runs whatever was preloaded under that tag',
  Always: 'with `imagePullPolicy: Always` every pod start pulls whatever was pushed last, so a restart or a reschedule silently changes the running build',
  undefined:
    'with `imagePullPolicy` unset (defaulted to `Always` for `:latest`) every pod start pulls whatever was pushed last, so a restart or a reschedule silently changes the running build',
};

export default defineManifestRule({
  id: 'image-tag',
  category: 'image-tag',
  severity: 'P1',
  effort: 'XS',
  docs: {
    summary: 'Container image with `:latest` or no tag',
    why: 'A moving tag means two pods of one Deployment can run different builds, a restart can silently upgrade, and a rollback has nothing fixed to return to.',
    fix: 'Pin an immutable tag (the release version or commit SHA), or a digest, and set it per overlay with kustomize `images:`.',
  },
  check({ cluster, report }) {
    for (const { resource, path, container, name } of containers(cluster.resources)) {
      const image = container.image;
      if (typeof image !== 'string') continue;
      const { name: repository, tag, digest } = parseImageReference(image);
      if (digest !== undefined || (tag !== undefined && tag !== 'latest')) continue;
      // `image: api` where skaffold builds `api`: skaffold writes the tag it built at deploy time.
      if (tag === undefined && cluster.builtImages.has(repository)) continue;
      const moving = tag === undefined ? `\`${image}\` has no tag, so it means \`:latest\`` : `\`${image}\` uses \`:latest\``;
      const policy = String(container.imagePullPolicy);
      const consequence = Object.hasOwn(PULL_POLICY_CONSEQUENCES, policy)
        ? PULL_POLICY_CONSEQUENCES[policy]
        : `\`imagePullPolicy: ${policy}\` is not a policy the API server accepts (see the schema finding)`;
      report({
        location: resource.locate([...path, 'image']),
        message: `${workloadName(resource)} container \`${name}\`: ${moving}; ${consequence}`,
        workload: workloadName(resource),
      });
    }
  },
});
