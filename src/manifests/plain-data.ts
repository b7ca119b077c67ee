// Walking the plain data a YAML document or a rendered object parses to.
import type { FieldPath } from './cluster-model.js';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path`, or undefined when any step is missing or of the wrong shape. */
export function valueAt(object: unknown, path: FieldPath): unknown {
  let value = object;
  for (const segment of path) {
    if (typeof segment === 'number') value = Array.isArray(value) ? value[segment] : undefined;
    else value = isRecord(value) ? value[segment] : undefined;
  }
  return value;
}
