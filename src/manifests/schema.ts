// Offline validation of Kubernetes objects: the precompiled Ajv validators that kubernetes-models
// generates from the Kubernetes OpenAPI spec (types, enums, required fields, formats), plus a
// walk over the field map in k8s-fields.json, because those validators accept unknown fields,
// while the API server rejects them (strict field validation, kubectl's default) or, where
// validation is off, silently drops them: a misspelt `imagePullpolicy` never does what was meant.
import { distance } from 'fastest-levenshtein';
import type { FieldPath, Resource, SchemaIssue } from './cluster-model.js';
import fieldMap from './k8s-fields.json' with { type: 'json' };
import { isRecord, valueAt } from './plain-data.js';
import { formatPath } from './yaml-file.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/** `0` scalar, `"<type>"` object, `"[<shape>"` list of, `"{<shape>"` map of (see scripts/generate-k8s-fields.mjs). */
type Shape = 0 | string;

const FIELDS = fieldMap as unknown as { gvk: Record<string, string>; types: Record<string, Record<string, Shape>> };

/** The root type of a known kind (`apps/v1/Deployment`), or `undefined` for CRDs and anything else. */
export function rootTypeOf(apiVersion: string, kind: string): string | undefined {
  return Object.hasOwn(FIELDS.gvk, `${apiVersion}/${kind}`) ? FIELDS.gvk[`${apiVersion}/${kind}`] : undefined;
}

const validators = new Map<string, Promise<Validate | undefined>>();

/** Imports a kind's validator once; each is a standalone module, so only kinds in use are loaded. */
function validatorFor(rootType: string): Promise<Validate | undefined> {
  let validator = validators.get(rootType);
  if (validator === undefined) {
    const specifier = rootType.startsWith('IoK8sApimachinery')
      ? `@kubernetes-models/apimachinery/_schemas/${rootType}`
      : `kubernetes-models/_schemas/${rootType}`;
    validator = import(specifier).then(
      (module: { validate?: Validate }) => module.validate,
      () => undefined,
    );
    validators.set(rootType, validator);
  }
  return validator;
}

/** Fills `schemaIssues` of every resource of a kind Kubernetes itself defines; other kinds (CRDs) are skipped. */
export async function validateResources(resources: readonly Resource[]): Promise<void> {
  const roots = new Set<string>();
  for (const resource of resources) {
    const root = rootTypeOf(resource.apiVersion, resource.kind);
    if (root !== undefined) roots.add(root);
  }
  await Promise.all([...roots].map(validatorFor));
  for (const resource of resources) {
    const root = rootTypeOf(resource.apiVersion, resource.kind);
    if (root === undefined) continue;
    resource.schemaIssues = schemaIssues(resource.object, root, await validatorFor(root));
  }
}

export function schemaIssues(object: Record<string, unknown>, rootType: string, validate: Validate | undefined): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (validate !== undefined && !validate(object)) issues.push(...collapse(validate.errors ?? [], object));
  unknownFields(object, rootType, [], issues);
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Ajv reports every branch it tried: a bad quantity is "must be number", "must match format
// quantity" and "must match exactly one schema in oneOf". One message per field is what a person needs.

function collapse(errors: readonly AjvError[], object: unknown): SchemaIssue[] {
  const byPath = new Map<string, AjvError[]>();
  const issues: SchemaIssue[] = [];
  for (const error of errors) {
    if (error.keyword === 'required') {
      const path = [...pointerPath(error.instancePath, object), String(error.params.missingProperty)];
      const parent = path.length > 1 ? ` in \`${formatPath(path.slice(0, -1))}\`` : '';
      issues.push({ path, message: `required field \`${path[path.length - 1]}\` is missing${parent}` });
      continue;
    }
    const group = byPath.get(error.instancePath);
    if (group === undefined) byPath.set(error.instancePath, [error]);
    else group.push(error);
  }
  for (const [pointer, group] of byPath) {
    const path = pointerPath(pointer, object);
    const value = valueAt(object, path);
    const field = path.length === 0 ? 'the object' : `\`${formatPath(path)}\``;
    issues.push({ path, message: `${field} ${fieldMessage(group, value)}, got ${describe(value)}` });
  }
  return issues;
}

