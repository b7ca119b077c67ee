// Classes with one instance per process, and the instance fields that instance holds. A class of
// this file instantiated at module level (`export default new JobRegistry()`, `export const store =
// new Store()`, `module.exports = new Cache()`) is built once when the module loads; its fields
// are module state under another name.
import { ts } from 'ts-morph';
import { hasModifier, skipWrappers } from './syntax.js';

const K = ts.SyntaxKind;

/** A module-level statement that instantiates a class: the class name and the statement as messages quote it. */
export function moduleInstance(statement: ts.Statement): { className: string; text: string; exportedAs?: string } | undefined {
  switch (statement.kind) {
    case K.VariableStatement: {
      const list = (statement as ts.VariableStatement).declarationList;
      const declaration = list.declarations.length === 1 ? list.declarations[0]! : undefined;
      if (declaration === undefined || declaration.name.kind !== K.Identifier || declaration.initializer === undefined) return undefined;
      const className = instantiated(declaration.initializer);
      if (className === undefined) return undefined;
      const kind = (list.flags & ts.NodeFlags.Const) !== 0 ? 'const' : (list.flags & ts.NodeFlags.Let) !== 0 ? 'let' : 'var';
      const exported = hasModifier(statement, K.ExportKeyword);
      const text = `${exported ? 'export ' : ''}${kind} ${declaration.name.text} = new ${className}()`;
      return exported ? { className, text, exportedAs: declaration.name.text } : { className, text };
    }
    case K.ExportAssignment: {
      const className = instantiated((statement as ts.ExportAssignment).expression);
      return className === undefined ? undefined : { className, text: `export default new ${className}()`, exportedAs: 'default' };
    }
    case K.ExpressionStatement: {
      const expression = (statement as ts.ExpressionStatement).expression;
      if (expression.kind !== K.BinaryExpression || (expression as ts.BinaryExpression).operatorToken.kind !== K.EqualsToken) return undefined;
      const left = (expression as ts.BinaryExpression).left;
      if (left.kind !== K.PropertyAccessExpression || (left as ts.PropertyAccessExpression).name.text !== 'exports') return undefined;
      const owner = (left as ts.PropertyAccessExpression).expression;
      if (owner.kind !== K.Identifier || (owner as ts.Identifier).text !== 'module') return undefined;
      const className = instantiated((expression as ts.BinaryExpression).right);
      return className === undefined ? undefined : { className, text: `module.exports = new ${className}()`, exportedAs: 'module.exports' };
    }
    default:
      return undefined;
  }
}

/** `new X(…)` with `X` a plain name. */
function instantiated(expression: ts.Expression): string | undefined {
  const node = skipWrappers(expression);
  if (node.kind !== K.NewExpression) return undefined;
  const callee = (node as ts.NewExpression).expression;
  return callee.kind === K.Identifier ? (callee as ts.Identifier).text : undefined;
}

export interface FieldDeclaration {
  name: string;
  /** Where a finding about the field points: its declaration, or its first assignment in the constructor. */
  node: ts.Node;
  initializer?: ts.Expression;
  type?: ts.TypeNode;
}

/**
 * The instance fields of a class: declared properties (their initializer, or else the value the
 * constructor's own statements assign), and in JavaScript the `this.x = …` of the constructor.
 * Constructor parameter properties (`constructor(private redis: Redis)`) are injected, not state.
 */
export function instanceFields(node: ts.ClassLikeDeclaration): Map<string, FieldDeclaration> {
  const fields = new Map<string, FieldDeclaration>();
  let constructor: ts.ConstructorDeclaration | undefined;
  for (const member of node.members) {
    if (member.kind === K.Constructor) constructor = member as ts.ConstructorDeclaration;
    if (member.kind !== K.PropertyDeclaration || hasModifier(member, K.StaticKeyword)) continue;
    const property = member as ts.PropertyDeclaration;
    if (property.name.kind !== K.Identifier && property.name.kind !== K.PrivateIdentifier) continue;
    const field: FieldDeclaration = { name: property.name.text, node: property.name };
    if (property.initializer !== undefined) field.initializer = property.initializer;
    if (property.type !== undefined) field.type = property.type;
    fields.set(field.name, field);
  }
  for (const statement of constructor?.body?.statements ?? []) {
    if (statement.kind !== K.ExpressionStatement) continue;
    const expression = (statement as ts.ExpressionStatement).expression;
    if (expression.kind !== K.BinaryExpression || (expression as ts.BinaryExpression).operatorToken.kind !== K.EqualsToken) continue;
    const left = (expression as ts.BinaryExpression).left;
    if (left.kind !== K.PropertyAccessExpression || (left as ts.PropertyAccessExpression).expression.kind !== K.ThisKeyword) continue;
    const name = (left as ts.PropertyAccessExpression).name.text;
    const known = fields.get(name);
    if (known === undefined) fields.set(name, { name, node: left, initializer: (expression as ts.BinaryExpression).right });
    else known.initializer ??= (expression as ts.BinaryExpression).right;
  }
  return fields;
}

/** `constructor(private readonly otp: OtpService)`: parameter properties and their type names, the providers Nest injects. */
export function injectedParameters(node: ts.ClassLikeDeclaration): Map<string, string> {
  const injected = new Map<string, string>();
  for (const member of node.members) {
    if (member.kind !== K.Constructor) continue;
    for (const parameter of (member as ts.ConstructorDeclaration).parameters) {
      const property = hasModifier(parameter, K.PrivateKeyword) || hasModifier(parameter, K.PublicKeyword) || hasModifier(parameter, K.ProtectedKeyword) || hasModifier(parameter, K.ReadonlyKeyword);
      const type = parameter.type;
      if (!property || parameter.name.kind !== K.Identifier || type === undefined || type.kind !== K.TypeReference) continue;
      const typeName = (type as ts.TypeReferenceNode).typeName;
      if (typeName.kind === K.Identifier) injected.set(parameter.name.text, typeName.text);
    }
  }
  return injected;
}
