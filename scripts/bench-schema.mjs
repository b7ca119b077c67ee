// Throughput of offline schema validation (src/manifests/schema.ts, from dist/): the precompiled
// Ajv validators, the unknown-field walk with its label and env checks, and the removed-API
// table, over generated objects of varied kinds, about one in ten with a mistake.
//
//   npm run build && node scripts/bench-schema.mjs
//   node scripts/bench-schema.mjs --resources 50000 --runs 5
//
// Prints the cold pass (validator modules imported on first use) and the median of the warm
// passes, in resources per second. Budget: at least 5,000 resources/s cold on a 2-core machine.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { values } = parseArgs({ options: { resources: { type: 'string', default: '10000' }, runs: { type: 'string', default: '5' } } });
const count = Number(values.resources);
const runs = Number(values.runs);
const BUDGET = 5000;

const { validateResources } = await import(new URL('../dist/manifests/schema.js', import.meta.url).href);

const objects = [];
const make = [deployment, service, configMap, hpa, statefulSet, ingress, cronJob, pdb, legacyApi];
for (let index = 0; index < count; index++) objects.push(make[index % make.length](index));

// The objects are fresh each pass: validation must not profit from anything cached on them.
const resourcesOf = () =>
  structuredClone(objects).map((object) => ({
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    object,
    locate: () => ({ file: 'bench.yaml', line: 1, column: 1, endLine: 1, endColumn: 1 }),
    schemaIssues: [],
  }));

const passes = [];
let issues = 0;
for (let run = 0; run <= runs; run++) {
  const resources = resourcesOf();
  const start = performance.now();
  await validateResources(resources);
  passes.push(performance.now() - start);
  issues = resources.reduce((sum, resource) => sum + resource.schemaIssues.length, 0);
}
const [cold, ...warm] = passes;
const median = [...warm].sort((a, b) => a - b)[Math.floor(warm.length / 2)] ?? cold;
const rate = (ms) => Math.round((count / ms) * 1000);

console.log(`${count} resources (${make.length} kinds), ${issues} issues found per pass`);
console.log(`cold pass: ${cold.toFixed(0)} ms  ${rate(cold).toLocaleString('en')} resources/s`);
console.log(`warm passes (median of ${warm.length}): ${median.toFixed(0)} ms  ${rate(median).toLocaleString('en')} resources/s`);
console.log(rate(cold) >= BUDGET ? `within budget (>= ${BUDGET.toLocaleString('en')} resources/s)` : `OVER BUDGET: below ${BUDGET.toLocaleString('en')} resources/s`);
process.exitCode = rate(cold) >= BUDGET ? 0 : 1;

// ---------------------------------------------------------------------------------------------

function labels(index) {
  return { app: `svc-${index}`, 'app.kubernetes.io/name': `svc-${index}`, 'app.kubernetes.io/part-of': 'bench', ...(index % 50 === 0 ? { team: 'Payments & Billing' } : {}) };
}

function podSpec(index) {
  return {
    containers: [
      {
        name: 'app',
        image: `registry.example.com/svc-${index}:1.${index % 20}.0`,
        ...(index % 40 === 1 ? { imagePullpolicy: 'Always' } : { imagePullPolicy: 'IfNotPresent' }),
        ports: [{ containerPort: 8080, name: 'http' }],
        env: [
          { name: 'PORT', value: '8080' },
          { name: 'LOG_LEVEL', value: index % 3 === 0 ? 'debug' : 'info' },
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: `svc-${index}-db`, key: 'password' } } },
          ...(index % 60 === 2 ? [{ name: 'LOG_LEVEL', value: 'warn' }] : []),
        ],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: index % 70 === 3 ? 'lots' : '256Mi' } },
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 10 },
      },
    ],
  };
}

function deployment(index) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `svc-${index}`, namespace: 'bench', labels: labels(index) },
    spec: {
      replicas: index % 30 === 0 ? '3' : 2 + (index % 3),
      selector: { matchLabels: { app: `svc-${index}` } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: { metadata: { labels: labels(index) }, spec: podSpec(index) },
    },
  };
}

function statefulSet(index) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: `db-${index}`, labels: labels(index) },
    spec: {
      serviceName: `db-${index}`,
      replicas: 3,
      selector: { matchLabels: { app: `svc-${index}` } },
      template: { metadata: { labels: labels(index) }, spec: podSpec(index) },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } }],
    },
  };
}

function service(index) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${index}`, labels: labels(index) },
    spec: { type: 'ClusterIP', selector: { app: `svc-${index}` }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
}

function configMap(index) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `svc-${index}-config`, labels: labels(index) },
    data: { LOG_LEVEL: 'info', 'settings.json': JSON.stringify({ index, feature: index % 2 === 0 }) },
  };
}

function hpa(index) {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: `svc-${index}` },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `svc-${index}` },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
  };
}

function ingress(index) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: `svc-${index}`, annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' } },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [`svc-${index}.example.com`], secretName: `svc-${index}-tls` }],
      rules: [{ host: `svc-${index}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `svc-${index}`, port: { number: 80 } } } }] } }],
    },
  };
}

function cronJob(index) {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: `job-${index}` },
    spec: { schedule: '*/15 * * * *', jobTemplate: { spec: { backoffLimit: 2, template: { spec: { ...podSpec(index), restartPolicy: 'OnFailure' } } } } },
  };
}

function pdb(index) {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: `svc-${index}` },
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: `svc-${index}` } } },
  };
}

/** One kind in nine on an API version 1.33 no longer serves. */
function legacyApi(index) {
  const [apiVersion, kind] = [
    ['extensions/v1beta1', 'Ingress'],
    ['policy/v1beta1', 'PodDisruptionBudget'],
    ['autoscaling/v2beta2', 'HorizontalPodAutoscaler'],
    ['batch/v1beta1', 'CronJob'],
  ][index % 4];
  const current = { Ingress: ingress, PodDisruptionBudget: pdb, HorizontalPodAutoscaler: hpa, CronJob: cronJob }[kind](index);
  if (kind === 'Ingress') current.spec = { rules: [{ host: `svc-${index}.example.com`, http: { paths: [{ path: '/', backend: { serviceName: `svc-${index}`, servicePort: 80 } }] } }] };
  return { ...current, apiVersion };
}
