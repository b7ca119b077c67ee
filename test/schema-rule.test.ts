// What the schema rule says, beyond where (the fixture harness checks the locations): each
// message names the object and the field, suggests the field a typo meant, and names the
// replacement of an API version the target release no longer serves.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { audit } from '../src/audit.js';
import schema from '../src/manifest-rules/schema.js';
import { apiVersionStatus, parseKubeVersion } from '../src/manifests/removed-apis.js';

const root = path.resolve(import.meta.dirname, '..');

async function findingsIn(paths: string[], kubeVersion?: `1.${number}`) {
  const result = await audit({ cwd: root, paths, rules: [schema], ...(kubeVersion === undefined ? {} : { kubeVersion }) });
  return result.findings.map((finding) => `${finding.line} ${finding.severity} ${finding.message}`).sort();
}

it('names the object and the field in each message', async () => {
  const files = ['string-replicas.yaml', 'typo-field.yaml', 'kustomize'].map((file) => `fixtures/schema/${file}`);
  const { findings } = await audit({ cwd: root, paths: files, rules: [schema] });
  expect(findings.map((finding) => finding.message).sort()).toEqual([
    'Deployment/api: `spec.replicas` must be an integer, got the string "3"',
    'Deployment/prod-checkout: `spec.template.spec.containers[0].resources.limits.memory` must be a quantity such as `500m`, `1.5` or `512Mi`, got the string "lots" (overlay `fixtures/schema/kustomize/overlays/prod`)',
    'Deployment/prod-checkout: unknown field `periodSecond` in `spec.template.spec.containers[0].livenessProbe`; did you mean `periodSeconds`? (overlay `fixtures/schema/kustomize/overlays/prod`)',
    'Deployment/worker: unknown field `imagePullpolicy` in `spec.template.spec.containers[0]`; did you mean `imagePullPolicy`?',
  ]);
});

