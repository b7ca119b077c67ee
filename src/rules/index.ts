// The source and cross rule registry: adding a rule means adding its file and one line here.
import type { SourceRule } from '../rule.js';

export const sourceRules: readonly SourceRule[] = [];