const FORMATS: Record<string, string> = {
  quantity: 'must be a quantity such as `500m`, `1.5` or `512Mi`',
  'date-time': 'must be an RFC 3339 date-time such as `2024-01-31T12:00:00Z`',
  byte: 'must be base64-encoded',
  int32: 'must be a 32-bit integer',
  int64: 'must be a 64-bit integer',
};

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean (true or false)',
  object: 'a map',
  array: 'a list',
};

function fieldMessage(group: readonly AjvError[], value: unknown): string {
  const format = group.find((error) => error.keyword === 'format');
  if (format !== undefined && typeof value === 'string') {
    const name = String(format.params.format);
    return FORMATS[name] ?? `must match the format \`${name}\``;
  }
  const enumeration = group.find((error) => error.keyword === 'enum');
  const types = [...new Set(group.filter((error) => error.keyword === 'type').map((error) => String(error.params.type)))];
  // A type mismatch explains an enum mismatch too; report the type alone.
  if (types.length > 0) {
    // `number` and `integer` both listed (quantity: number or string) read best as "a number".
    const names = types.filter((type) => !(type === 'integer' && types.includes('number'))).map((type) => TYPE_NAMES[type] ?? type);
    return `must be ${names.join(' or ')}`;
  }
  if (enumeration !== undefined) {
    const allowed = Array.isArray(enumeration.params.allowedValues) ? enumeration.params.allowedValues : [];
    return `must be one of ${allowed.map((item) => `\`${String(item)}\``).join(', ')}`;
  }
  if (format !== undefined) return FORMATS[String(format.params.format)] ?? `must match the format \`${String(format.params.format)}\``;
  return 'does not match any allowed form';
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (value === null || value === undefined) return 'nothing (null)';
  return Array.isArray(value) ? 'a list' : 'a map';
}

function pointerPath(pointer: string, object: unknown): FieldPath {
  const path: (string | number)[] = [];
  let value = object;
  for (const raw of pointer === '' ? [] : pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      path.push(Number(segment));
      value = value[Number(segment)];
    } else {
      path.push(segment);
      value = isRecord(value) ? value[segment] : undefined;
    }
  }
  return path;
}

// ---------------------------------------------------------------------------------------------

// `path` is one array pushed and popped along the walk, copied only for an issue: most objects have none.
function unknownFields(value: unknown, type: string, path: (string | number)[], issues: SchemaIssue[]): void {
  const fields = FIELDS.types[type];
  if (fields === undefined || !isRecord(value)) return;
  for (const key in value) {
    const shape = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (shape === undefined) {
      const where = path.length === 0 ? 'at the top level' : `in \`${formatPath(path)}\``;
      const suggestion = nearest(key, Object.keys(fields));
      issues.push({
        path: [...path, key],
        message: `unknown field \`${key}\` ${where}${suggestion === undefined ? '' : `; did you mean \`${suggestion}\`?`}`,
      });
    } else if (shape !== 0) {
      path.push(key);
      walkShape(value[key], shape, path, issues);
      path.pop();
    }
  }
}

function walkShape(value: unknown, shape: string, path: (string | number)[], issues: SchemaIssue[]): void {
  const inner = shape.slice(1);
  if (shape.startsWith('[')) {
    if (!Array.isArray(value)) return;
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      walkShape(value[index], inner, path, issues);
      path.pop();
    }
  } else if (shape.startsWith('{')) {
    if (!isRecord(value)) return;
    for (const key in value) {
      path.push(key);
      walkShape(value[key], inner, path, issues);
      path.pop();
    }
  } else {
    unknownFields(value, shape, path, issues);
  }
}

/** The known field a typo most likely meant: same letters in another case, or a couple of edits away. */
function nearest(key: string, candidates: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = candidates.find((candidate) => candidate.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const limit = key.length <= 4 ? 1 : key.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