describe('API versions by target release', () => {
  it('a removed version is P0 and names its replacement', async () => {
    const messages = await findingsIn(['fixtures/schema/removed-apis.yaml']);
    expect(messages).toContain(
      '3 P0 Deployment/legacy-api: `apiVersion: extensions/v1beta1` of Deployment is no longer served since Kubernetes 1.16 (target 1.33): the API server rejects the object; use `apiVersion: apps/v1`',
    );
    expect(messages).toContain(
      '116 P0 PriorityLevelConfiguration/batch-low: `apiVersion: flowcontrol.apiserver.k8s.io/v1beta3` of PriorityLevelConfiguration is no longer served since Kubernetes 1.32 (target 1.33): the API server rejects the object; use `apiVersion: flowcontrol.apiserver.k8s.io/v1`',
    );
  });

  it('an older target: deprecated but served is P2 with the removal release; not yet deprecated is nothing', async () => {
    const messages = await findingsIn(['fixtures/schema/removed-apis.yaml'], '1.24');
    expect(messages).toContain(
      '54 P2 PodDisruptionBudget/legacy-api: `apiVersion: policy/v1beta1` of PodDisruptionBudget is deprecated since Kubernetes 1.21 and removed in 1.25 (target 1.24); use `apiVersion: policy/v1`',
    );
    expect(messages).toContain(
      '98 P2 HorizontalPodAutoscaler/legacy-worker: `apiVersion: autoscaling/v2beta2` of HorizontalPodAutoscaler is deprecated since Kubernetes 1.23 and removed in 1.26 (target 1.24); use `apiVersion: autoscaling/v2`',
    );
    expect(messages.filter((message) => message.startsWith('3 P0 Deployment/legacy-api'))).toHaveLength(1);
    // flowcontrol v1beta3 is deprecated from 1.29 on; CSIStorageCapacity v1beta1 from 1.24 on.
    expect(messages.some((message) => message.includes('PriorityLevelConfiguration'))).toBe(false);
    expect(messages.some((message) => message.startsWith('126 P2 CSIStorageCapacity/zone-a'))).toBe(true);
  });

  it('follows a replacement that the target no longer serves either', () => {
    expect(apiVersionStatus('extensions/v1beta1', 'PodSecurityPolicy', '1.20')?.advice).toBe('use `apiVersion: policy/v1beta1`');
    expect(apiVersionStatus('extensions/v1beta1', 'PodSecurityPolicy', '1.33')?.advice).toMatch(/no successor API/);
    expect(apiVersionStatus('flowcontrol.apiserver.k8s.io/v1beta1', 'FlowSchema', '1.27')?.advice).toBe('use `apiVersion: flowcontrol.apiserver.k8s.io/v1beta3`');
    expect(apiVersionStatus('flowcontrol.apiserver.k8s.io/v1beta1', 'FlowSchema', '1.33')?.advice).toBe('use `apiVersion: flowcontrol.apiserver.k8s.io/v1`');
    expect(apiVersionStatus('policy/v1', 'PodDisruptionBudget', '1.33')).toBeUndefined();
    expect(apiVersionStatus('apps/v1', 'Deployment', '1.33')).toBeUndefined();
  });

  it('reads release numbers as people write them', () => {
    expect(['1.33', 'v1.29', '1.30.4', ' 1.8 '].map(parseKubeVersion)).toEqual(['1.33', '1.29', '1.30', '1.8']);
    expect(['2.0', '1', '1.x', 'latest', ''].map(parseKubeVersion)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('--kube-version rejects what is not a release (exit 2) and reports with the given target', () => {
    const cli = path.join(root, 'dist', 'cli.js');
    const bad = spawnSync(process.execPath, [cli, 'fixtures/schema/removed-apis.yaml', '--kube-version', 'latest', '--out', '-', '--format', 'json'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--kube-version takes a Kubernetes release such as 1.33, not "latest"');
    const old = spawnSync(process.execPath, [cli, 'fixtures/schema/removed-apis.yaml', '--kube-version', '1.15', '--out', '-', '--format', 'json'], { cwd: root, encoding: 'utf8' });
    expect(old.status).toBe(0);
    const messages = (JSON.parse(old.stdout) as { findings: { ruleId: string; message: string }[] }).findings
      .filter((finding) => finding.ruleId === 'schema')
      .map((finding) => finding.message);
    expect(messages).toContain(
      'Deployment/legacy-api: `apiVersion: extensions/v1beta1` of Deployment is deprecated since Kubernetes 1.9 and removed in 1.16 (target 1.15); use `apiVersion: apps/v1`',
    );
  });
});

describe('what the API server checks beyond the OpenAPI schema', () => {
  it('label keys and values, with the reason', async () => {
    expect(await findingsIn(['fixtures/schema/invalid-labels.yaml'])).toEqual([
      '10 P0 Deployment/checkout: label key "Example.com/owner" in `metadata.labels` is not valid: its prefix `Example.com` must be a lowercase DNS subdomain (letters, digits, `-` and `.`, at most 253 characters)',
      '11 P0 Deployment/checkout: label value "-2024-06-" of `release` in `metadata.labels` is not valid: it must begin and end with a letter or digit',
      '18 P0 Deployment/checkout: label key "tier name" at `spec.selector.matchExpressions[0].key` is not valid: only letters, digits, `-`, `_` and `.` are allowed',
      '21 P0 Deployment/checkout: label value "canary/blue" in `spec.selector.matchExpressions[1].values` is not valid: only letters, digits, `-`, `_` and `.` are allowed',
      '26 P0 Deployment/checkout: label value "checkout-service-build-from-the-main-..." of `build` in `spec.template.metadata.labels` is not valid: it is 64 characters long, at most 63 are allowed',
      '39 P0 Service/checkout: label key "" in `spec.selector` is not valid: it is empty',
      '9 P0 Deployment/checkout: label value "Payments & Billing" of `team` in `metadata.labels` is not valid: only letters, digits, `-`, `_` and `.` are allowed',
    ]);
  });

  it('an env var defined twice: P1 with different values, P2 with the same; the manifests stay valid', async () => {
    const result = await audit({ cwd: root, paths: ['fixtures/schema/duplicate-env.yaml'], rules: [schema] });
    expect(result.findings.map((finding) => `${finding.line} ${finding.severity} ${finding.message}`)).toEqual([
      '21 P2 Deployment/orders: env var `DATABASE_URL` is defined twice in container `migrate` (`env[0]` and `env[1]`) with the same value; remove one',
      '32 P1 Deployment/orders: env var `LOG_LEVEL` is defined twice in container `orders` (`env[0]` and `env[2]`) with different values: the later one wins and `kubectl apply` may drop one of them; keep one',
    ]);
    expect(result.manifests.map((set) => set.valid)).toEqual([true]);
  });
});
