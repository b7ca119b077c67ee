// Rate limits counted in the process: express-rate-limit and express-slow-down without a `store`,
// rate-limiter-flexible's RateLimiterMemory, @nestjs/throttler without `storage`. Each replica
// counts on its own, so N replicas allow N times the limit, and a restart forgets every count.
import { scaledOut } from '../link/describe.js';
import type { Level } from '../findings.js';
import { defineSourceRule, type Report } from '../rule.js';
import type { LibraryCall, SourceFileFacts } from '../source/app-model.js';
import type { LinkModel } from '../link/link-model.js';

const LIMITER_MODULES = new Set(['express-rate-limit', 'express-slow-down']);
/** Limiters named for what they protect: guessing a login code or a password is what they stop. */
const SENSITIVE = /login|signin|sign_in|auth|otp|password|passcode|verify|2fa|mfa|token/i;

/** What counts in memory, described; undefined for a limiter with a shared store. */
function inMemory(call: LibraryCall): string | undefined {
  if (LIMITER_MODULES.has(call.module) && !call.isNew) {
    return call.options?.store === undefined ? `\`${call.module}\` with no \`store\` (its MemoryStore)` : undefined;
  }
  if (call.module === 'rate-limiter-flexible' && call.isNew && (call.imported === 'RateLimiterMemory' || call.member === 'RateLimiterMemory')) {
    // The in-memory fallback of a Redis limiter (`insuranceLimiter`) only counts while Redis is down.
    return call.passedAs === 'insuranceLimiter' ? undefined : '`RateLimiterMemory` (rate-limiter-flexible)';
  }
  return undefined;
}

/**
 * `ThrottlerModule.forRoot(…)` / `forRootAsync(…)` of @nestjs/throttler with no `storage`: its
 * built-in storage is an in-memory cache (its README). Async options built by a factory too long
 * to read here, or by a class, are not guessed at.
 */
function throttlerInMemory(call: LibraryCall): boolean {
  if (call.module !== '@nestjs/throttler' || call.imported !== 'ThrottlerModule' || call.optionsUnknown === true) return false;
  if (call.member === 'forRoot') return call.options?.storage === undefined;
  if (call.member !== 'forRootAsync' || call.options === undefined) return false;
  const factory = call.options.useFactory;
  if (factory === undefined || factory.length >= 200 || call.options.useClass !== undefined || call.options.useExisting !== undefined) return false;
  return call.options.storage === undefined && !/\bstorage\b/.test(factory);
}

/** Methods the package throttles on their own with `@Throttle(…)` whose name or route says sign-in or codes. */
const SENSITIVE_ROUTE = /login|signin|sign_in|otp|verify|password|passcode|2fa|mfa/i;

export default defineSourceRule({
  id: 'memory-rate-limit',
  category: 'memory-rate-limit',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Rate limit counted in process memory',
    why: 'A limiter that counts in memory counts per pod: with N replicas behind a Service a client gets N times the limit, and every restart or rollout resets the counts, so it stops neither brute force nor abuse once the app is scaled out.',
    fix: 'Give the limiter a shared store (rate-limit-redis `RedisStore`, rate-limiter-flexible `RateLimiterRedis`, @nest-lab/throttler-storage-redis `ThrottlerStorageRedisService`), or enforce the limit at the ingress or API gateway.',
  },
  check({ app, links, report }) {
    for (const file of app.files) {
      for (const call of file.libraryCalls) {
        if (throttlerInMemory(call)) {
          reportThrottler(call, file, app.files, links, report);
          continue;
        }
        const what = call.optionsUnknown === true ? undefined : inMemory(call);
        if (what === undefined) continue;
        const guardsLogin = call.assignedTo !== undefined && SENSITIVE.test(call.assignedTo);
        const severity: Level = guardsLogin ? 'P0' : 'P1';
        const scaled = scaledOut(file.path, links);
        report({
          location: call,
          severity,
          message:
            `${call.assignedTo === undefined ? 'This limiter' : `\`${call.assignedTo}\``} counts in memory with ${what}: each replica keeps its own counts, so N replicas allow N times the limit and a restart resets them` +
            `${guardsLogin ? '; P0 because its name says it guards sign-in or codes, which is what brute force targets' : ''}${scaled === undefined ? '' : ` (${scaled})`}.`,
        });
      }
    }
  },
});

function reportThrottler(call: LibraryCall, file: SourceFileFacts, files: readonly SourceFileFacts[], links: LinkModel, report: Report): void {
  const sensitive = files
    .filter((other) => other.packageDir === file.packageDir)
    .flatMap((other) => other.clientAddress.throttled)
    .filter((method) => SENSITIVE_ROUTE.test(method.method) || (method.route !== undefined && SENSITIVE_ROUTE.test(method.route)));
  const first = sensitive[0];
  const scaled = scaledOut(file.path, links);
  report({
    location: call,
    severity: first === undefined ? 'P1' : 'P0',
    message:
      `\`ThrottlerModule.${call.member}()\` has no \`storage\`, so @nestjs/throttler counts in its built-in in-memory storage: each replica keeps its own counts, so N replicas allow N times the limit and a restart resets them` +
      `${first === undefined ? '' : `; P0 because \`@Throttle()\` guards \`${first.method}()\`${first.route === undefined ? '' : ` (\`${first.route}\`)`}, a sign-in or code check that brute force targets`}${scaled === undefined ? '' : ` (${scaled})`}.`,
    ...(first === undefined ? {} : { related: sensitive.map((method) => ({ file: method.file, line: method.line, message: `@Throttle() on ${method.method}()` })) }),
  });
}
