import { parse as parseYaml } from 'yaml';
import type { FieldPath, ManifestSet, Resource } from '../manifests/cluster-model.js';
import { workloadName } from '../manifests/pod-templates.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { operatorStores, storeContainers, type StoreKind } from '../manifests/stateful-stores.js';
import type { Level } from '../findings.js';
import { defineManifestRule } from '../rule.js';

/** What one member means for each store, in its own terms. */
const NO_FAILOVER: Record<StoreKind['id'], string> = {
  elasticsearch: 'replica shards have nowhere to go, so the cluster is yellow at best, and every restart or node drain takes search and indexing down until the node has recovered its shards',
  opensearch: 'replica shards have nowhere to go, so the cluster is yellow at best, and every restart or node drain takes search and indexing down until the node has recovered its shards',
  redis: 'there is no replica to fail over to, so every restart or node drain is downtime for everything that reads it (caches, sessions, queues), and a lost node waits for a reschedule and a full dataset reload',
  valkey: 'there is no replica to fail over to, so every restart or node drain is downtime for everything that reads it (caches, sessions, queues), and a lost node waits for a reschedule and a full dataset reload',
  postgres: 'there is no standby to promote, so every restart, node drain or minor upgrade is downtime for every service that queries it',
  mysql: 'there is no replica to promote, so every restart, node drain or minor upgrade is downtime for every service that queries it',
  mariadb: 'there is no replica to promote, so every restart, node drain or minor upgrade is downtime for every service that queries it',
  mongodb: 'a one-member replica set has no secondary to elect, so every restart or node drain is downtime for every reader and writer',
  rabbitmq: 'there is no other node for quorum queues, so every restart or node drain stops publishing and consuming, and in-flight messages wait for the node to come back',
  kafka: 'with one broker no partition can have a second replica, so every restart or node drain takes every partition offline for producers and consumers',
  zookeeper: 'an ensemble of one has no quorum to keep, so every restart or node drain stops everything that coordinates through it',
  minio: 'one server has no peers to serve objects from, so every restart or node drain makes every bucket unavailable',
  etcd: 'a one-member cluster has no peer to keep quorum, so every restart or node drain stops every write and watch',
  nats: 'there is no other server to reconnect to, so every restart or node drain disconnects every publisher and subscriber and stops JetStream streams',
};

const SINGLE_NODE =
  'the node elects itself master and never discovers peers, so it cannot form a cluster with more nodes: raising the node count gives separate one-node clusters, each with its own copy of the indices, and growing it means restarting it with real discovery settings and re-indexing whatever those copies took in; until then every restart or node drain is search and indexing downtime';

function level(set: ManifestSet): Level {
  return set.production ? 'P0' : 'P1';
}

function productionNote(set: ManifestSet): string {
  return set.production ? '; P0 because this overlay deploys to production' : '';
}

interface SingleNodeSetting {
  path: FieldPath;
  /** Where it is set: "env var `discovery.type` of container `es`". */
  where: string;
  /** The resource that holds the setting (a ConfigMap, or the workload itself). */
  holder: Resource;
}

const DISCOVERY_ENV_NAMES = new Set(['discovery.type', 'ES_SETTING_DISCOVERY_TYPE', 'OPENSEARCH_DISCOVERY_TYPE']);

/** `discovery.type: single-node` in an `elasticsearch.yml` text or a parsed config map (dotted or nested keys). */
function configSaysSingleNode(config: unknown): boolean {
  if (!isRecord(config)) return false;
  return config['discovery.type'] === 'single-node' || valueAt(config, ['discovery', 'type']) === 'single-node';
}

