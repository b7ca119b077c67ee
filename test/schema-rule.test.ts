// The schema rule over its fixture folder, run through discovery, the cluster model and the
// rule runner (not the whole audit), so it checks this rule and the model alone: the exact set
// of (file, line, rule, level) the fixtures annotate, and what the messages say.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../src/discover.js';
import schema from '../src/manifest-rules/schema.js';
import { buildClusterModel } from '../src/manifests/build-cluster-model.js';
import { runRules, type RawFinding } from '../src/run-rules.js';
import type { AuditError } from '../src/findings.js';
import { describeFindings, readExpectations } from './expectations.js';

const root = path.resolve(import.meta.dirname, '..');
let findings: RawFinding[] = [];
let errors: AuditError[] = [];

beforeAll(async () => {
  const discovery = await discover({ cwd: root, paths: ['fixtures/schema'] });
  const built = await buildClusterModel({ cwd: root, yamlFiles: discovery.yamlFiles, kustomizationDirs: discovery.kustomizationDirs, render: true });
  errors = [...discovery.errors, ...built.errors];
  findings = runRules([schema], { packages: [], files: [] } as never, built.cluster).findings;
});

describe('schema rule', () => {
  it('reports exactly the annotated lines of fixtures/schema', () => {
    expect(errors).toEqual([]);
    expect(describeFindings(findings)).toEqual(readExpectations(root, 'fixtures/schema'));
  });

  it('names the object and the field in each message', () => {
    expect(findings.map((finding) => finding.message).sort()).toEqual([
      'Deployment/api: `spec.replicas` must be an integer, got the string "3"',
      'Deployment/prod-checkout: `spec.template.spec.containers[0].resources.limits.memory` must be a quantity such as `500m`, `1.5` or `512Mi`, got the string "lots" (overlay `fixtures/schema/kustomize/overlays/prod`)',
      'Deployment/prod-checkout: unknown field `periodSecond` in `spec.template.spec.containers[0].livenessProbe`; did you mean `periodSeconds`? (overlay `fixtures/schema/kustomize/overlays/prod`)',
      'Deployment/worker: unknown field `imagePullpolicy` in `spec.template.spec.containers[0]`; did you mean `imagePullPolicy`?',
    ]);
  });
});
