// Schedulers that fire inside every process that loads them: node-cron, cron's CronJob,
// node-schedule, toad-scheduler. Scaled to N replicas, each job runs N times at once; restarted
// or rolled out, a run in flight is cut off and a run due meanwhile is skipped.
import { containersRunning, scaledOut } from '../link/describe.js';
import type { LinkModel } from '../link/link-model.js';
import type { Resource } from '../manifests/cluster-model.js';
import { valueAt } from '../manifests/plain-data.js';
import { defineSourceRule } from '../rule.js';
import type { LibraryCall } from '../source/app-model.js';

/** The calls that start a schedule, by module: the export (or member of the default import) called. */
const SCHEDULERS: readonly { module: string; starts: (call: LibraryCall) => boolean; name: string }[] = [
  { module: 'node-cron', name: 'node-cron `schedule`', starts: (call) => call.member === 'schedule' || call.imported === 'schedule' },
  { module: 'cron', name: '`CronJob` (cron)', starts: (call) => (call.isNew && (call.imported === 'CronJob' || call.member === 'CronJob')) || (call.imported === 'CronJob' && call.member === 'from') },
  { module: 'node-schedule', name: 'node-schedule `scheduleJob`', starts: (call) => call.member === 'scheduleJob' || call.imported === 'scheduleJob' },
  { module: 'toad-scheduler', name: 'toad-scheduler `SimpleIntervalJob`', starts: (call) => call.isNew && (call.imported === 'SimpleIntervalJob' || call.imported === 'CronJob') },
];

export default defineSourceRule({
  id: 'in-process-scheduler',
  category: 'in-process-scheduler',
  severity: 'P1',
  effort: 'M',
  docs: {
    summary: 'Scheduled job run inside the service process',
    why: 'A scheduler in the service process runs in every replica: scaled to N pods, each job fires N times at once (N emails, N charges, N competing cleanups), and a restart or rollout cuts off a run in flight and skips runs due meanwhile.',
    fix: 'Run the job as a Kubernetes CronJob (with `concurrencyPolicy: Forbid`), or as a repeatable job of a shared queue (BullMQ `repeat`) that one worker takes, or guard it with a distributed lock.',
  },
  check({ app, links, report }) {
    for (const file of app.files) {
      for (const call of file.libraryCalls) {
        const scheduler = SCHEDULERS.find((candidate) => candidate.module === call.module && candidate.starts(call));
        if (scheduler === undefined || isDistributed(call)) continue;
        // Named by its schedule where the code writes it: `node-cron \`schedule\` ('0 8 * * *')`.
        const job = call.firstArgument === undefined ? scheduler.name : `${scheduler.name} ('${call.firstArgument}')`;
        const scaled = scaledOut(file.path, links);
        const running = runningWorkloads(file.path, links);
        if (scaled === undefined && running.length > 0) {
          // A dedicated scheduler with one replica runs each job once; a rolling update still overlaps two pods.
          const overlapping = running.filter((workload) => valueAt(workload.object, ['spec', 'strategy', 'type']) !== 'Recreate' && workload.kind === 'Deployment');
          if (overlapping.length === 0) continue;
          report({
            location: call,
            severity: 'P2',
            message:
              `${job} runs this job in ${overlapping.map((workload) => `${workload.kind}/${workload.name}`).join(', ')}, one replica: it runs once, ` +
              'but a rolling update runs the old and the new pod side by side, so a job due then runs twice (P2; `strategy: Recreate` or a Kubernetes CronJob avoids it).',
          });
          continue;
        }
        report({
          location: call,
          message:
            `${job} runs this job inside every process that loads ${file.path}: ` +
            (scaled === undefined ? 'each replica runs it, all at once' : `${scaled}, so it runs that many times at once`) +
            ', and a restart or rollout cuts off a run in flight.',
        });
      }
    }
  },
});

/**
 * node-cron 4.6+ `schedule(expr, fn, { distributed: true })`: its coordinator lets one instance take
 * each fire (node-cron's README), so replicas do not repeat the job.
 */
function isDistributed(call: LibraryCall): boolean {
  return call.module === 'node-cron' && call.options?.distributed === 'true';
}

/** The workloads (any manifest set) whose containers run `file`. */
function runningWorkloads(file: string, links: LinkModel): Resource[] {
  return [...new Set(containersRunning(file, links).map((container) => container.workload))];
}
