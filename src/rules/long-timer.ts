// Delayed work scheduled in process memory from a request or job: `setTimeout(() =>
// expireReservation(id), 15 * 60 * 1000)` in `POST /reservations`. The timer exists in one pod
// only; a restart, scale-down, eviction or rollout before it fires drops the work without a
// trace, and a cancel request routed to another replica cannot find it.
//
// Category in-memory-state rather than module-cache: what is at stake is state lost with the
// pod (work promised to a user), not a copy that goes stale.
//
// Left out: delays under a minute (retries, backoff, debounce) and delays the code does not spell
// out, unless the handle is kept in a collection for cancelling; timers set at start-up (run again
// by the next pod's start-up: a reconnect after 2 min re-arms itself); timers from timer, schedule
// or lifecycle callbacks (each replica runs its own); and timeouts that bound the work in flight
// (`.unref()`, or a callback that only rejects or aborts), which die with the request they bound.
import { scaledOut } from '../link/describe.js';
import { defineSourceRule } from '../rule.js';
import type { TimerCall } from '../source/app-model.js';
import { handlerText } from '../source/call-graph.js';
import { handlerKind } from '../source/handler-kinds.js';

const LONG_DELAY_MS = 60_000;
/** Node runs a timer with a longer delay after 1 ms (TimeoutOverflowWarning). */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** `POST /reservations`, a queue job or a socket event: something one pod is handed among many. */
function scheduledFromRequest(timer: TimerCall): boolean {
  return timer.handlers?.some((ref) => {
    const kind = handlerKind(ref);
    return kind === 'route' || kind === 'job' || kind === 'listener';
  }) === true;
}

/** `15 min`, `24 h`, `7 days`, `90 s`. */
function duration(ms: number): string {
  if (ms >= 2 * 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000} days`;
  const units: [number, string][] = [[3_600_000, 'h'], [60_000, 'min'], [1_000, 's']];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  }
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${ms} ms`;
}

export default defineSourceRule({
  id: 'long-timer',
  category: 'in-memory-state',
  severity: 'P0',
  effort: 'M',
  docs: {
    summary: 'Delayed work kept in a timer of the process',
    why: 'A `setTimeout` scheduled from a request lives in the memory of the pod that served it: a restart, scale-down, eviction or rollout before it fires drops the work without a trace, and a cancel request routed to another replica cannot find the timer.',
    fix: 'Persist the work: a delayed job in a shared queue (BullMQ `delay`, with `jobId` so it can be cancelled from any pod), a row with a due time swept by one scheduled worker, or an expiry in the data store itself (Redis TTL, a `expires_at` column checked on read).',
  },
  check({ app, links, report }) {
    for (const file of app.files) {
      for (const timer of file.timers) {
        if (timer.time !== 'runtime' || timer.bounded === true || !scheduledFromRequest(timer)) continue;
        const long = timer.delayMs !== undefined && timer.delayMs >= LONG_DELAY_MS;
        const unknownButKept = timer.delayMs === undefined && timer.storedIn !== undefined;
        if (!long && timer.delayFromDate !== true && !unknownButKept) continue;
        const when = long
          ? `after ${duration(timer.delayMs!)} (\`${timer.delayText}\`)`
          : timer.delayFromDate === true
            ? `at a date (\`${timer.delayText}\`)`
            : `after \`${timer.delayText ?? 'its delay'}\``;
        const what = timer.callback === undefined ? 'its callback' : `\`${timer.callback}\``;
        const verb = timer.api === 'setInterval' ? 'repeats' : 'runs';
        const overflow = timer.delayMs !== undefined && timer.delayMs > MAX_DELAY_MS ? ' (and Node fires a delay over 24.8 days after 1 ms, not when meant)' : '';
        const kept = timer.storedIn === undefined ? '' : `; its handle is kept in \`${timer.storedIn}\` of this pod, so a cancel request routed to another replica cannot find it`;
        const scaled = scaledOut(file.path, links);
        report({
          location: timer,
          message:
            `\`${timer.api}\` in \`${handlerText(timer)!}\` ${verb} ${what} ${when}: the timer lives only in this pod's memory, so a restart, scale-down or reschedule before then drops the work silently${overflow}${kept}${scaled === undefined ? '' : ` (${scaled})`}.`,
        });
      }
    }
  },
});
