// Placeholders of config templates a package ships into its image (nginx `*.template` files that
// envsubst fills at start, `<VAR>` markers an entrypoint script replaces) whose variable the
// workload running that image never gets.
import type { Level } from '../findings.js';
import { listWorkloads } from '../link/describe.js';
import { defineCrossRule, type ReportInput } from '../rule.js';

export default defineCrossRule({
  id: 'template-placeholder',
  category: 'template-placeholder',
  severity: 'P0',
  effort: 'XS',
  docs: {
    summary: 'Config template placeholder the workload does not fill',
    why: 'Templates are filled from the container\'s environment at start: nginx\'s envsubst leaves an unset `${VAR}` in place and nginx refuses the config, and an entrypoint script under `set -u` aborts, so the pod crash-loops on the first deploy.',
    fix: 'Provide the variable in the workload (`env`, or a key of a ConfigMap it loads with `envFrom`), or give the placeholder a default in the entrypoint script.',
  },
  check({ links, report }) {
    for (const template of links.templates) {
      const containers = links.containers.filter((container) => container.package?.dir === template.packageDir && !container.init);
      for (const placeholder of template.placeholders) {
        if (placeholder.hasDefault) continue;
        const unset = containers.filter((container) => !container.env.has(placeholder.variable));
        if (unset.length === 0) continue;
        const level: Level = placeholder.fatal ? 'P0' : 'P1';
        const workloads = unset.map((container) => container.workloadName);
        const single = new Set(workloads).size === 1;
        const input: ReportInput = {
          location: placeholder,
          severity: level,
          message:
            `\`${placeholder.text}\` needs \`${placeholder.variable}\`, which the pods of ${listWorkloads(workloads)} never get: it is filled by ${placeholder.filledBy}. ` +
            `Set \`${placeholder.variable}\` in the container's \`env\` or a ConfigMap it loads with \`envFrom\`.`,
          ...(single ? { workload: workloads[0]! } : {}),
        };
        report(input);
      }
    }
  },
});
