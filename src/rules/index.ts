// The source and cross rule registry: adding a rule means adding its file and one line here.
import connectionRegistry from './connection-registry.js';
import embeddedDatabase from './embedded-database.js';
import fileLogging from './file-logging.js';
import globalState from './global-state.js';
import hardcodedEndpoint from './hardcoded-endpoint.js';
import inMemoryState from './in-memory-state.js';
import inProcessCache from './in-process-cache.js';
import inProcessLock from './in-process-lock.js';
import inProcessScheduler from './in-process-scheduler.js';
import listenPort from './listen-port.js';
import localFsPersistence from './local-fs-persistence.js';
import longTimer from './long-timer.js';
import loopbackListen from './loopback-listen.js';
import memoryRateLimit from './memory-rate-limit.js';
import memorySession from './memory-session.js';
import missingBackingService from './missing-backing-service.js';
import moduleCrypto from './module-crypto.js';
import nginxAffinity from './nginx-affinity.js';
import noGracefulShutdown from './no-graceful-shutdown.js';
import npmPid1 from './npm-pid1.js';
import probeRoute from './probe-route.js';
import requiredEnv from './required-env.js';
import runtimeLatch from './runtime-latch.js';
import singleConnection from './single-connection.js';
import singletonState from './singleton-state.js';
import socketBroadcast from './socket-broadcast.js';
import startupFsLoad from './startup-fs-load.js';
import templatePlaceholder from './template-placeholder.js';
import trustProxy from './trust-proxy.js';
import unboundedBody from './unbounded-body.js';
import workerConfig from './worker-config.js';

// `as const` keeps each rule's id and options type: `defineConfig` is typed from this list.
export const sourceRules = [connectionRegistry, embeddedDatabase, fileLogging, globalState, inMemoryState, inProcessCache, inProcessLock, inProcessScheduler, localFsPersistence, longTimer, loopbackListen, memoryRateLimit, memorySession, moduleCrypto, nginxAffinity, noGracefulShutdown, npmPid1, runtimeLatch, singleConnection, singletonState, socketBroadcast, startupFsLoad, trustProxy, unboundedBody, workerConfig] as const;

export const crossRules = [hardcodedEndpoint, listenPort, missingBackingService, probeRoute, requiredEnv, templatePlaceholder] as const;
