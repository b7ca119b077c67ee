// Offline validation of Kubernetes objects: the precompiled Ajv validators that kubernetes-models
// generates from the Kubernetes OpenAPI spec (types, enums, required fields, formats), plus a
// walk over the field map in k8s-fields.json, because those validators accept unknown fields,
// while the API server rejects them (strict field validation, kubectl's default) or, where
// validation is off, silently drops them: a misspelt `imagePullpolicy` never does what was meant.
import { distance } from 'fastest-levenshtein';
import type { FieldPath, Resource, SchemaIssue } from './cluster-model.js';
import fieldMap from './k8s-fields.json' with { type: 'json' };
import { isRecord, valueAt } from './plain-data.js';
import { apiVersionStatus, DEFAULT_KUBE_VERSION, type KubeVersion } from './removed-apis.js';
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

/**
 * Fills `schemaIssues` of every resource: an API version the target release no longer serves
 * (or deprecates), then, for kinds Kubernetes itself defines, the schema; other kinds (CRDs) are not validated.
 */
export async function validateResources(resources: readonly Resource[], options: { kubeVersion?: KubeVersion } = {}): Promise<void> {
  const target = options.kubeVersion ?? DEFAULT_KUBE_VERSION;
  const roots = new Set<string>();
  for (const resource of resources) {
    const root = rootTypeOf(resource.apiVersion, resource.kind);
    if (root !== undefined) roots.add(root);
  }
  await Promise.all([...roots].map(validatorFor));
  for (const resource of resources) {
    const issues: SchemaIssue[] = [];
    const versionIssue = apiVersionIssue(resource.apiVersion, resource.kind, target);
    if (versionIssue !== undefined) issues.push(versionIssue);
    const root = rootTypeOf(resource.apiVersion, resource.kind);
    if (root !== undefined) issues.push(...schemaIssues(resource.object, root, await validatorFor(root)));
    resource.schemaIssues = issues;
  }
}