function parsedConfig(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return parseYaml(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Where an Elasticsearch or OpenSearch workload's pods are told to run as a one-node cluster. */
function singleNodeSettings(set: ManifestSet, resource: Resource, containerPath: FieldPath, container: Record<string, unknown>, name: string): SingleNodeSetting[] {
  const found: SingleNodeSetting[] = [];
  const env = Array.isArray(container.env) ? container.env : [];
  env.forEach((variable: unknown, index) => {
    if (!isRecord(variable) || typeof variable.name !== 'string' || !DISCOVERY_ENV_NAMES.has(variable.name) || variable.value !== 'single-node') return;
    found.push({ path: [...containerPath, 'env', index, 'value'], where: `env var \`${variable.name}\` of container \`${name}\``, holder: resource });
  });
  // A mounted elasticsearch.yml / opensearch.yml from a ConfigMap in the same set.
  const volumes = valueAt(resource.object, [...containerPath.slice(0, -2), 'volumes']);
  for (const volume of Array.isArray(volumes) ? volumes : []) {
    const configMapName = valueAt(volume, ['configMap', 'name']);
    if (typeof configMapName !== 'string') continue;
    const configMap = set.resources.find(
      (candidate) => candidate.kind === 'ConfigMap' && candidate.name === configMapName && (candidate.namespace ?? '') === (resource.namespace ?? ''),
    );
    const data = configMap === undefined ? undefined : valueAt(configMap.object, ['data']);
    if (configMap === undefined || !isRecord(data)) continue;
    for (const key of ['elasticsearch.yml', 'opensearch.yml']) {
      if (configSaysSingleNode(parsedConfig(data[key]))) {
        found.push({ path: ['data', key], where: `\`${key}\` in ConfigMap \`${configMapName}\``, holder: configMap });
      }
    }
  }
  return found;
}

export default defineManifestRule({
  id: 'stateful-single-replica',
  category: 'stateful-single-replica',
  severity: 'P1',
  effort: 'M',
  docs: {
    summary: 'Data store with a single member, or Elasticsearch in `single-node` discovery',
    why: 'A store with one replica has nothing to fail over to: every restart, rolling update or node drain is downtime for every service that reads it. Elasticsearch with `discovery.type: single-node` cannot grow into a cluster at all. In a production overlay this is P0.',
    fix: 'Run the store as a replicated cluster (an operator such as CloudNativePG, ECK or the Redis/MongoDB operators with 3 members, or a managed service), with a PodDisruptionBudget; for Elasticsearch drop `discovery.type: single-node` and set `discovery.seed_hosts` / `cluster.initial_master_nodes`.',
  },
  check({ cluster: set, report }) {
    const reported = new Set<Resource>();
    for (const { resource, path, container, name, store } of storeContainers(set.resources)) {
      const workload = workloadName(resource);
      const image = String(container.image);
      const replicas = valueAt(resource.object, ['spec', 'replicas']);
      if (store.id === 'elasticsearch' || store.id === 'opensearch') {
        for (const setting of singleNodeSettings(set, resource, path, container, name)) {
          const scaled =
            typeof replicas === 'number' && replicas > 1
              ? `; with \`replicas: ${replicas}\` each pod is already its own one-node cluster, and the Service spreads reads and writes over ${replicas} unrelated copies of the data`
              : '';
          report({
            location: setting.holder.locate(setting.path),
            message: `${workload} runs ${store.label} (\`${image}\`) with \`discovery.type: single-node\` (${setting.where}): ${SINGLE_NODE}${scaled}${productionNote(set)}`,
            severity: level(set),
            workload,
          });
        }
      }
      // One finding per workload, for its first store container.
      if (reported.has(resource)) continue;
      reported.add(resource);
      if (replicas !== undefined && replicas !== 1) continue;
      const size = replicas === undefined ? '`replicas` unset, so a single replica' : 'a single replica (`replicas: 1`)';
      report({
        location: resource.locate(['spec', 'replicas']),
        message: `${workload} runs ${store.label} (\`${image}\`) with ${size}: ${NO_FAILOVER[store.id]}${productionNote(set)}`,
        severity: level(set),
        workload,
      });
    }

    for (const { resource, store, operator, groups } of operatorStores(set.resources)) {
      const name = `${operator} \`${resource.name}\``;
      for (const group of groups) {
        if (group.size !== 1) continue;
        const size = group.defaulted ? `${group.label} unset, so the operator's default of 1 member` : `${group.label} = 1`;
        report({
          location: resource.locate(group.path),
          message: `${name} (${store.label}) has ${size}: ${NO_FAILOVER[store.id]}${productionNote(set)}`,
          severity: level(set),
          workload: `${resource.kind}/${resource.name}`,
        });
      }
      if (store.id !== 'elasticsearch') continue;
      const nodeSets = valueAt(resource.object, ['spec', 'nodeSets']);
      (Array.isArray(nodeSets) ? nodeSets : []).forEach((nodeSet: unknown, index) => {
        const config = valueAt(nodeSet, ['config']);
        if (!configSaysSingleNode(config)) return;
        const key = isRecord(config) && config['discovery.type'] !== undefined ? ['discovery.type'] : ['discovery', 'type'];
        const nodeSetName = valueAt(nodeSet, ['name']);
        report({
          location: resource.locate(['spec', 'nodeSets', index, 'config', ...key]),
          message: `${name} sets \`discovery.type: single-node\` in the config of nodeSet \`${typeof nodeSetName === 'string' ? nodeSetName : `#${index}`}\`: ${SINGLE_NODE}${productionNote(set)}`,
          severity: level(set),
          workload: `${resource.kind}/${resource.name}`,
        });
      });
    }
  },
});
