import type { FieldPath, ManifestSet, Resource } from '../manifests/cluster-model.js';
import { containers, podSpecs, workloadName } from '../manifests/pod-templates.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { defineManifestRule } from '../rule.js';

interface OptionalSecretUse {
  resource: Resource;
  /** Path of the `optional` field. */
  path: FieldPath;
  secretName: string;
  /** How the pod uses it: "`envFrom` of container `api`". */
  usage: string;
}

function optionalSecretUses(set: ManifestSet): OptionalSecretUse[] {
  const uses: OptionalSecretUse[] = [];
  const consider = (resource: Resource, refPath: FieldPath, nameField: string, usage: string): void => {
    const ref = valueAt(resource.object, refPath);
    if (!isRecord(ref) || ref.optional !== true || typeof ref[nameField] !== 'string') return;
    uses.push({ resource, path: [...refPath, 'optional'], secretName: ref[nameField] as string, usage });
  };
  for (const { resource, path, container, name } of containers(set.resources)) {
    const envFrom = Array.isArray(container.envFrom) ? container.envFrom : [];
    envFrom.forEach((_, index) => consider(resource, [...path, 'envFrom', index, 'secretRef'], 'name', `\`envFrom\` of container \`${name}\``));
    const env = Array.isArray(container.env) ? container.env : [];
    env.forEach((variable: unknown, index) => {
      const variableName = isRecord(variable) && typeof variable.name === 'string' ? variable.name : `#${index}`;
      consider(resource, [...path, 'env', index, 'valueFrom', 'secretKeyRef'], 'name', `\`${variableName}\` of container \`${name}\``);
    });
  }
  for (const { resource, path, spec } of podSpecs(set.resources)) {
    const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
    volumes.forEach((volume: unknown, index) => {
      const volumeName = isRecord(volume) && typeof volume.name === 'string' ? volume.name : `#${index}`;
      consider(resource, [...path, 'volumes', index, 'secret'], 'secretName', `volume \`${volumeName}\``);
      const sources = valueAt(volume, ['projected', 'sources']);
      if (!Array.isArray(sources)) return;
      sources.forEach((_, sourceIndex) =>
        consider(resource, [...path, 'volumes', index, 'projected', 'sources', sourceIndex, 'secret'], 'name', `projected volume \`${volumeName}\``),
      );
    });
  }
  return uses;
}

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
    for (const { resource, path, secretName, usage } of optionalSecretUses(cluster)) {
      const exists = secrets.has(`${resource.namespace ?? ''}/${secretName}`);
      const state = exists
        ? `it is defined in ${where} today, but if it is renamed or not synced the pods still start, without its keys`
        : `it is not defined in ${where}, so unless it is created outside the repo the pods start without its keys and nothing fails until the code reads them`;
      report({
        location: resource.locate(path),
        message: `${workloadName(resource)}: Secret \`${secretName}\` (${usage}) is optional; ${state}`,
        workload: workloadName(resource),
      });
    }
  },
});
