import type { FieldPath, Resource } from '../manifests/cluster-model.js';
import { autoscalerMaxReplicas, autoscalerMinReplicas, autoscalersTargeting } from '../manifests/autoscaling.js';
import { podSpecs, workloadName } from '../manifests/pod-templates.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { storeContainers } from '../manifests/stateful-stores.js';
import { matchesLabelSelector, podTemplateLabels, servicesTargeting } from '../manifests/selectors.js';
import { defineManifestRule } from '../rule.js';

/** Workloads with a `spec.replicas` a PDB and an HPA act on. */
const SCALABLE_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

const REPLICAS: FieldPath = ['spec', 'replicas'];

/** `spec.replicas` as written, or undefined when unset (the API server then defaults to 1). */
function declaredReplicas(workload: Resource): number | undefined {
  const value = valueAt(workload.object, REPLICAS);
  return typeof value === 'number' ? value : undefined;
}

/**
 * An int-or-percent scaled the way the disruption controller and the API server's validation do:
 * percentages of `total` rounded up; `undefined` when the value is not readable.
 */
function scaled(value: unknown, total: number): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const percent = /^(\d+)%$/.exec(value);
  if (percent !== null) return Math.ceil((Number(percent[1]) * total) / 100);
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/** `getIntOrPercentValue` of the validation code: the number, with or without `%`. */
function intOrPercentValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+)%?$/.exec(value);
  return match === null ? undefined : Number(match[1]);
}

function mountsClaim(workload: Resource): boolean {
  if (workload.kind === 'StatefulSet' && Array.isArray(valueAt(workload.object, ['spec', 'volumeClaimTemplates']))) return true;
  return podSpecs([workload]).some(({ spec }) => Array.isArray(spec.volumes) && spec.volumes.some((volume) => isRecord(volume) && isRecord(volume.persistentVolumeClaim)));
}

function names(resources: readonly Resource[]): string {
  return resources.map(workloadName).join(', ');
}