export function apiVersionIssue(apiVersion: string, kind: string, target: KubeVersion): SchemaIssue | undefined {
  const status = apiVersionStatus(apiVersion, kind, target);
  if (status === undefined) return undefined;
  const api = `\`apiVersion: ${apiVersion}\` of ${kind}`;
  return status.status === 'removed'
    ? {
        path: ['apiVersion'],
        message: `${api} is no longer served since Kubernetes ${status.removedIn} (target ${target}): the API server rejects the object; ${status.advice}`,
      }
    : {
        path: ['apiVersion'],
        message: `${api} is deprecated since Kubernetes ${status.deprecatedIn} and removed in ${status.removedIn} (target ${target}); ${status.advice}`,
        severity: 'P2',
      };
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
  SEMANTIC_CHECKS[type]?.(value, path, issues);
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

// ---------------------------------------------------------------------------------------------
// What the API server validates beyond the OpenAPI schema, where the walk reaches the type.

type SemanticCheck = (value: Record<string, unknown>, path: readonly (string | number)[], issues: SchemaIssue[]) => void;

const labelMapIn =
  (field: string): SemanticCheck =>
  (value, path, issues) =>
    labelMap(value[field], [...path, field], issues);

const SEMANTIC_CHECKS: Record<string, SemanticCheck> = {
  IoK8sApimachineryPkgApisMetaV1ObjectMeta: labelMapIn('labels'),
  IoK8sApimachineryPkgApisMetaV1LabelSelector: (value, path, issues) => {
    labelMap(value.matchLabels, [...path, 'matchLabels'], issues);
    if (!Array.isArray(value.matchExpressions)) return;
    value.matchExpressions.forEach((requirement: unknown, index) => {
      if (!isRecord(requirement)) return;
      const at = [...path, 'matchExpressions', index];
      if (typeof requirement.key === 'string') labelKey(requirement.key, [...at, 'key'], `at \`${formatPath(at)}.key\``, issues);
      if ((requirement.operator === 'In' || requirement.operator === 'NotIn') && Array.isArray(requirement.values)) {
        requirement.values.forEach((item: unknown, itemIndex) => {
          if (typeof item === 'string') labelValue(item, [...at, 'values', itemIndex], `in \`${formatPath(at)}.values\``, issues);
        });
      }
    });
  },
  IoK8sApiCoreV1ServiceSpec: labelMapIn('selector'),
  IoK8sApiCoreV1ReplicationControllerSpec: labelMapIn('selector'),
  IoK8sApiCoreV1Container: duplicateEnv,
  IoK8sApiCoreV1EphemeralContainer: duplicateEnv,
};

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function labelMap(map: unknown, path: FieldPath, issues: SchemaIssue[]): void {
  if (!isRecord(map)) return;
  const where = `\`${formatPath(path)}\``;
  for (const key in map) {
    labelKey(key, [...path, key], `in ${where}`, issues);
    const value = map[key];
    // A number or boolean is the type error Ajv reports.
    if (typeof value === 'string') labelValue(value, [...path, key], `of \`${key}\` in ${where}`, issues);
  }
}

/** Label keys are qualified names: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
function labelKey(key: string, path: FieldPath, where: string, issues: SchemaIssue[]): void {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  let problem: string | undefined;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    problem = `its prefix \`${prefix}\` must be a lowercase DNS subdomain (letters, digits, \`-\` and \`.\`, at most 253 characters)`;
  } else {
    problem = name !== '' ? labelNameProblem(name) : prefix === undefined ? 'it is empty' : 'the name after the prefix is empty';
  }
  if (problem !== undefined) issues.push({ path, message: `label key ${JSON.stringify(key)} ${where} is not valid: ${problem}` });
}

/** Label values are empty or a name of at most 63 characters. */
function labelValue(value: string, path: FieldPath, where: string, issues: SchemaIssue[]): void {
  const problem = value === '' ? undefined : labelNameProblem(value);
  if (problem !== undefined) issues.push({ path, message: `label value ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)} ${where} is not valid: ${problem}` });
}

function labelNameProblem(name: string): string | undefined {
  if (name.length > 63) return `it is ${name.length} characters long, at most 63 are allowed`;
  if (LABEL_NAME.test(name)) return undefined;
  if (/[^-A-Za-z0-9_.]/.test(name)) return 'only letters, digits, `-`, `_` and `.` are allowed';
  return 'it must begin and end with a letter or digit';
}

/**
 * An env var defined twice: the API server accepts it with a warning, the kubelet uses the later
 * definition, and `kubectl apply` (merging the list by name) may drop one of them on the next change.
 */
function duplicateEnv(container: Record<string, unknown>, path: readonly (string | number)[], issues: SchemaIssue[]): void {
  const env: unknown = container.env;
  if (!Array.isArray(env) || env.length < 2) return;
  const first = new Map<string, number>();
  env.forEach((entry: unknown, index) => {
    if (!isRecord(entry) || typeof entry.name !== 'string') return;
    const earlier = first.get(entry.name);
    if (earlier === undefined) {
      first.set(entry.name, index);
      return;
    }
    const containerName = typeof container.name === 'string' ? ` in container \`${container.name}\`` : '';
    const twice = `env var \`${entry.name}\` is defined twice${containerName} (\`env[${earlier}]\` and \`env[${index}]\`)`;
    const same = definition(env[earlier]) === definition(entry);
    issues.push(
      same
        ? { path: [...path, 'env', index, 'name'], message: `${twice} with the same value; remove one`, severity: 'P2' }
        : {
            path: [...path, 'env', index, 'name'],
            message: `${twice} with different values: the later one wins and \`kubectl apply\` may drop one of them; keep one`,
            severity: 'P1',
          },
    );
  });
}

function definition(entry: unknown): string {
  return isRecord(entry) ? JSON.stringify([entry.value ?? null, entry.valueFrom ?? null]) : '';
}
