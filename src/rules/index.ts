// The source and cross rule registry: adding a rule means adding its file and one line here.
import embeddedDatabase from './embedded-database.js';
import fileLogging from './file-logging.js';
import hardcodedEndpoint from './hardcoded-endpoint.js';
import inMemoryState from './in-memory-state.js';
import inProcessCache from './in-process-cache.js';
import inProcessLock from './in-process-lock.js';
import inProcessScheduler from './in-process-scheduler.js';
import listenPort from './listen-port.js';
import longTimer from './long-timer.js';
import localFsPersistence from './local-fs-persistence.js';
import loopbackListen from './loopback-listen.js';
import memoryRateLimit from './memory-rate-limit.js';
import memorySession from './memory-session.js';
import moduleCrypto from './module-crypto.js';
import noGracefulShutdown from './no-graceful-shutdown.js';
import npmPid1 from './npm-pid1.js';
import missingBackingService from './missing-backing-service.js';
import probeRoute from './probe-route.js';
import requiredEnv from './required-env.js';
import singleConnection from './single-connection.js';
import startupFsLoad from './startup-fs-load.js';
import templatePlaceholder from './template-placeholder.js';
import unboundedBody from './unbounded-body.js';
import workerConfig from './worker-config.js';

// `as const` keeps each rule's id and options type: `defineConfig` is typed from this list.
export const sourceRules = [embeddedDatabase, fileLogging, inMemoryState, inProcessCache, inProcessLock, inProcessScheduler, localFsPersistence, longTimer, loopbackListen, memoryRateLimit, memorySession, moduleCrypto, noGracefulShutdown, npmPid1, singleConnection, startupFsLoad, unboundedBody, workerConfig] as const;

export const crossRules = [hardcodedEndpoint, listenPort, missingBackingService, probeRoute, requiredEnv, templatePlaceholder] as const;
