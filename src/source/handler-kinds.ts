// What kind of entry point a handler label (handlers.ts) names: a request or job served by one pod
// of many, or code every replica runs on its own (timers, schedules, listeners).
import type { HandlerRef } from './app-model.js';

export type HandlerKind = 'route' | 'job' | 'listener' | 'timer' | 'schedule' | 'other';

/** Events about the process's own connections, not work sent to it. */
const LIFECYCLE_EVENTS = /^'(error|close|end|exit|finish|disconnect|disconnected|connect|connected|ready|listening|reconnecting|timeout|drain|SIG\w+|uncaughtException|unhandledRejection|beforeExit)' listener$/;

export function handlerKind(ref: HandlerRef): HandlerKind {
  const name = ref.name;
  if (/^[A-Z]+ \//.test(name) || name === 'middleware') return 'route';
  if (name.startsWith('BullMQ worker') || name.startsWith('queue processor') || name.endsWith('.process processor')) return 'job';
  if (/^set(Timeout|Interval|Immediate) callback$/.test(name)) return 'timer';
  if (name === 'cron.schedule callback' || name === 'scheduleJob callback' || name === 'CronJob callback') return 'schedule';
  if (name.endsWith(' listener')) return LIFECYCLE_EVENTS.test(name) ? 'other' : 'listener';
  return 'other';
}

/** A request or a queue job: work the load balancer or the queue hands to one pod among the replicas. */
export function servesOnePod(ref: HandlerRef): boolean {
  const kind = handlerKind(ref);
  return kind === 'route' || kind === 'job';
}
