import { describe, expect, it } from 'vitest';
import type { Resource } from '../src/manifests/cluster-model.js';
import { matchesLabelSelector, servicesTargeting, workloadsSelectedBy } from '../src/manifests/selectors.js';

function resource(kind: string, name: string, object: Record<string, unknown>, namespace?: string): Resource {
  return {
    apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
    kind,
    name,
    ...(namespace === undefined ? {} : { namespace }),
    object: { kind, metadata: { name }, ...object },
    locate: () => ({ file: 'x.yaml', line: 1, column: 1, endLine: 1, endColumn: 2 }),
    schemaIssues: [],
  };
}

describe('label selectors', () => {
  const labels = { app: 'api', tier: 'web' };
  it.each([
    [{}, true],
    [{ matchLabels: { app: 'api' } }, true],
    [{ matchLabels: { app: 'worker' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'edge'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, false],
    [{ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, true],
    [{ matchExpressions: [{ key: 'canary', operator: 'Exists' }] }, false],
    [{ matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'Bogus' }] }, false],
    [undefined, false],
  ])('%j matches: %s', (selector, expected) => {
    expect(matchesLabelSelector(selector, labels)).toBe(expected);
  });

  it('links Services to the workloads whose pod templates they select, per namespace', () => {
    const api = resource('Deployment', 'api', { spec: { template: { metadata: { labels: { app: 'api' } }, spec: { containers: [] } } } }, 'prod');
    const worker = resource('Deployment', 'worker', { spec: { template: { metadata: { labels: { app: 'worker' } }, spec: { containers: [] } } } }, 'prod');
    const service = resource('Service', 'api', { spec: { selector: { app: 'api' } } }, 'prod');
    const otherNamespace = resource('Service', 'api', { spec: { selector: { app: 'api' } } }, 'staging');
    const manual = resource('Service', 'external-db', { spec: { ports: [{ port: 5432 }] } }, 'prod');
    const all = [api, worker, service, otherNamespace, manual];
    expect(workloadsSelectedBy(service, all).map((r) => r.name)).toEqual(['api']);
    expect(workloadsSelectedBy(manual, all)).toEqual([]);
    expect(servicesTargeting(api, all).map((r) => `${r.namespace}/${r.name}`)).toEqual(['prod/api']);
    expect(servicesTargeting(worker, all)).toEqual([]);
  });
});
