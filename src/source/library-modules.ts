// The packages whose calls the rules ask about. Recording every call of every import costs the
// walk a tenth of its time on a large repo, so the app model keeps only these (DESIGN: drop what
// no rule needs). A rule about another library adds its module here.
export const LIBRARY_MODULES: ReadonlySet<string> = new Set([
  // memory-session
  'express-session', 'memorystore', 'session-file-store', 'passport',
  // memory-rate-limit
  'express-rate-limit', 'express-slow-down', 'rate-limiter-flexible',
  // in-process-scheduler
  'node-cron', 'cron', 'node-schedule', 'toad-scheduler',
  // file-logging
  'winston', 'winston-daily-rotate-file', 'pino', 'rotating-file-stream', 'bunyan', 'log4js',
  // no-graceful-shutdown
  'bullmq', '@godaddy/terminus', 'http-terminator', 'lightship', 'http-graceful-shutdown', 'stoppable', 'close-with-grace',
  // single-connection
  'mysql', 'mysql2', 'mysql2/promise', 'pg', 'amqplib', 'amqplib/callback_api',
  // worker-config
  'bull', 'bee-queue', 'child_process', 'node:child_process', 'execa',
  // in-process-cache
  'node-cache', 'lru-cache', 'cache-manager', 'memory-cache', 'quick-lru', 'keyv', 'mnemonist', 'mnemonist/lru-cache', 'mnemonist/lru-map',
  // in-process-lock
  'async-mutex', 'async-lock',
  // loopback-listen
  '@hapi/hapi', 'hapi',
  // trust-proxy (the `express()` app itself)
  'express',
  // socket-broadcast, connection-registry (ws servers, in-memory GraphQL PubSub)
  'socket.io', '@socket.io/redis-adapter', '@socket.io/redis-streams-adapter', '@socket.io/postgres-adapter', '@socket.io/mongo-adapter',
  '@socket.io/cluster-adapter', 'socket.io-redis', 'ws', 'graphql-subscriptions', 'apollo-server', 'apollo-server-express',
  // unbounded-body (express is recorded above)
  'body-parser', 'multer', 'fastify',
]);

/** NestJS's own packages (`app.enableShutdownHooks()` and the like). */
export function isRecordedLibrary(module: string): boolean {
  return LIBRARY_MODULES.has(module) || module.startsWith('@nestjs/');
}
