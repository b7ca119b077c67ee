// What kind of entry point a handler label (handlers.ts) names: a request or job served by one pod
// of many, or code every replica runs on its own (timers, schedules, lifecycle listeners).
import type { HandlerRef } from './app-model.js';

export type HandlerKind = 'route' | 'job' | 'listener' | 'timer' | 'schedule' | 'other';

/** Events about the process's own connections, not work sent to it. */
const LIFECYCLE_EVENTS = /^'(error|close|end|exit|finish|disconnect|disconnected|connect|connected|ready|listening|reconnecting|timeout|drain|SIG\w+|uncaughtException|unhandledRejection|beforeExit)' listener$/;
/** Redis pub/sub deliveries: every subscribed replica receives the message. */
const BROADCAST_EVENTS = /^'(message|pmessage|messageBuffer|pmessageBuffer)' listener$/;

export function handlerKind(ref: HandlerRef): HandlerKind {
  const name = ref.name;
  if (/^[A-Z]+ \//.test(name) || name === 'middleware' || name.startsWith('GraphQL query') || name.startsWith('GraphQL mutation')) return 'route';
  if (name.startsWith('BullMQ worker') || name.startsWith('queue processor') || name.endsWith('.process processor') || name.startsWith('message pattern') || name.startsWith('event pattern')) return 'job';
  if (/^set(Timeout|Interval|Immediate) callback$/.test(name)) return 'timer';
  if (name === 'cron.schedule callback' || name === 'scheduleJob callback' || name === 'CronJob callback' || /^@(Cron|Interval|Timeout) /.test(name)) return 'schedule';
  if (name.endsWith(' listener')) return LIFECYCLE_EVENTS.test(name) ? 'other' : 'listener';
  if (name.startsWith('WebSocket ') || name.startsWith('GraphQL subscription')) return 'listener';
  return 'other';
}

/** A request, a queue job or a client's event: work handed to one pod among the replicas. */
export function servesOnePod(ref: HandlerRef): boolean {
  const kind = handlerKind(ref);
  return kind === 'route' || kind === 'job' || (kind === 'listener' && !BROADCAST_EVENTS.test(ref.name));
}

/** `subscriber.on('message', …)`: a Redis pub/sub delivery every subscribed replica receives. */
export function isBroadcast(ref: HandlerRef): boolean {
  return BROADCAST_EVENTS.test(ref.name);
}
