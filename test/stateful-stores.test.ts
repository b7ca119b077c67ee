// Which images are stores: the repository's last path segment decides, so registries, Bitnami
// and vendor paths are stores and the tools named after them are not.
import { describe, expect, it } from 'vitest';
import { commandWords, flagValue, storeForImage } from '../src/manifests/stateful-stores.js';

describe('storeForImage', () => {
  it.each([
    ['redis:7.4', 'redis'],
    ['bitnami/redis:7.2.5', 'redis'],
    ['docker.elastic.co/elasticsearch/elasticsearch:8.15.0', 'elasticsearch'],
    ['opensearchproject/opensearch:2.15.0', 'opensearch'],
    ['registry.internal:5000/mirror/postgres:16@sha256:abc', 'postgres'],
    ['bitnami/postgresql:16', 'postgres'],
    ['mongo', 'mongodb'],
    ['quay.io/minio/minio:RELEASE.2024-08-03T04-33-23Z', 'minio'],
    ['registry.k8s.io/etcd:3.5.15-0', 'etcd'],
    ['confluentinc/cp-kafka:7.7.0', 'kafka'],
    ['valkey/valkey:8.0', 'valkey'],
  ])('%s is %s', (image, id) => {
    expect(storeForImage(image)?.id).toBe(id);
  });

  it.each([
    'oliver006/redis_exporter:v1.62.0',
    'bitnami/redis-exporter:1.62.0',
    'quay.io/prometheuscommunity/postgres-exporter:v0.15.0',
    'bitnami/pgbouncer:1.23.1',
    'rediscommander/redis-commander:0.8.1',
    'myorg/redis-sync-service:2.3.0',
    'ghcr.io/acme/redis/api:1.0',
  ])('%s is not a store', (image) => {
    expect(storeForImage(image)).toBeUndefined();
  });
});

describe('command flags', () => {
  it('reads flags from args lists and from a shell line', () => {
    expect(flagValue(commandWords({ args: ['--appendonly', 'yes'] }), '--appendonly')).toBe('yes');
    expect(flagValue(commandWords({ args: ['--save', ''] }), '--save')).toBe('');
    expect(flagValue(commandWords({ command: ['sh', '-c', "redis-server --save '' --dir /cache"] }), '--save')).toBe('');
    expect(flagValue(commandWords({ command: ['etcd', '--data-dir=/var/lib/etcd'] }), '--data-dir')).toBe('/var/lib/etcd');
    expect(flagValue(commandWords({ args: ['--maxmemory', '256mb'] }), '--save')).toBeUndefined();
  });
});