export default defineManifestRule({
  id: 'availability',
  category: 'availability',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Replica count, rollout strategy or disruption budget that takes a workload down',
    why: 'One replica behind a Service is an outage on every drain, eviction and rollout; a fixed `replicas` next to an HPA is reset on every apply; a PodDisruptionBudget that allows no eviction hangs node drains and upgrades; a rolling update that may neither add nor remove a pod is rejected; `Recreate` stops every pod before starting the new ones.',
    fix: 'In production run at least 2 replicas (or an HPA with `minReplicas: 2`) of anything a Service sends traffic to, with a PDB allowing one disruption (`maxUnavailable: 1`); drop `replicas` from workloads an HPA scales; use `RollingUpdate` with `maxUnavailable: 0` and `maxSurge: 1`. A stateful store needs its own replication (or a managed service), not more copies of one pod.',
  },
  check({ cluster, report }) {
    const { resources } = cluster;
    const workloads = podSpecs(resources).map(({ resource }) => resource);
    const budgets = resources.filter((r) => r.kind === 'PodDisruptionBudget' && r.apiVersion.startsWith('policy/'));

    for (const workload of workloads) {
      const name = workloadName(workload);
      const replicas = declaredReplicas(workload);
      // `replicas: 0` is a workload parked on purpose: nothing runs, nothing to judge.
      if (replicas === 0) continue;
      const hpas = SCALABLE_KINDS.has(workload.kind) ? autoscalersTargeting(workload, resources) : [];
      const services = servicesTargeting(workload, resources);

      // A single data store is stateful-single-replica's finding: more copies of it are not the fix.
      const singleServing = workload.kind === 'Deployment' && services.length > 0 && hpas.length === 0 && (replicas ?? 1) === 1;
      if (singleServing && cluster.production && storeContainers([workload]).length === 0) {
        report({
          location: workload.locate(REPLICAS),
          message: `${name} runs a single pod (${replicas === undefined ? '`replicas` unset, so 1' : '`replicas: 1`'}) behind ${names(services)} in a production overlay, with no HPA: every node drain, eviction, crash and rollout leaves the Service without a ready endpoint until the replacement is ready`,
          severity: 'P1',
          workload: name,
        });
      }

      if (replicas !== undefined && hpas.length > 0) {
        report({
          location: workload.locate(REPLICAS),
          message: `${name} sets \`replicas: ${replicas}\` while ${names(hpas)} scales it: every apply resets the pod count to ${replicas}, dropping the pods the HPA added for load (or adding pods it removed) until it scales again`,
          severity: 'P2',
          workload: name,
        });
      }

      if (workload.kind === 'Deployment' || workload.kind === 'DaemonSet') {
        // Deployment defaults: maxSurge 25%, maxUnavailable 25%; DaemonSet: maxSurge 0, maxUnavailable 1.
        const strategyPath: FieldPath = workload.kind === 'Deployment' ? ['spec', 'strategy'] : ['spec', 'updateStrategy'];
        const strategy = valueAt(workload.object, strategyPath);
        const rolling = isRecord(strategy) && (strategy.type ?? 'RollingUpdate') === 'RollingUpdate' && isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : undefined;
        if (rolling !== undefined) {
          const surge = rolling.maxSurge ?? (workload.kind === 'Deployment' ? '25%' : 0);
          const unavailable = rolling.maxUnavailable ?? (workload.kind === 'Deployment' ? '25%' : 1);
          if (intOrPercentValue(surge) === 0 && intOrPercentValue(unavailable) === 0) {
            const apiError =
              workload.kind === 'Deployment'
                ? 'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0'
                : 'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0';
            const written = (field: string, value: unknown) => (rolling[field] === undefined ? `\`${field}\` ${String(value)} (the default)` : `\`${field}: ${String(value)}\``);
            report({
              location: workload.locate([...strategyPath, 'rollingUpdate', 'maxUnavailable']),
              message: `${name} has ${written('maxSurge', surge)} and ${written('maxUnavailable', unavailable)}: a rollout could neither add a new pod nor remove an old one, so the API server rejects the object ("${apiError}") and \`kubectl apply\` fails: no change to ${name} reaches the cluster`,
              severity: 'P0',
              workload: name,
            });
          }
        }
      }

      // Recreate is the right choice for a pod that holds a ReadWriteOnce claim (two pods cannot mount it at once).
      if (workload.kind === 'Deployment' && services.length > 0 && valueAt(workload.object, ['spec', 'strategy', 'type']) === 'Recreate' && !mountsClaim(workload)) {
        report({
          location: workload.locate(['spec', 'strategy', 'type']),
          message: `${name} uses \`strategy: Recreate\` while ${names(services)} sends it traffic: every rollout stops all old pods before starting new ones, so the Service has no endpoint until the new pods are ready`,
          severity: 'P2',
          workload: name,
        });
      }

      if (!SCALABLE_KINDS.has(workload.kind)) continue;
      const labels = podTemplateLabels(workload);
      const covering = budgets.filter(
        (pdb) => (pdb.namespace ?? '') === (workload.namespace ?? '') && matchesLabelSelector(valueAt(pdb.object, ['spec', 'selector']), labels),
      );
      const maxPods = Math.max(replicas ?? 1, ...hpas.map((hpa) => autoscalerMaxReplicas(hpa) ?? 1));
      if (covering.length === 0 && maxPods >= 2) {
        const count = hpas.length > 0 ? `up to ${maxPods} pods (${names(hpas)})` : `${maxPods} replicas`;
        report({
          location: workload.locate(REPLICAS),
          message: `${name} runs ${count} and no PodDisruptionBudget selects its pods: a node drain or cluster-autoscaler scale-down may evict all of them at once`,
          severity: 'P2',
          workload: name,
        });
      }
    }

    // A PDB is judged against every workload it selects: the disruption controller counts their pods together.
    for (const pdb of budgets) {
      const selector = valueAt(pdb.object, ['spec', 'selector']);
      const selected = workloads.filter(
        (w) => SCALABLE_KINDS.has(w.kind) && (pdb.namespace ?? '') === (w.namespace ?? '') && matchesLabelSelector(selector, podTemplateLabels(w)),
      );
      if (selected.length === 0 || selected.some((w) => declaredReplicas(w) === 0)) continue;
      // The fewest pods they run: the HPA's floor when one scales the workload.
      const floors = selected.map((w) => {
        const hpas = autoscalersTargeting(w, resources);
        return hpas.length > 0 ? Math.min(...hpas.map(autoscalerMinReplicas)) : (declaredReplicas(w) ?? 1);
      });
      const pods = floors.reduce((sum, floor) => sum + floor, 0);
      const scaledBy = selected.some((w) => autoscalersTargeting(w, resources).length > 0) ? ' at its HPA minimum' : '';
      const what = `the ${pods} pod${pods === 1 ? '' : 's'} of ${names(selected)}${scaledBy}`;
      const consequence = '`kubectl drain`, node upgrades and cluster-autoscaler scale-down wait on its pods forever';
      const spec = valueAt(pdb.object, ['spec']);
      if (!isRecord(spec)) continue;
      let finding: { path: FieldPath; text: string } | undefined;
      if (spec.maxUnavailable !== undefined && scaled(spec.maxUnavailable, pods) === 0) {
        finding = { path: ['spec', 'maxUnavailable'], text: `\`maxUnavailable: ${String(spec.maxUnavailable)}\` allows no voluntary eviction of ${what}` };
      } else if (spec.minAvailable !== undefined) {
        const min = scaled(spec.minAvailable, pods);
        if (min !== undefined && min >= pods) {
          finding = { path: ['spec', 'minAvailable'], text: `\`minAvailable: ${String(spec.minAvailable)}\` requires ${min} of ${what} to stay up, so no voluntary eviction is allowed` };
        }
      }
      if (finding === undefined) continue;
      report({
        location: pdb.locate(finding.path),
        message: `PodDisruptionBudget/${pdb.name}: ${finding.text}; ${consequence}`,
        severity: 'P1',
        workload: workloadName(selected[0]!),
      });
    }
  },
});
