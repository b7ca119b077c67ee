// Network peers named in code: URL literals with a client scheme, and `host` options of client
// constructors. The link rules resolve them against the Services each overlay renders.
import { ts } from 'ts-morph';
import { isProcessEnv, skipWrappers, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

/** Schemes of clients that open a connection to the host; `file:` and `data:` name no peer. */
const CLIENT_SCHEMES = new Set([
  'redis:', 'rediss:', 'mongodb:', 'postgres:', 'postgresql:', 'mysql:', 'mariadb:', 'amqp:', 'amqps:',
  'nats:', 'kafka:', 'memcached:', 'http:', 'https:', 'ws:', 'wss:', 'grpc:', 'mqtt:',
]);
const HOST_KEYS = new Set(['host', 'hostname']);

/** The port a client connects to when the URL names none. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443, 'redis:': 6379, 'rediss:': 6379, 'postgres:': 5432, 'postgresql:': 5432,
  'mysql:': 3306, 'mariadb:': 3306, 'mongodb:': 27017, 'amqp:': 5672, 'amqps:': 5671, 'nats:': 4222, 'mqtt:': 1883, 'memcached:': 11211,
};

export interface HostAndPort {
  host: string;
  port?: number;
}

/** `redis://redis:6379/0` → `{ host: 'redis', port: 6379 }`; undefined for what is not a client URL. */
export function parseClientUrl(text: string): HostAndPort | undefined {
  if (!text.includes('://')) return undefined;
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (!CLIENT_SCHEMES.has(url.protocol) || url.hostname === '') return undefined;
  // `new URL` keeps IPv6 brackets and lower-cases the host, which is what DNS compares; it drops a
  // scheme's own default port (`http://api:80` has port ''), which the client connects to all the same.
  const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
  return { host: url.hostname, ...(port === undefined ? {} : { port }) };
}

/** A value written as a literal, or read from an env var with an optional literal fallback. */
export interface ValueSource {
  literal?: string;
  env?: string;
}

/** `'redis'`, `process.env.REDIS_HOST`, `process.env.REDIS_HOST ?? 'redis'`, `Number(process.env.P ?? 6379)`. */
export function valueSource(expression: ts.Expression): ValueSource | undefined {
  let node = skipWrappers(expression);
  // `Number(x)` / `parseInt(x, 10)` around a port.
  if (node.kind === K.CallExpression && (node as ts.CallExpression).arguments.length > 0) {
    const callee = (node as ts.CallExpression).expression;
    if (callee.kind === K.Identifier && ['Number', 'parseInt'].includes((callee as ts.Identifier).text)) {
      node = skipWrappers((node as ts.CallExpression).arguments[0] as ts.Expression);
    }
  }
  const literal = literalText(node);
  if (literal !== undefined) return { literal };
  if (node.kind === K.BinaryExpression) {
    const binary = node as ts.BinaryExpression;
    const operator = binary.operatorToken.kind;
    if (operator !== K.QuestionQuestionToken && operator !== K.BarBarToken) return undefined;
    const env = envName(skipWrappers(binary.left));
    const fallback = literalText(skipWrappers(binary.right));
    return env === undefined ? undefined : { env, ...(fallback === undefined ? {} : { literal: fallback }) };
  }
  const env = envName(node);
  return env === undefined ? undefined : { env };
}

/** The `host:` property of an object literal, and its sibling `port:`, when either is a literal or an env read. */
export function hostOption(property: ts.PropertyAssignment): { host: ValueSource; port?: ValueSource } | undefined {
  const key = property.name.kind === K.Identifier ? property.name.text : stringValue(property.name);
  if (key === undefined || !HOST_KEYS.has(key)) return undefined;
  const host = valueSource(property.initializer);
  if (host === undefined) return undefined;
  const object = property.parent;
  let port: ValueSource | undefined;
  if (object.kind === K.ObjectLiteralExpression) {
    for (const sibling of (object as ts.ObjectLiteralExpression).properties) {
      if (sibling.kind !== K.PropertyAssignment) continue;
      const name = sibling.name.kind === K.Identifier ? sibling.name.text : stringValue(sibling.name);
      if (name === 'port') port = valueSource(sibling.initializer);
    }
  }
  return { host, ...(port === undefined ? {} : { port }) };
}

function literalText(node: ts.Node): string | undefined {
  if (node.kind === K.NumericLiteral) return (node as ts.NumericLiteral).text;
  return stringValue(node);
}

function envName(node: ts.Node): string | undefined {
  if (node.kind === K.PropertyAccessExpression && isProcessEnv((node as ts.PropertyAccessExpression).expression)) {
    return (node as ts.PropertyAccessExpression).name.text;
  }
  if (node.kind === K.ElementAccessExpression && isProcessEnv((node as ts.ElementAccessExpression).expression)) {
    return stringValue((node as ts.ElementAccessExpression).argumentExpression);
  }
  return undefined;
}
