// The manifest rule registry: adding a rule means adding its file and one line here.
import type { ManifestRule } from '../rule.js';
import imageTag from './image-tag.js';
import optionalSecret from './optional-secret.js';
import schema from './schema.js';

export const manifestRules: readonly ManifestRule[] = [imageTag, optionalSecret, schema];
