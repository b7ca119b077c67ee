// Which workloads run a data store, and how many members each has: by the image a StatefulSet or
// Deployment runs, or by the custom resource an operator turns into one. Recognising a store by
// the image repository's last path segment keeps `bitnami/redis` and
// `docker.elastic.co/elasticsearch/elasticsearch` in, and the tools that sit next to stores
// (`redis-exporter`, `pgbouncer`, `redis-commander`, `myorg/redis-sync-service`) out.
import type { FieldPath, Resource } from './cluster-model.js';
import { parseImageReference } from './image-reference.js';
import { podSpecs, type ContainerRef } from './pod-templates.js';
import { isRecord, valueAt } from './plain-data.js';

export interface StoreKind {
  id: 'elasticsearch' | 'opensearch' | 'redis' | 'valkey' | 'postgres' | 'mysql' | 'mariadb' | 'mongodb' | 'rabbitmq' | 'kafka' | 'zookeeper' | 'minio' | 'etcd' | 'nats';
  /** How messages name it: `Redis`, `PostgreSQL`. */
  label: string;
  /** Last path segments of the image repositories that run it. */
  repositories: readonly string[];
  /** Where the official and Bitnami images keep their data. */
  dataPaths: readonly string[];
}

export const STORES: readonly StoreKind[] = [
  { id: 'elasticsearch', label: 'Elasticsearch', repositories: ['elasticsearch'], dataPaths: ['/usr/share/elasticsearch/data', '/bitnami/elasticsearch'] },
  { id: 'opensearch', label: 'OpenSearch', repositories: ['opensearch'], dataPaths: ['/usr/share/opensearch/data', '/bitnami/opensearch'] },
  { id: 'redis', label: 'Redis', repositories: ['redis', 'redis-stack', 'redis-stack-server'], dataPaths: ['/data', '/bitnami/redis'] },
  { id: 'valkey', label: 'Valkey', repositories: ['valkey'], dataPaths: ['/data', '/bitnami/valkey'] },
  {
    id: 'postgres',
    label: 'PostgreSQL',
    repositories: ['postgres', 'postgresql', 'postgis', 'timescaledb', 'timescaledb-ha'],
    dataPaths: ['/var/lib/postgresql/data', '/bitnami/postgresql', '/home/postgres/pgdata'],
  },
  { id: 'mysql', label: 'MySQL', repositories: ['mysql', 'mysql-server', 'percona-server'], dataPaths: ['/var/lib/mysql', '/bitnami/mysql'] },
  { id: 'mariadb', label: 'MariaDB', repositories: ['mariadb'], dataPaths: ['/var/lib/mysql', '/bitnami/mariadb'] },
  {
    id: 'mongodb',
    label: 'MongoDB',
    repositories: ['mongo', 'mongodb', 'mongodb-community-server', 'percona-server-mongodb'],
    dataPaths: ['/data/db', '/bitnami/mongodb'],
  },
  { id: 'rabbitmq', label: 'RabbitMQ', repositories: ['rabbitmq'], dataPaths: ['/var/lib/rabbitmq', '/bitnami/rabbitmq'] },
  { id: 'kafka', label: 'Kafka', repositories: ['kafka', 'cp-kafka', 'cp-server'], dataPaths: ['/var/lib/kafka', '/bitnami/kafka', '/opt/kafka/data', '/tmp/kraft-combined-logs'] },
  { id: 'zookeeper', label: 'ZooKeeper', repositories: ['zookeeper', 'cp-zookeeper'], dataPaths: ['/data', '/datalog', '/var/lib/zookeeper', '/bitnami/zookeeper'] },
  { id: 'minio', label: 'MinIO', repositories: ['minio'], dataPaths: ['/data', '/export', '/bitnami/minio/data'] },
  { id: 'etcd', label: 'etcd', repositories: ['etcd'], dataPaths: ['/var/lib/etcd', '/etcd-data', '/bitnami/etcd'] },
  { id: 'nats', label: 'NATS', repositories: ['nats', 'nats-server'], dataPaths: ['/data', '/tmp/nats/jetstream'] },
];

/** The store an image runs, by its repository's last path segment: `bitnami/redis:7.2` → Redis. */
export function storeForImage(image: string): StoreKind | undefined {
  const { name } = parseImageReference(image);
  const repository = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  return STORES.find((store) => store.repositories.includes(repository));
}

/** The workload kinds a store runs as; a Job or CronJob with a `postgres` image is a `pg_dump`, not a store. */
const STORE_WORKLOAD_KINDS = new Set(['StatefulSet', 'Deployment']);

export interface StoreContainer extends ContainerRef {
  store: StoreKind;
}

/**
 * Every app container (not init container: `postgres` running `pg_isready` waits for a store,
 * it is not one) of a StatefulSet or Deployment whose image is a store.
 */
export function storeContainers(resources: readonly Resource[]): StoreContainer[] {
  const found: StoreContainer[] = [];
  for (const { resource, path, spec } of podSpecs(resources)) {
    if (!STORE_WORKLOAD_KINDS.has(resource.kind) || !resource.apiVersion.startsWith('apps/')) continue;
    const items = Array.isArray(spec.containers) ? spec.containers : [];
    items.forEach((container: unknown, index) => {
      if (!isRecord(container) || typeof container.image !== 'string') return;
      const store = storeForImage(container.image);
      if (store === undefined) return;
      const name = typeof container.name === 'string' ? container.name : `#${index}`;
      found.push({ resource, path: [...path, 'containers', index], container, name, store });
    });
  }
  return found;
}

