import { workloadName } from '../manifests/pod-templates.js';
import { podReferences } from '../manifests/references.js';
import { defineManifestRule } from '../rule.js';

export default defineManifestRule({
  id: 'optional-secret',
  category: 'optional-secret',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Secret referenced with `optional: true`',
    why: 'An optional Secret that is missing, renamed or not yet synced lets the pod start without its keys, so config drift surfaces later as a runtime error instead of a failed rollout.',
    fix: 'Drop `optional: true` so a missing Secret blocks the rollout (the pod stays in CreateContainerConfigError), or give the code an explicit default and document it.',
  },
  check({ cluster, report }) {
    const secrets = new Set(
      cluster.resources.filter((r) => r.kind === 'Secret' && r.apiVersion === 'v1').map((r) => `${r.namespace ?? ''}/${r.name}`),
    );
    // The overlay is named by the engine, which merges the same base line reported by several overlays.
    const where = cluster.kind === 'overlay' ? 'the rendered overlay' : 'the scanned manifests';
    for (const { resource, kind, name: secretName, refPath, optional, usage } of podReferences(cluster.resources)) {
      if (kind !== 'Secret' || !optional || refPath === undefined) continue;
      const exists =
        secrets.has(`${resource.namespace ?? ''}/${secretName}`) || cluster.generatorOutputs.some((output) => output.kind === 'Secret' && output.name === secretName);
      const state = exists
        ? `it is defined in ${where} today, but if it is renamed or not synced the pods still start, without its keys`
        : `it is not defined in ${where}, so unless it is created outside the repo the pods start without its keys and nothing fails until the code reads them`;
      report({
        location: resource.locate([...refPath, 'optional']),
        message: `${workloadName(resource)}: Secret \`${secretName}\` (${usage}) is optional; ${state}`,
        workload: workloadName(resource),
      });
    }
  },
});
