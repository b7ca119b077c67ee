// Keys made at module load and the places keys are passed. A value of random bytes bound at
// module level (`const JWT_SECRET = randomBytes(32).toString('hex')`) is a different key in every
// process; the walk records it, and records each argument passed where a key belongs
// (`jwt.sign(payload, JWT_SECRET)`, `session({ secret })`, `createCipheriv(alg, key, iv)`). The
// rule joins the two through the binding's reads, which the join also collects in importers.
import { ts } from 'ts-morph';
import type { KeyPurpose } from './app-model.js';
import type { Entry } from './scopes.js';
import { isProcessEnv, nodeText, skipWrappers, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

export type Lookup = (name: string) => Entry | undefined;

const CRYPTO = new Set(['crypto', 'node:crypto']);
/** Exports of `crypto` that return fresh random bytes or keys. */
const RANDOM = new Set(['randomBytes', 'randomUUID', 'generateKeyPairSync', 'generateKeySync', 'randomFillSync', 'getRandomValues']);
/** Calls that keep the randomness of their argument: `createSecretKey(randomBytes(32))`, `Buffer.from(…)`. */
const CARRIERS = new Set(['toString', 'slice', 'subarray', 'substring', 'substr', 'export', 'toUpperCase', 'toLowerCase', 'replace', 'replaceAll']);
const UUID_RANDOM = new Set(['v4', 'v1', 'v7']);

export interface Generated {
  node: ts.Node;
  source: string;
  envFallback?: string;
}

/** The imported name and member path a callee stands for: `crypto.subtle.generateKey` → crypto `*`, ['subtle', 'generateKey']. */
function calleeOf(callee: ts.Expression, lookup: Lookup): { module?: string; name?: string; global?: string; members: string[] } | undefined {
  const members: string[] = [];
  let node = skipWrappers(callee);
  while (node.kind === K.PropertyAccessExpression) {
    members.unshift((node as ts.PropertyAccessExpression).name.text);
    node = skipWrappers((node as ts.PropertyAccessExpression).expression);
  }
  if (node.kind !== K.Identifier) return undefined;
  const text = (node as ts.Identifier).text;
  const entry = lookup(text);
  if (entry === undefined) return { global: text, members };
  if (entry.kind === 'import') return { module: entry.module, name: entry.name, members };
  return undefined;
}

/** A call that returns fresh random bytes, a random id or a fresh key pair. */
function isRandomCall(call: ts.CallExpression, lookup: Lookup): boolean {
  const callee = calleeOf(call.expression, lookup);
  if (callee === undefined) return false;
  const { module, name, global, members } = callee;
  const last = members.at(-1);
  if (global !== undefined) {
    // The Web Crypto global (Node 19+) and Math.random.
    if (global === 'crypto') return (members.length === 1 && (last === 'randomUUID' || last === 'getRandomValues')) || members.join('.') === 'subtle.generateKey';
    return global === 'Math' && last === 'random' && members.length === 1;
  }
  if (module === undefined) return false;
  if (CRYPTO.has(module)) {
    if (members.length === 0) return name !== undefined && RANDOM.has(name);
    const path = name === '*' || name === 'default' ? members : [name!, ...members];
    const joined = path.join('.');
    return (path.length === 1 && RANDOM.has(path[0]!)) || joined === 'subtle.generateKey' || joined === 'webcrypto.subtle.generateKey' || joined === 'webcrypto.getRandomValues';
  }
  if (module === 'uuid') return members.length === 0 ? name !== undefined && UUID_RANDOM.has(name) : members.length === 1 && UUID_RANDOM.has(last!);
  if (module === 'nanoid') return (members.length === 0 && name === 'nanoid') || (members.length === 1 && last === 'nanoid');
  return false;
}

/**
 * The random value an expression is made of, when it is: `randomBytes(32)`, `randomBytes(32).toString('hex')`,
 * `Buffer.from(randomUUID())`, `createSecretKey(randomBytes(32))`, `await crypto.subtle.generateKey(…)`, and
 * `process.env.JWT_SECRET || randomBytes(32)…` with the variable as fallback guard.
 */
export function generatedValue(expression: ts.Expression, lookup: Lookup, sourceFile: ts.SourceFile, depth = 0): Generated | undefined {
  if (depth > 6) return undefined;
  const node = skipWrappers(expression);
  switch (node.kind) {
    case K.AwaitExpression:
      return generatedValue((node as ts.AwaitExpression).expression, lookup, sourceFile, depth + 1);
    case K.BinaryExpression: {
      const binary = node as ts.BinaryExpression;
      const operator = binary.operatorToken.kind;
      if (operator !== K.BarBarToken && operator !== K.QuestionQuestionToken) return undefined;
      const fallback = generatedValue(binary.right, lookup, sourceFile, depth + 1);
      const variable = fallback === undefined ? undefined : envVariable(binary.left, lookup);
      return fallback === undefined || variable === undefined ? undefined : { node: fallback.node, source: fallback.source, envFallback: variable };
    }
    case K.CallExpression: {
      const call = node as ts.CallExpression;
      if (isRandomCall(call, lookup)) return { node: call, source: nodeText(call, sourceFile).slice(0, 200) };
      const callee = skipWrappers(call.expression);
      // `x.toString('hex')`: the receiver's randomness.
      if (callee.kind === K.PropertyAccessExpression && CARRIERS.has((callee as ts.PropertyAccessExpression).name.text)) {
        return generatedValue((callee as ts.PropertyAccessExpression).expression, lookup, sourceFile, depth + 1);
      }
      // `Buffer.from(x)`, `createSecretKey(x)`, `String(x)`, `new TextEncoder().encode(x)`: the first argument's.
      const target = calleeOf(callee, lookup);
      const carrier = target !== undefined && (
        (target.global === 'Buffer' && target.members.join('.') === 'from') ||
        (target.global === 'String' && target.members.length === 0) ||
        (target.module !== undefined && CRYPTO.has(target.module) && [target.name, ...target.members].includes('createSecretKey'))
      ) || (callee.kind === K.PropertyAccessExpression && (callee as ts.PropertyAccessExpression).name.text === 'encode');
      const first = call.arguments[0];
      return carrier && first !== undefined ? generatedValue(first, lookup, sourceFile, depth + 1) : undefined;
    }
    case K.TemplateExpression: {
      for (const span of (node as ts.TemplateExpression).templateSpans) {
        const inner = generatedValue(span.expression, lookup, sourceFile, depth + 1);
        if (inner !== undefined) return inner;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** `process.env.X`, `process.env['X']`, or `env.X` with `env` an alias of `process.env`. */
function envVariable(expression: ts.Expression, lookup: Lookup): string | undefined {
  const node = skipWrappers(expression);
  if (node.kind !== K.PropertyAccessExpression && node.kind !== K.ElementAccessExpression) return undefined;
  const object = skipWrappers((node as ts.PropertyAccessExpression).expression);
  const isEnv = isProcessEnv(object) || (object.kind === K.Identifier && lookup((object as ts.Identifier).text)?.kind === 'process-env');
  if (!isEnv) return undefined;
  return node.kind === K.PropertyAccessExpression ? (node as ts.PropertyAccessExpression).name.text : stringValue((node as ts.ElementAccessExpression).argumentExpression);
}

export interface DeclaredKey extends Generated {
  binding: string;
  path?: string;
}

/**
 * The random values a module-level declaration binds: `const KEY = randomBytes(32)`,
 * `const { privateKey, publicKey } = generateKeyPairSync('rsa', …)`, and properties of a config
 * object (`const config = { jwt: { secret: randomBytes(32).toString('hex') } }`, up to three levels).
 */
export function declaredKeys(declaration: ts.VariableDeclaration, lookup: Lookup, sourceFile: ts.SourceFile): DeclaredKey[] {
  const initializer = declaration.initializer;
  if (initializer === undefined) return [];
  const name = declaration.name;
  if (name.kind === K.ObjectBindingPattern) {
    const generated = generatedValue(initializer, lookup, sourceFile);
    if (generated === undefined) return [];
    return name.elements.flatMap((element) => (element.name.kind === K.Identifier ? [{ ...generated, binding: element.name.text }] : []));
  }
  if (name.kind !== K.Identifier) return [];
  const bare = skipWrappers(initializer);
  if (bare.kind === K.ObjectLiteralExpression) {
    const keys: DeclaredKey[] = [];
    collectProperties(bare as ts.ObjectLiteralExpression, [], lookup, sourceFile, (path, generated) => keys.push({ ...generated, binding: name.text, path: path.join('.') }));
    return keys;
  }
  const generated = generatedValue(initializer, lookup, sourceFile);
  return generated === undefined ? [] : [{ ...generated, binding: name.text }];
}

function collectProperties(object: ts.ObjectLiteralExpression, path: string[], lookup: Lookup, sourceFile: ts.SourceFile, found: (path: string[], generated: Generated) => void): void {
  if (path.length >= 3) return;
  for (const property of object.properties) {
    if (property.kind !== K.PropertyAssignment) continue;
    const key = property.name.kind === K.Identifier ? property.name.text : stringValue(property.name);
    if (key === undefined) continue;
    const value = skipWrappers(property.initializer);
    if (value.kind === K.ObjectLiteralExpression) {
      collectProperties(value as ts.ObjectLiteralExpression, [...path, key], lookup, sourceFile, found);
      continue;
    }
    const generated = generatedValue(value, lookup, sourceFile);
    if (generated !== undefined) found([...path, key], generated);
  }
}

export interface SinkArgument {
  node: ts.Expression;
  api: string;
  purpose: KeyPurpose;
  role: 'key' | 'iv';
}

/** Option names that carry a key, by module, for calls given an options object. */
const OPTION_SINKS: Readonly<Record<string, { api: string; purpose: KeyPurpose; options: readonly string[] }>> = {
  'express-session': { api: 'express-session', purpose: 'cookie', options: ['secret'] },
  'cookie-session': { api: 'cookie-session', purpose: 'cookie', options: ['secret', 'keys'] },
  'express-jwt': { api: 'express-jwt', purpose: 'token', options: ['secret'] },
  'passport-jwt': { api: 'passport-jwt `Strategy`', purpose: 'token', options: ['secretOrKey'] },
  '@nestjs/jwt': { api: '@nestjs/jwt', purpose: 'token', options: ['secret', 'privateKey', 'publicKey'] },
};
const JOSE_CHAINS = new Set(['SignJWT', 'EncryptJWT', 'CompactSign', 'FlattenedSign', 'GeneralSign', 'CompactEncrypt']);
const JOSE_CALLS = new Set(['jwtVerify', 'jwtDecrypt', 'compactVerify', 'compactDecrypt']);
const SINK_MODULES = new Set([...CRYPTO, 'jsonwebtoken', 'jose', 'cookie-parser', ...Object.keys(OPTION_SINKS)]);

/**
 * A cheap test before `sinkArguments`: the callee starts with an imported (interesting) name, or
 * is a `.sign(…)`/`.encrypt(…)` that may end a jose chain. Most calls are neither.
 */
export function mayBeSink(call: ts.CallExpression | ts.NewExpression, interesting: ReadonlySet<string>): boolean {
  let callee = call.expression;
  if (callee.kind === K.PropertyAccessExpression) {
    const method = (callee as ts.PropertyAccessExpression).name.text;
    if (method === 'sign' || method === 'encrypt') return true;
  }
  while (callee.kind === K.PropertyAccessExpression) callee = (callee as ts.PropertyAccessExpression).expression;
  return callee.kind === K.Identifier && interesting.has((callee as ts.Identifier).text);
}

/**
 * The arguments a call passes as a key, secret or IV: `jwt.sign(payload, KEY)`, `createHmac('sha256', KEY)`,
 * `createCipheriv(alg, KEY, IV)`, `cookieParser(SECRET)`, `session({ secret })`, `new SignJWT(claims).sign(KEY)`.
 */
export function sinkArguments(call: ts.CallExpression | ts.NewExpression, lookup: Lookup): SinkArgument[] {
  const args = call.arguments ?? [];
  const callee = skipWrappers(call.expression);
  // `new SignJWT(claims).setProtectedHeader(…).sign(KEY)`: the chain starts with a jose constructor.
  if (call.kind === K.CallExpression && callee.kind === K.PropertyAccessExpression) {
    const method = (callee as ts.PropertyAccessExpression).name.text;
    if ((method === 'sign' || method === 'encrypt') && args[0] !== undefined) {
      let receiver = skipWrappers((callee as ts.PropertyAccessExpression).expression);
      while (receiver.kind === K.CallExpression && skipWrappers((receiver as ts.CallExpression).expression).kind === K.PropertyAccessExpression) {
        receiver = skipWrappers(((receiver as ts.CallExpression).expression as ts.PropertyAccessExpression).expression);
      }
      if (receiver.kind === K.NewExpression) {
        const origin = calleeOf((receiver as ts.NewExpression).expression, lookup);
        const name = origin?.members.at(-1) ?? origin?.name;
        if (origin?.module === 'jose' && name !== undefined && JOSE_CHAINS.has(name)) return [{ node: args[0], api: `jose \`${name}\`.${method}`, purpose: 'token', role: 'key' }];
      }
    }
  }
  const target = calleeOf(callee, lookup);
  // Web Crypto: `crypto.subtle.sign('HMAC', key, data)`, `crypto.subtle.encrypt(params, key, data)`.
  const subtle = target === undefined ? undefined
    : target.global === 'crypto' ? target.members.join('.')
      : target.module !== undefined && CRYPTO.has(target.module) ? [...(target.name === '*' || target.name === 'default' ? [] : [target.name!]), ...target.members].join('.').replace(/^webcrypto\./, '') : undefined;
  if (subtle === 'subtle.sign' || subtle === 'subtle.verify') return args[1] === undefined ? [] : [{ node: args[1], api: `crypto.${subtle}`, purpose: 'hmac', role: 'key' }];
  if (subtle === 'subtle.encrypt' || subtle === 'subtle.decrypt') return args[1] === undefined ? [] : [{ node: args[1], api: `crypto.${subtle}`, purpose: 'cipher', role: 'key' }];
  if (target?.module === undefined || !SINK_MODULES.has(target.module)) return [];
  const { module } = target;
  const whole = target.name === '*' || target.name === 'default';
  const fn = whole ? target.members.join('.') : [target.name!, ...target.members].join('.');
  const at = (index: number, api: string, purpose: KeyPurpose, role: 'key' | 'iv' = 'key'): SinkArgument[] => (args[index] === undefined ? [] : [{ node: args[index]!, api, purpose, role }]);
  if (module === 'jsonwebtoken') return fn === 'sign' || fn === 'verify' ? at(1, `jwt.${fn}`, 'token') : [];
  if (module === 'jose') return JOSE_CALLS.has(fn) ? at(1, `jose \`${fn}\``, 'token') : [];
  if (CRYPTO.has(module)) {
    if (fn === 'createHmac') return at(1, 'createHmac', 'hmac');
    if (fn === 'createCipheriv' || fn === 'createDecipheriv') return [...at(1, fn, 'cipher'), ...at(2, fn, 'cipher', 'iv')];
    return [];
  }
  if (module === 'cookie-parser') return fn === '' ? at(0, 'cookie-parser', 'cookie') : [];
  const sink = OPTION_SINKS[module];
  if (sink === undefined) return [];
  const options = args.map((argument) => objectLiteral(argument, lookup)).find((object) => object !== undefined);
  if (options === undefined) return [];
  const found: SinkArgument[] = [];
  for (const property of options.properties) {
    if (property.kind !== K.PropertyAssignment && property.kind !== K.ShorthandPropertyAssignment) continue;
    const key = property.name.kind === K.Identifier ? property.name.text : stringValue(property.name);
    if (key === undefined || !sink.options.includes(key)) continue;
    const value = property.kind === K.PropertyAssignment ? skipWrappers(property.initializer) : property.name;
    // `keys: [KEY_A, KEY_B]`, `secret: [current, previous]`: each element is a key.
    const values = value.kind === K.ArrayLiteralExpression ? [...(value as ts.ArrayLiteralExpression).elements] : [value];
    for (const node of values) found.push({ node, api: `${sink.api} \`${key}\``, purpose: sink.purpose, role: 'key' });
  }
  return found;
}

/** An object literal written inline, or the initializer of a const it names. */
function objectLiteral(argument: ts.Expression, lookup: Lookup): ts.ObjectLiteralExpression | undefined {
  let node = skipWrappers(argument);
  if (node.kind === K.Identifier) {
    const entry = lookup((node as ts.Identifier).text);
    const init = entry?.kind === 'binding' || entry?.kind === 'local' ? entry.init : undefined;
    if (init === undefined) return undefined;
    node = skipWrappers(init);
  }
  return node.kind === K.ObjectLiteralExpression ? (node as ts.ObjectLiteralExpression) : undefined;
}

/**
 * The random value an argument is, written inline or through a local const of the enclosing
 * function (`const secret = randomBytes(32).toString('hex'); app.use(session({ secret }))`).
 * Module bindings are left to the rule, which follows their reads across files.
 */
export function generatedArgument(argument: ts.Expression, lookup: Lookup, sourceFile: ts.SourceFile): Generated | undefined {
  const node = skipWrappers(argument);
  if (node.kind === K.Identifier) {
    const entry = lookup((node as ts.Identifier).text);
    return entry?.kind === 'local' && entry.isConst && entry.init !== undefined ? generatedValue(entry.init, lookup, sourceFile) : undefined;
  }
  return generatedValue(node, lookup, sourceFile);
}

/** Arguments not worth recording: string literals and direct env reads (a key from the environment or a file is stable). */
export function isStableArgument(argument: ts.Expression, lookup: Lookup): boolean {
  const node = skipWrappers(argument);
  return stringValue(node) !== undefined || envVariable(node, lookup) !== undefined;
}
