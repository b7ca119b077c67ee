// The cluster model on a small kustomize tree written to a temp folder: which line each field
// of a rendered object points at, what a failing overlay does, and how plain files load.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClusterModel } from '../src/manifests/build-cluster-model.js';
import { findKustomizeEngine } from '../src/manifests/kustomize.js';
import type { ClusterModel, Resource } from '../src/manifests/cluster-model.js';
import type { AuditError } from '../src/findings.js';
import { valueAt } from '../src/manifests/plain-data.js';

const FILES: Record<string, string> = {
  'app/base/kustomization.yaml': `resources:
  - deploy.yaml
  - service.yaml
configMapGenerator:
  - name: api-env
    literals: [LOG_FORMAT=json]
`,
  'app/base/deploy.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api}
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: sidecar
          image: registry.example.com/proxy:1.0
        - name: api
          image: registry.example.com/api:1.0
          env:
            - name: LOG_LEVEL
              value: info
          ports:
            - containerPort: 8080
`,
  'app/base/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports:
    - port: 80
      targetPort: 8080
`,
  'app/overlays/prod/kustomization.yaml': `resources:
  - ../../base
namePrefix: prod-
namespace: shop
patches:
  - path: api-patch.yaml
  - target:
      kind: Service
      name: api
    patch: |-
      - op: replace
        path: /spec/ports/0/port
        value: 443
  - patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: api
      spec:
        minReadySeconds: 5
images:
  - name: registry.example.com/api
    newTag: "2.0"
`,
  'app/overlays/prod/api-patch.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: api
          env:
            - name: FEATURE_X
              value: "on"
`,
  'app/overlays/staging/kustomization.yaml': `resources:
  - ../../base
replicas:
  - name: api
    count: 2
patchesJson6902:
  - target: {group: apps, version: v1, kind: Deployment, name: api}
    path: ops.yaml
commonLabels:
  env: staging
`,
  'app/overlays/staging/ops.yaml': `- op: add
  path: /spec/template/spec/containers/1/resources
  value:
    limits:
      memory: 256Mi
`,
  'app/overlays/broken/kustomization.yaml': `resources:
  - ../../base
  - missing.yaml
`,
  'plain/cronjob.yaml': `# not part of any kustomization
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: job
              image: registry.example.com/job:1.0
`,
  'plain/broken.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  name: b
`,
  'chart/Chart.yaml': `apiVersion: v2
name: chart
version: 0.1.0
`,
  'chart/templates/deploy.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
`,
};

let cwd: string;
let cluster: ClusterModel;
let errors: AuditError[];

beforeAll(async () => {
  cwd = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-origin-'));
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(cwd, file)), { recursive: true });
    writeFileSync(path.join(cwd, file), text);
  }
  const yamlFiles = Object.keys(FILES).filter((file) => !file.endsWith('kustomization.yaml')).sort();
  const kustomizationDirs = ['app/base', 'app/overlays/broken', 'app/overlays/prod', 'app/overlays/staging'];
  ({ cluster, errors } = await buildClusterModel({ cwd, yamlFiles, kustomizationDirs, render: true }));
});

afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function find(source: string, kind: string): Resource {
  const set = cluster.sets.find((candidate) => candidate.source === source);
  const resource = set?.resources.find((candidate) => candidate.kind === kind);
  if (resource === undefined) throw new Error(`no ${kind} in ${source}`);
  return resource;
}

/** The path of a container by name: strategic merge moves patched items first, so indexes differ from the base. */
function container(resource: Resource, name: string): (string | number)[] {
  const containers = (resource.object as { spec: { template: { spec: { containers: { name: string }[] } } } }).spec.template.spec.containers;
  const index = containers.findIndex((item) => item.name === name);
  expect(index).toBeGreaterThanOrEqual(0);
  return ['spec', 'template', 'spec', 'containers', index];
}

describe('origin map of a rendered overlay', () => {
  it('points a strategic-merge-patched field at the patch line', () => {
    const deployment = find('app/overlays/prod', 'Deployment');
    expect(deployment.object).toMatchObject({ spec: { replicas: 3 } });
    expect(deployment.locate(['spec', 'replicas'])).toEqual({ file: 'app/overlays/prod/api-patch.yaml', line: 6, column: 3, endLine: 6, endColumn: 14 });
  });

  it('maps list items by merge key: an env var the patch adds points at the patch, one from the base at the base', () => {
    const deployment = find('app/overlays/prod', 'Deployment');
    const api = container(deployment, 'api');
    const env = (deployment.object as { spec: { template: { spec: { containers: { name: string; env: { name: string }[] }[] } } } }).spec.template.spec.containers.find((item) => item.name === 'api')!.env;
    const feature = env.findIndex((item) => item.name === 'FEATURE_X');
    const logLevel = env.findIndex((item) => item.name === 'LOG_LEVEL');
    expect(deployment.locate([...api, 'env', feature, 'value'])).toMatchObject({ file: 'app/overlays/prod/api-patch.yaml', line: 13 });
    expect(deployment.locate([...api, 'env', logLevel, 'value'])).toMatchObject({ file: 'app/base/deploy.yaml', line: 21 });
  });

  it('points an image set by `images:` at the newTag line of the kustomization', () => {
    const deployment = find('app/overlays/prod', 'Deployment');
    expect(deployment.locate([...container(deployment, 'api'), 'image'])).toMatchObject({ file: 'app/overlays/prod/kustomization.yaml', line: 23 });
    // The sidecar's image is not matched by the entry: its base line.
    expect(deployment.locate([...container(deployment, 'sidecar'), 'image'])).toMatchObject({ file: 'app/base/deploy.yaml', line: 16 });
  });

  it('points an unpatched field at the base line, and a missing field at its nearest ancestor', () => {
    const deployment = find('app/overlays/prod', 'Deployment');
    const api = container(deployment, 'api');
    expect(deployment.locate([...api, 'ports', 0, 'containerPort'])).toMatchObject({ file: 'app/base/deploy.yaml', line: 23 });
    expect(deployment.locate([...api, 'resources', 'limits'])).toMatchObject({ file: 'app/base/deploy.yaml', line: 17 });
  });

  it('points inline patches at their lines inside the kustomization', () => {
    expect(find('app/overlays/prod', 'Deployment').locate(['spec', 'minReadySeconds'])).toMatchObject({
      file: 'app/overlays/prod/kustomization.yaml',
      line: 20,
      column: 9,
    });
    expect(find('app/overlays/prod', 'Service').locate(['spec', 'ports', 0, 'port'])).toMatchObject({ file: 'app/overlays/prod/kustomization.yaml', line: 13 });
  });

  it('points the name at namePrefix and the namespace at namespace', () => {
    const deployment = find('app/overlays/prod', 'Deployment');
    expect(deployment.name).toBe('prod-api');
    expect(deployment.namespace).toBe('shop');
    expect(deployment.locate(['metadata', 'name'])).toMatchObject({ file: 'app/overlays/prod/kustomization.yaml', line: 3 });
    expect(deployment.locate(['metadata', 'namespace'])).toMatchObject({ file: 'app/overlays/prod/kustomization.yaml', line: 4 });
  });

  it('points `replicas:` entries and JSON 6902 operations at their lines', () => {
    const deployment = find('app/overlays/staging', 'Deployment');
    expect(deployment.locate(['spec', 'replicas'])).toMatchObject({ file: 'app/overlays/staging/kustomization.yaml', line: 5 });
    expect(deployment.locate([...container(deployment, 'api'), 'resources', 'limits', 'memory'])).toMatchObject({ file: 'app/overlays/staging/ops.yaml', line: 5 });
  });

  it('points labels set by commonLabels at the label line, wherever kustomize copies them', () => {
    const deployment = find('app/overlays/staging', 'Deployment');
    expect(deployment.locate(['metadata', 'labels', 'env'])).toMatchObject({ file: 'app/overlays/staging/kustomization.yaml', line: 10 });
    expect(deployment.locate(['spec', 'template', 'metadata', 'labels', 'env'])).toMatchObject({ file: 'app/overlays/staging/kustomization.yaml', line: 10 });
    expect(deployment.locate(['metadata', 'labels', 'app'])).toMatchObject({ file: 'app/base/deploy.yaml', line: 5 });
  });

  it('points a generated object at its generator entry', () => {
    const configMap = find('app/overlays/prod', 'ConfigMap');
    expect(configMap.name).toMatch(/^prod-api-env-/);
    expect(configMap.locate(['data', 'LOG_FORMAT'])).toMatchObject({ file: 'app/base/kustomization.yaml', line: 5 });
  });

  it('strips the build annotations from objects and rendered YAML', () => {
    const set = cluster.sets.find((candidate) => candidate.source === 'app/overlays/prod');
    expect(set?.renderer).toMatch(/kustomize/);
    expect(set?.production).toBe(true);
    expect(set?.renderedYaml).not.toMatch(/config\.kubernetes\.io/);
    expect(set?.renderedYaml).not.toMatch(/annotations/);
    expect(find('app/overlays/prod', 'Deployment').object).not.toHaveProperty(['metadata', 'annotations']);
  });
});

describe('cluster model', () => {
  it('reports a failing overlay and still renders the others', () => {
    expect(cluster.sets.map((set) => set.source)).toEqual(['app/overlays/prod', 'app/overlays/staging', 'plain manifests']);
    const broken = errors.find((error) => error.file === 'app/overlays/broken');
    expect(broken?.message).toMatch(/^kustomize build failed: .*missing\.yaml/);
    expect(broken?.message).not.toMatch(/k8s-audit-|\/tmp\//);
  });

  it('audits plain files in place, and reports parse errors with their line and Helm templates as such', () => {
    const plain = cluster.sets.find((set) => set.kind === 'plain');
    // The broken overlay's base is covered by the rendered ones; patches are never plain.
    expect(plain?.resources.map((resource) => `${resource.kind}/${resource.name}`)).toEqual(['CronJob/nightly']);
    expect(find('plain manifests', 'CronJob').locate(['spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers', 0, 'image'])).toEqual({
      file: 'plain/cronjob.yaml',
      line: 15,
      column: 15,
      endLine: 15,
      endColumn: 50,
    });
    expect(errors.filter((error) => error.file !== 'app/overlays/broken')).toEqual([
      { file: 'chart/templates/deploy.yaml', message: 'Helm template: not rendered' },
      { file: 'plain/broken.yaml', message: expect.stringMatching(/^YAML parse error: line 5: .*unique/i) },
    ]);
  });

  it('finds no engine on an empty PATH', async () => {
    expect(await findKustomizeEngine({ PATH: '' })).toBeUndefined();
    expect(await findKustomizeEngine()).toMatchObject({ label: expect.stringMatching(/^(kustomize build|kubectl kustomize)$/) });
  });

  it('audits the resource files of unrendered overlays as plain manifests', async () => {
    const yamlFiles = Object.keys(FILES).filter((file) => file.startsWith('app/') && !file.endsWith('kustomization.yaml'));
    const kustomizationDirs = ['app/base', 'app/overlays/prod'];
    const result = await buildClusterModel({ cwd, yamlFiles, kustomizationDirs, render: false });
    expect(result.cluster.unrendered).toEqual([{ source: 'app/overlays/prod', reason: 'rendering turned off (--no-render)' }]);
    const plain = result.cluster.sets.find((set) => set.kind === 'plain');
    expect(plain?.resources.map((resource) => `${resource.kind}/${resource.name}`)).toEqual(['Deployment/api', 'Service/api']);
    // The base's configMapGenerator makes `api-env`: known by name and literal keys, pointing at the generator entry.
    expect(plain?.generatorOutputs).toEqual([
      {
        kind: 'ConfigMap',
        name: 'api-env',
        location: { file: 'app/base/kustomization.yaml', line: 5, column: 5, endLine: 6, endColumn: 32 },
        literals: [{ key: 'LOG_FORMAT', value: 'json', location: { file: 'app/base/kustomization.yaml', line: 6, column: 16, endLine: 6, endColumn: 31 } }],
        literalsOnly: true,
      },
    ]);
    expect(result.errors).toEqual([]);
  });

  it('gives overlays the generated objects themselves, not names', () => {
    const prod = cluster.sets.find((set) => set.source === 'app/overlays/prod');
    expect(prod?.generatorOutputs).toEqual([]);
    expect(prod?.resources.some((resource) => resource.kind === 'ConfigMap' && resource.name.startsWith('prod-api-env-'))).toBe(true);
  });

  it('reads the strategic-merge patches behind a rendered object, in the order kustomize applied them', () => {
    const api = cluster.sets.find((set) => set.source === 'app/overlays/prod')?.resources.find((resource) => resource.kind === 'Deployment');
    const history = api?.mergeHistory?.();
    expect(history?.base?.metadata).toEqual({ name: 'api', labels: { app: 'api' } });
    // api-patch.yaml, then the inline one; the JSON6902 patch on the Service is neither a merge nor on this object.
    expect(history?.patches.map((patch) => Object.keys(valueAt(patch.data, ['spec']) as object))).toEqual([['replicas', 'template'], ['minReadySeconds']]);
    expect(history?.patches[0]?.locate(['spec', 'template', 'spec', 'containers', 0, 'env'])).toMatchObject({ file: 'app/overlays/prod/api-patch.yaml', line: 11 });
    expect(history?.patches[1]?.locate(['spec', 'minReadySeconds'])).toMatchObject({ file: 'app/overlays/prod/kustomization.yaml' });
    expect(history?.patches[0]?.locate(['spec', 'selector'])).toBeUndefined();
  });
});
