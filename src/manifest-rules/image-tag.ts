import { parseImageReference } from '../manifests/image-reference.js';
import { containers, workloadName } from '../manifests/pod-templates.js';
import { defineManifestRule } from '../rule.js';

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
      const { tag, digest } = parseImageReference(image);
      if (digest !== undefined || (tag !== undefined && tag !== 'latest')) continue;
      const pullPolicy = container.imagePullPolicy;
      const moving = tag === undefined ? `\`${image}\` has no tag, so it means \`:latest\`` : `\`${image}\` uses \`:latest\``;
      const consequence =
        pullPolicy === 'IfNotPresent'
          ? 'with `imagePullPolicy: IfNotPresent` each node keeps whichever build it cached first, so replicas on different nodes run different code and a new push never reaches a node that already has the tag'
          : pullPolicy === 'Never'
            ? 'with `imagePullPolicy: Never` each node runs whatever was preloaded under that tag'
            : `with \`imagePullPolicy\` ${pullPolicy === undefined ? 'unset (defaulted to `Always` for `:latest`)' : '`Always`'} every pod start pulls whatever was pushed last, so a restart or a reschedule silently changes the running build`;
      report({
        location: resource.locate([...path, 'image']),
        message: `${workloadName(resource)} container \`${name}\`: ${moving}; ${consequence}`,
        workload: workloadName(resource),
      });
    }
  },
});
