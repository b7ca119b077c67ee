// Env schemas: `const schema = z.object({ DATABASE_URL: z.string(), PORT: z.coerce.number().default(3000) })`
// and the `schema.parse(process.env)` that throws at start-up when a required key is missing, or
// envalid's `cleanEnv(process.env, {…})`, which does both. The keys a schema requires are as much
// the code's env contract as `process.env.X` reads are.
import { ts } from 'ts-morph';
import { isProcessEnv, skipWrappers, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

/**
 * What makes a zod key optional: an unset variable passes validation. `z.coerce.boolean()` and
 * `z.coerce.string()` accept `undefined` in zod 3 (as `false` and `'undefined'`), so they are not
 * counted as required either.
 */
const OPTIONAL_MARKERS = /\.(?:optional|default|nullish|catch)\s*\(|^z\.(?:optional|any|unknown)\s*\(|^z\.coerce\.(?:boolean|string)\s*\(/;
/** Methods that derive a schema from another without changing its keys. */
const SAME_KEYS = new Set(['superRefine', 'refine', 'transform', 'strict', 'passthrough', 'strip', 'describe', 'readonly', 'brand']);

export interface SchemaKey {
  name: string;
  required: boolean;
  /** The key as written, where a finding about it points. */
  node: ts.Node;
}

/**
 * The keys of `z.object({…})`, or of a schema derived from a known one (`schema.superRefine(…)`),
 * when `initializer` is one; `isZod` tells whether an identifier names the zod namespace.
 */
export function schemaKeys(
  initializer: ts.Expression,
  isZod: (identifier: string) => boolean,
  knownSchema: (identifier: string) => readonly SchemaKey[] | undefined,
  sourceFile: ts.SourceFile,
): readonly SchemaKey[] | undefined {
  let node = skipWrappers(initializer);
  // Walk down `.superRefine(…).strict()` to the call that builds the object.
  for (let step = 0; step < 8 && node.kind === K.CallExpression; step++) {
    const callee = (node as ts.CallExpression).expression;
    if (callee.kind !== K.PropertyAccessExpression) return undefined;
    const access = callee as ts.PropertyAccessExpression;
    const owner = skipWrappers(access.expression);
    if (access.name.text === 'object' && owner.kind === K.Identifier && isZod((owner as ts.Identifier).text)) {
      const shape = (node as ts.CallExpression).arguments[0];
      return shape === undefined || shape.kind !== K.ObjectLiteralExpression ? undefined : shapeKeys(shape as ts.ObjectLiteralExpression, sourceFile);
    }
    if (access.name.text === 'extend' && owner.kind === K.Identifier) {
      const base = knownSchema((owner as ts.Identifier).text);
      const shape = (node as ts.CallExpression).arguments[0];
      if (base === undefined || shape === undefined || shape.kind !== K.ObjectLiteralExpression) return undefined;
      return [...base, ...shapeKeys(shape as ts.ObjectLiteralExpression, sourceFile)];
    }
    if (!SAME_KEYS.has(access.name.text)) return undefined;
    if (owner.kind === K.Identifier) return knownSchema((owner as ts.Identifier).text);
    node = owner;
  }
  return undefined;
}

function shapeKeys(shape: ts.ObjectLiteralExpression, sourceFile: ts.SourceFile): SchemaKey[] {
  const keys: SchemaKey[] = [];
  for (const property of shape.properties) {
    if (property.kind !== K.PropertyAssignment) continue;
    const name = property.name.kind === K.Identifier ? property.name.text : stringValue(property.name);
    if (name === undefined) continue;
    const text = sourceFile.text.slice(property.initializer.getStart(sourceFile), property.initializer.end);
    keys.push({ name, required: !OPTIONAL_MARKERS.test(text), node: property.name });
  }
  return keys;
}

/**
 * `cleanEnv(process.env, { API_KEY: str(), PORT: port({ default: 3000 }) })` from envalid: a schema
 * and its parse in one call. With the default reporter a missing key logs and exits with status 1.
 * A key is optional only with a `default`: `devDefault` applies when NODE_ENV is not `production`,
 * which a production image sets, so such a key counts as required in a pod.
 */
export function envalidKeys(call: ts.CallExpression, isCleanEnv: (callee: ts.Expression) => boolean): readonly SchemaKey[] | undefined {
  const [environment, validators] = call.arguments;
  if (environment === undefined || !isProcessEnv(skipWrappers(environment)) || !isCleanEnv(skipWrappers(call.expression))) return undefined;
  if (validators === undefined || skipWrappers(validators).kind !== K.ObjectLiteralExpression) return undefined;
  const keys: SchemaKey[] = [];
  for (const property of (skipWrappers(validators) as ts.ObjectLiteralExpression).properties) {
    if (property.kind !== K.PropertyAssignment) continue;
    const name = property.name.kind === K.Identifier ? property.name.text : stringValue(property.name);
    if (name !== undefined) keys.push({ name, required: !hasDefaultOption(property.initializer), node: property.name });
  }
  return keys;
}

/** `str({ default: 'x' })`: the validator's spec object names a `default`. */
function hasDefaultOption(validator: ts.Expression): boolean {
  const call = skipWrappers(validator);
  if (call.kind !== K.CallExpression) return false;
  const spec = (call as ts.CallExpression).arguments[0];
  if (spec === undefined || skipWrappers(spec).kind !== K.ObjectLiteralExpression) return false;
  return (skipWrappers(spec) as ts.ObjectLiteralExpression).properties.some((option) => option.name !== undefined && option.name.kind === K.Identifier && option.name.text === 'default');
}

/** `envSchema.parse(process.env)` → `envSchema`: a parse that throws on the first missing key. */
export function parsedSchemaName(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  if (callee.kind !== K.PropertyAccessExpression || (callee as ts.PropertyAccessExpression).name.text !== 'parse') return undefined;
  const argument = call.arguments[0];
  if (argument === undefined || !isProcessEnv(skipWrappers(argument))) return undefined;
  const owner = skipWrappers((callee as ts.PropertyAccessExpression).expression);
  return owner.kind === K.Identifier ? (owner as ts.Identifier).text : undefined;
}
