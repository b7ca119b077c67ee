import { defineManifestRule } from '../rule.js';

/** Kinds whose objects run pods: a finding on them names the workload in the report. */
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod', 'ReplicationController']);

export default defineManifestRule({
  id: 'schema',
  category: 'schema',
  severity: 'P0',
  effort: 'XS',
  docs: {
    summary: 'Object the Kubernetes API server rejects or warns about: wrong type, bad value, missing or unknown field, invalid label, API version removed in the target release, env var defined twice',
    why: 'The API server rejects the object, so `kubectl apply` fails and the rollout never starts; an API version the target release (`--kube-version`) no longer serves fails the same way after the cluster upgrade. Where an unknown field is let through (`--validate=false`, older clients, some CD tools) it is silently dropped, so the setting you wrote never takes effect. A deprecated API version (P2) still works until its removal release; an env var defined twice is accepted, but only the later definition takes effect.',
    fix: 'Correct the field at the reported line: use the type and spelling the Kubernetes API reference gives (quote nothing that must be a number, quote a string that looks like one), keep label keys and values to letters, digits, `-`, `_` and `.` (at most 63 characters), move to the API version the message names, keep one definition per env var, and re-run `kubectl apply --dry-run=server` to confirm.',
  },
  check({ cluster, report }) {
    for (const resource of cluster.resources) {
      const name = `${resource.kind}/${resource.name || '(unnamed)'}`;
      for (const issue of resource.schemaIssues) {
        report({
          location: resource.locate(issue.path),
          message: `${name}: ${issue.message}`,
          ...(issue.severity === undefined ? {} : { severity: issue.severity }),
          ...(WORKLOAD_KINDS.has(resource.kind) ? { workload: name } : {}),
        });
      }
    }
  },
});
