// NestJS module wiring lives in decorators, which the walk does not enter (they hold metadata, not
// runtime code): `@Module({ imports: [CacheModule.register({ ttl: 5000 })] })`. This finds the
// calls in a class's `@Module({ imports })` so they are recorded like any other library call.
import { ts } from 'ts-morph';
import { dottedName, skipWrappers } from './syntax.js';

const K = ts.SyntaxKind;

/** `X.register(…)`, `X.forRoot(…)`… listed in the `imports` of the class's `@Module({ … })`. */
export function moduleImportCalls(node: ts.ClassLikeDeclaration): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  for (const modifier of node.modifiers ?? []) {
    if (modifier.kind !== K.Decorator) continue;
    const expression = skipWrappers(modifier.expression);
    if (expression.kind !== K.CallExpression || dottedName((expression as ts.CallExpression).expression) !== 'Module') continue;
    const options = (expression as ts.CallExpression).arguments[0];
    if (options === undefined || skipWrappers(options).kind !== K.ObjectLiteralExpression) continue;
    for (const property of (skipWrappers(options) as ts.ObjectLiteralExpression).properties) {
      if (property.kind !== K.PropertyAssignment || property.name.kind !== K.Identifier || property.name.text !== 'imports') continue;
      const list = skipWrappers(property.initializer);
      if (list.kind !== K.ArrayLiteralExpression) continue;
      for (const element of (list as ts.ArrayLiteralExpression).elements) {
        const bare = skipWrappers(element);
        if (bare.kind === K.CallExpression && (bare as ts.CallExpression).expression.kind === K.PropertyAccessExpression) calls.push(bare as ts.CallExpression);
      }
    }
  }
  return calls;
}
