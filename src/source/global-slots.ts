// Process-wide slots outside module scope: `global.x`, `globalThis.x`, and Express's `app.locals.x`
// (also reached as `req.app.locals.x`). `res.locals` lives for one request and is not one of them.
import { ts } from 'ts-morph';
import { dottedName } from './syntax.js';

const K = ts.SyntaxKind;

export type GlobalRoot = 'global' | 'globalThis' | 'app.locals';

/**
 * The slot `access` names, if it is one: `global.onlineUsers` → `{ root: 'global', name: 'onlineUsers' }`.
 * The caller checks that `global`/`globalThis` is not a local of the same name.
 */
export function globalSlotAccess(access: ts.PropertyAccessExpression): { root: GlobalRoot; name: string } | undefined {
  const object = access.expression;
  if (object.kind === K.Identifier) {
    const text = (object as ts.Identifier).text;
    return text === 'global' || text === 'globalThis' ? { root: text, name: access.name.text } : undefined;
  }
  if (object.kind !== K.PropertyAccessExpression || (object as ts.PropertyAccessExpression).name.text !== 'locals') return undefined;
  const owner = dottedName((object as ts.PropertyAccessExpression).expression);
  return owner !== undefined && /(^|\.)app$/.test(owner) ? { root: 'app.locals', name: access.name.text } : undefined;
}
