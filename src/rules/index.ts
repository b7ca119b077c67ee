// The source and cross rule registry: adding a rule means adding its file and one line here.
import type { SourceRule } from '../rule.js';
import inMemoryState from './in-memory-state.js';
import localFsPersistence from './local-fs-persistence.js';

export const sourceRules: readonly SourceRule[] = [inMemoryState, localFsPersistence];
