import type { Span } from '../findings.js';
import { parseImageReference } from '../manifests/image-reference.js';
import { containers, workloadName } from '../manifests/pod-templates.js';
import { defineManifestRule } from '../rule.js';

/** What a moving tag does under each pull policy, and the way out; unset defaults to `Always` for `:latest` (an invalid value is the schema rule's). */
const PULL_POLICY_CONSEQUENCES: Record<string, string> = {
  IfNotPresent:
    'with `imagePullPolicy: IfNotPresent` each node keeps whichever build it cached first, so replicas on different nodes run different code and a new push never reaches a node that already has the tag; `imagePullPolicy: Always` is only a stopgap (every start then pulls whatever was pushed last)',
  Never: 'with `imagePullPolicy: Never` each node runs whatever was preloaded under that tag; `imagePullPolicy: Always` is only a stopgap (every start then pulls whatever was pushed last)',
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
    summary: 'Container image with `:latest` or no tag, or pinned by tag only in production',
    why: 'A moving tag means two pods of one Deployment can run different builds, a restart can silently upgrade, and a rollback has nothing fixed to return to. Even a release tag can be pushed again: only a digest names one build, which matters most in production.',
    fix: 'Pin an immutable tag (the release version or commit SHA) and set it per overlay with kustomize `images:`; in production pin the digest (`image@sha256:…` or kustomize `images:` with `digest:`). `imagePullPolicy: Always` is a stopgap, not a fix.',
  },
  check({ cluster, report }) {
    // One `images:` entry pins many workloads: one note per place a person edits, naming them all.
    const tagOnly = new Map<string, { location: Span; image: string; repository: string; users: string[]; workloads: Set<string> }>();
    for (const { resource, path, container, name } of containers(cluster.resources)) {
      const image = container.image;
      if (typeof image !== 'string') continue;
      const { name: repository, tag, digest } = parseImageReference(image);
      if (digest !== undefined) continue;
      // `image: api` where skaffold builds `api`: skaffold writes the tag it built at deploy time.
      const built = cluster.builtImages.has(repository);
      if (tag !== undefined && tag !== 'latest') {
        if (cluster.production && !built) {
          const location = resource.locate([...path, 'image']);
          const key = [location.file, location.line, location.column, image].join('\0');
          const entry = tagOnly.get(key) ?? { location, image, repository, users: [], workloads: new Set() };
          entry.users.push(`${workloadName(resource)} container \`${name}\``);
          entry.workloads.add(workloadName(resource));
          tagOnly.set(key, entry);
        }
        continue;
      }
      if (tag === undefined && built) continue;
      const moving = tag === undefined ? `\`${image}\` has no tag, so it means \`:latest\`` : `\`${image}\` uses \`:latest\``;
      const policy = String(container.imagePullPolicy);
      const consequence = Object.hasOwn(PULL_POLICY_CONSEQUENCES, policy)
        ? PULL_POLICY_CONSEQUENCES[policy]
        : `\`imagePullPolicy: ${policy}\` is not a policy the API server accepts (see the schema finding)`;
      report({
        location: resource.locate([...path, 'image']),
        message: `${workloadName(resource)} container \`${name}\`: ${moving}; ${consequence}; pin a release tag or commit SHA`,
        workload: workloadName(resource),
      });
    }
    for (const { location, image, repository, users, workloads } of tagOnly.values()) {
      report({
        location,
        message: `${users.join(', ')}: \`${image}\` is pinned by tag only in a production overlay; a tag can be pushed again, so a restart or a new node can pull a different build than the one tested: pin the digest (\`${repository}@sha256:…\`, or kustomize \`images:\` with \`digest:\`)`,
        severity: 'P2',
        ...(workloads.size === 1 ? { workload: [...workloads][0]! } : {}),
      });
    }
  },
});
