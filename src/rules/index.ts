// The source and cross rule registry: adding a rule means adding its file and one line here.
import type { CrossRule, SourceRule } from '../rule.js';
import inMemoryState from './in-memory-state.js';
import localFsPersistence from './local-fs-persistence.js';
import missingBackingService from './missing-backing-service.js';
import requiredEnv from './required-env.js';
import templatePlaceholder from './template-placeholder.js';

export const sourceRules: readonly SourceRule[] = [inMemoryState, localFsPersistence];

export const crossRules: readonly CrossRule[] = [missingBackingService, requiredEnv, templatePlaceholder];
