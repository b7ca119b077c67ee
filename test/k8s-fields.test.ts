// src/manifests/k8s-fields.json is generated from the installed kubernetes-models typings; when
// the dependency is upgraded the committed map must be regenerated, or typos in new fields
// would go unnoticed (and new fields would be reported as unknown).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OUTPUT, generateK8sFields, serializeK8sFields } from '../scripts/generate-k8s-fields.mjs';

describe('k8s-fields.json', () => {
  it('matches what scripts/generate-k8s-fields.mjs generates from node_modules (run it to update)', () => {
    const generated: string = serializeK8sFields(generateK8sFields());
    expect(generated === readFileSync(OUTPUT, 'utf8'), 'src/manifests/k8s-fields.json is stale: run `node scripts/generate-k8s-fields.mjs`').toBe(true);
  });

  it('knows the container fields and maps of the core kinds', () => {
    const fields = JSON.parse(readFileSync(OUTPUT, 'utf8')) as { gvk: Record<string, string>; types: Record<string, Record<string, unknown>> };
    expect(fields.gvk['apps/v1/Deployment']).toBe('IoK8sApiAppsV1Deployment');
    expect(fields.types.IoK8sApiCoreV1Container).toMatchObject({ imagePullPolicy: 0, env: '[IoK8sApiCoreV1EnvVar', resources: 'IoK8sApiCoreV1ResourceRequirements' });
    // Free-form maps are not walked: any key is allowed.
    expect(fields.types.IoK8sApiCoreV1ConfigMap).toMatchObject({ data: 0 });
    expect(fields.types.IoK8sApiCoreV1ResourceRequirements).toMatchObject({ requests: 0, limits: 0 });
  });
});