/** One group of members that must survive together: an ECK cluster's nodes, one Percona replica set. */
export interface MemberGroup {
  /** How the message names the size: "`spec.instances`", "replica set `rs0` (`size`)". */
  label: string;
  /** Members, with the operator's default applied; undefined when it cannot be read. */
  size: number | undefined;
  /** Whether `size` is the operator's default because the field is unset. */
  defaulted: boolean;
  /** The field a person edits to change it. */
  path: FieldPath;
}

export interface OperatorStore {
  resource: Resource;
  store: StoreKind;
  /** `CloudNativePG \`Cluster\``. */
  operator: string;
  groups: MemberGroup[];
}

interface OperatorKind {
  group: string;
  kind: string;
  store: StoreKind['id'];
  operator: string;
  groups(object: Record<string, unknown>): MemberGroup[];
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** A single size field, with the operator's default when the field is unset (undefined: no default, or none known). */
function sizeField(object: Record<string, unknown>, path: FieldPath, fallback?: number): MemberGroup[] {
  const value = valueAt(object, path);
  const label = `\`${path.join('.')}\``;
  if (value === undefined) return [{ label, size: fallback, defaulted: fallback !== undefined, path }];
  return [{ label, size: count(value), defaulted: false, path }];
}

const OPERATOR_KINDS: readonly OperatorKind[] = [
  {
    group: 'elasticsearch.k8s.elastic.co',
    kind: 'Elasticsearch',
    store: 'elasticsearch',
    operator: 'ECK `Elasticsearch`',
    groups(object) {
      // Every nodeSet joins one cluster, so the members are the sum of the counts.
      const nodeSets = valueAt(object, ['spec', 'nodeSets']);
      if (!Array.isArray(nodeSets) || nodeSets.length === 0) return [];
      const counts = nodeSets.map((nodeSet) => count(valueAt(nodeSet, ['count'])));
      const size = counts.every((c) => c !== undefined) ? counts.reduce<number>((sum, c) => sum + (c ?? 0), 0) : undefined;
      const index = Math.max(0, counts.findIndex((c) => c !== undefined && c > 0));
      const label = nodeSets.length === 1 ? '`spec.nodeSets[0].count`' : `\`spec.nodeSets[].count\` summed over ${nodeSets.length} nodeSets`;
      return [{ label, size, defaulted: false, path: ['spec', 'nodeSets', index, 'count'] }];
    },
  },
  {
    group: 'postgresql.cnpg.io',
    kind: 'Cluster',
    store: 'postgres',
    operator: 'CloudNativePG `Cluster`',
    groups: (object) => sizeField(object, ['spec', 'instances'], 1),
  },
  {
    group: 'databases.spotahome.com',
    kind: 'RedisFailover',
    store: 'redis',
    operator: 'spotahome `RedisFailover`',
    groups: (object) => sizeField(object, ['spec', 'redis', 'replicas'], 3),
  },
  {
    group: 'psmdb.percona.com',
    kind: 'PerconaServerMongoDB',
    store: 'mongodb',
    operator: 'Percona `PerconaServerMongoDB`',
    groups(object) {
      // Each replica set (each shard, when sharded) fails over on its own.
      const replsets = valueAt(object, ['spec', 'replsets']);
      if (!Array.isArray(replsets)) return [];
      return replsets.map((replset: unknown, index) => {
        const name = isRecord(replset) && typeof replset.name === 'string' ? replset.name : `#${index}`;
        return { label: `replica set \`${name}\` (\`size\`)`, size: count(valueAt(replset, ['size'])), defaulted: false, path: ['spec', 'replsets', index, 'size'] };
      });
    },
  },
  {
    group: 'kafka.strimzi.io',
    kind: 'Kafka',
    store: 'kafka',
    operator: 'Strimzi `Kafka`',
    // Unset when the brokers come from KafkaNodePools: nothing to read here.
    groups: (object) => sizeField(object, ['spec', 'kafka', 'replicas']),
  },
  {
    group: 'acid.zalan.do',
    kind: 'postgresql',
    store: 'postgres',
    operator: 'Zalando `postgresql`',
    groups: (object) => sizeField(object, ['spec', 'numberOfInstances']),
  },
];

/** The store custom resources of the operators k8s-audit knows, with the member counts they ask for. */
export function operatorStores(resources: readonly Resource[]): OperatorStore[] {
  const found: OperatorStore[] = [];
  for (const resource of resources) {
    const group = resource.apiVersion.split('/')[0];
    const kind = OPERATOR_KINDS.find((candidate) => candidate.group === group && candidate.kind === resource.kind);
    if (kind === undefined) continue;
    const store = STORES.find((candidate) => candidate.id === kind.store)!;
    found.push({ resource, store, operator: kind.operator, groups: kind.groups(resource.object) });
  }
  return found;
}

/** The words of a container's `command` and `args`, a `sh -c` script split on blanks. */
export function commandWords(container: Record<string, unknown>): string[] {
  const words: string[] = [];
  for (const field of ['command', 'args']) {
    const value = container[field];
    if (!Array.isArray(value)) continue;
    for (const item of value) {
      if (typeof item !== 'string') continue;
      if (/\s/.test(item.trim())) words.push(...item.trim().split(/\s+/));
      else words.push(item);
    }
  }
  return words;
}

/** The value after `--flag` (or in `--flag=value`), quotes removed; undefined when the flag is absent. */
export function flagValue(words: readonly string[], flag: string): string | undefined {
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index]!;
    if (word === flag) return unquote(words[index + 1] ?? '');
    if (word.startsWith(`${flag}=`)) return unquote(word.slice(flag.length + 1));
  }
  return undefined;
}

function unquote(word: string): string {
  return word.replace(/^(["'])(.*)\1$/, '$2');
}
