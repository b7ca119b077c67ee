// What the schema rule says, beyond where (the fixture harness checks the locations): each
// message names the object and the field, and suggests the field a typo meant.
import path from 'node:path';
import { expect, it } from 'vitest';
import { audit } from '../src/audit.js';
import schema from '../src/manifest-rules/schema.js';

const root = path.resolve(import.meta.dirname, '..');

it('names the object and the field in each message', async () => {
  const { findings } = await audit({ cwd: root, paths: ['fixtures/schema'], rules: [schema] });
  expect(findings.map((finding) => finding.message).sort()).toEqual([
    'Deployment/api: `spec.replicas` must be an integer, got the string "3"',
    'Deployment/prod-checkout: `spec.template.spec.containers[0].resources.limits.memory` must be a quantity such as `500m`, `1.5` or `512Mi`, got the string "lots" (overlay `fixtures/schema/kustomize/overlays/prod`)',
    'Deployment/prod-checkout: unknown field `periodSecond` in `spec.template.spec.containers[0].livenessProbe`; did you mean `periodSeconds`? (overlay `fixtures/schema/kustomize/overlays/prod`)',
    'Deployment/worker: unknown field `imagePullpolicy` in `spec.template.spec.containers[0]`; did you mean `imagePullPolicy`?',
  ]);
});
