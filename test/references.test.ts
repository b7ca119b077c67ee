import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRules, audit } from '../src/audit.js';
import type { Resource } from '../src/manifests/cluster-model.js';
import { generatedObjects } from '../src/manifests/generated-objects.js';
import { podReferences } from '../src/manifests/references.js';
import { describeFindings } from './expectations.js';

function resource(apiVersion: string, kind: string, name: string, object: Record<string, unknown>, namespace?: string): Resource {
  return {
    apiVersion,
    kind,
    name,
    ...(namespace === undefined ? {} : { namespace }),
    object: { apiVersion, kind, metadata: { name }, ...object },
    locate: () => ({ file: 'x.yaml', line: 1, column: 1, endLine: 1, endColumn: 2 }),
    schemaIssues: [],
  };
}

describe('pod references', () => {
  it('lists every ConfigMap, Secret, ServiceAccount and PVC a pod spec names, with keys and optionality', () => {
    const pod = resource('v1', 'Pod', 'api', {
      spec: {
        serviceAccountName: 'api',
        imagePullSecrets: [{ name: 'regcred' }],
        containers: [
          {
            name: 'api',
            envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'sec', optional: true } }],
            env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'sec2', key: 'a' } } }],
          },
        ],
        volumes: [
          { name: 'v', configMap: { name: 'files', items: [{ key: 'x', path: 'x' }] } },
          { name: 'd', persistentVolumeClaim: { claimName: 'data' } },
          { name: 'p', projected: { sources: [{ secret: { name: 'tls' } }] } },
        ],
      },
    });
    const summary = podReferences([pod]).map((r) => `${r.via} ${r.kind}/${r.name}${r.optional ? '?' : ''} [${r.keys.map((k) => k.key).join(',')}] ${r.namePath.join('.')}`);
    expect(summary).toEqual([
      'envFrom ConfigMap/cfg [] spec.containers.0.envFrom.0.configMapRef.name',
      'envFrom Secret/sec? [] spec.containers.0.envFrom.1.secretRef.name',
      'env Secret/sec2 [a] spec.containers.0.env.0.valueFrom.secretKeyRef.name',
      'volume ConfigMap/files [x] spec.volumes.0.configMap.name',
      'persistentVolumeClaim PersistentVolumeClaim/data [] spec.volumes.1.persistentVolumeClaim.claimName',
      'projected Secret/tls [] spec.volumes.2.projected.sources.0.secret.name',
      'serviceAccount ServiceAccount/api [] spec.serviceAccountName',
      'imagePullSecret Secret/regcred [] spec.imagePullSecrets.0.name',
    ]);
  });
});

describe('generated objects', () => {
  it('names the Secrets that controllers create from objects in the set', () => {
    const names = generatedObjects([
      resource('external-secrets.io/v1beta1', 'ExternalSecret', 'a', { spec: { target: { name: 'a-target' } } }, 'ns'),
      resource('external-secrets.io/v1beta1', 'ExternalSecret', 'b', { spec: {} }, 'ns'),
      resource('cert-manager.io/v1', 'Certificate', 'c', { spec: { secretName: 'c-tls' } }),
      resource('bitnami.com/v1alpha1', 'SealedSecret', 'd', {}),
      resource('networking.k8s.io/v1', 'Ingress', 'e', { metadata: { name: 'e', annotations: { 'cert-manager.io/cluster-issuer': 'le' } }, spec: { tls: [{ secretName: 'e-tls' }] } }),
      resource('example.com/v1', 'ExternalSecret', 'f', {}),
    ]).map((g) => `${g.namespace}/${g.name}`);
    expect(names).toEqual(['ns/a-target', 'ns/b', '/c-tls', '/d', '/e-tls']);
  });
});

describe('references without a kustomize engine', () => {
  it('counts what the configMapGenerator and secretGenerator of an unrendered overlay make as present', async () => {
    const root = path.resolve(import.meta.dirname, '..');
    const rule = allRules.find((candidate) => candidate.id === 'missing-reference')!;
    // The base's Deployment reads `worker-config` and `worker-secrets`, which its kustomization generates.
    const result = await audit({ cwd: root, paths: ['fixtures/missing-reference/kustomize'], rules: [rule], render: false });
    expect(result.errors).toEqual([]);
    expect(describeFindings(result.findings)).toEqual([]);
  });
});
