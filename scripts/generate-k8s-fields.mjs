// Writes src/manifests/k8s-fields.json: the field names of every Kubernetes object type, read
// from the `.d.ts` interfaces of kubernetes-models and @kubernetes-models/apimachinery (generated
// from the Kubernetes OpenAPI spec). The package's validators accept unknown fields, so
// k8s-audit walks objects against this map to catch typos such as `imagePullpolicy`.
//
// Format (kept compact: the runtime loads it on every audit):
//   gvk:   { "apps/v1/Deployment": "IoK8sApiAppsV1Deployment" }   root type, = the validator module name
//   types: { "<type>": { "<field>": <shape> } }
//   shape: 0 (scalar, or anything not walked), "<type>" (object), "[<shape>" (list of), "{<shape>" (map of)
//
// Usage: node scripts/generate-k8s-fields.mjs   (test/k8s-fields.test.ts fails when the file is stale)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT = path.join(projectRoot, 'src/manifests/k8s-fields.json');
const PACKAGES = ['kubernetes-models', '@kubernetes-models/apimachinery'];

export function generateK8sFields(root = projectRoot) {
  /** canonical type name → { field → shape before reference resolution } */
  const types = new Map();
  const gvk = new Map();
  for (const packageName of PACKAGES) {
    const packageDir = path.join(root, 'node_modules', packageName);
    for (const file of declarationFiles(packageDir)) readDeclarations(path.join(packageDir, file), types, gvk);
  }
  // Interfaces without fields (RawExtension, JSON, FieldsV1) hold free-form data: not walked.
  for (const [name, fields] of types) if (fields.size === 0) types.delete(name);
  // References to aliases (Quantity, IntOrString, Time) or to anything not an interface are scalars.
  const resolve = (shape) => {
    if (shape === 0) return 0;
    const container = shape[0] === '[' || shape[0] === '{' ? shape[0] : '';
    if (container !== '') {
      const inner = resolve(shape.slice(1));
      return inner === 0 ? 0 : container + inner;
    }
    return types.has(shape) ? shape : 0;
  };
  const out = { gvk: {}, types: {} };
  for (const key of [...gvk.keys()].sort()) out.gvk[key] = gvk.get(key);
  for (const name of [...types.keys()].sort()) {
    const fields = {};
    for (const [field, shape] of [...types.get(name)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) fields[field] = resolve(shape);
    out.types[name] = fields;
  }
  return out;
}

/** One type per line, so a regeneration reads as a diff of the types that changed. */
export function serializeK8sFields(fields) {
  const section = (object) =>
    Object.entries(object)
      .map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`)
      .join(',\n');
  return `{"gvk":{\n${section(fields.gvk)}\n},\n"types":{\n${section(fields.types)}\n}}\n`;
}

function declarationFiles(dir, prefix = '') {
  const files = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== '_schemas' && entry.name !== 'node_modules') files.push(...declarationFiles(dir, relative));
    } else if (entry.name.endsWith('.d.ts') && entry.name !== 'index.d.ts') {
      files.push(relative);
    }
  }
  return files.sort();
}

function readDeclarations(file, types, gvk) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  /** local name → canonical name (`IIoK8sApiAppsV1DeploymentSpec`), from imports and the closing `export type { … }`. */
  const canonical = new Map();
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && statement.importClause?.namedBindings && ts.isNamedImports(statement.importClause.namedBindings)) {
      for (const element of statement.importClause.namedBindings.elements) {
        canonical.set(element.name.text, (element.propertyName ?? element.name).text);
      }
    } else if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) {
        if (element.propertyName !== undefined) canonical.set(element.propertyName.text, element.name.text);
      }
    }
  }
  const typeName = (local) => {
    const name = canonical.get(local) ?? local;
    // `IIoK8sApiAppsV1Deployment` is the interface of `IoK8sApiAppsV1Deployment`, the schema module's name.
    return name.startsWith('IIoK8s') ? name.slice(1) : name;
  };
  for (const statement of source.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    const name = typeName(statement.name.text);
    if (!name.startsWith('IoK8s')) continue;
    const fields = new Map();
    let apiVersion;
    let kind;
    for (const member of statement.members) {
      if (!ts.isPropertySignature(member) || member.type === undefined) continue;
      const field = ts.isStringLiteral(member.name) || ts.isIdentifier(member.name) ? member.name.text : undefined;
      if (field === undefined) continue;
      fields.set(field, shapeOf(member.type, typeName, types, `${name}.${field}`));
      const literal = ts.isLiteralTypeNode(member.type) && ts.isStringLiteral(member.type.literal) ? member.type.literal.text : undefined;
      if (field === 'apiVersion') apiVersion = literal;
      if (field === 'kind') kind = literal;
    }
    types.set(name, fields);
    if (apiVersion !== undefined && kind !== undefined) gvk.set(`${apiVersion}/${kind}`, name);
  }
}

function shapeOf(node, typeName, types, inlineName) {
  if (ts.isParenthesizedTypeNode(node)) return shapeOf(node.type, typeName, types, inlineName);
  if (ts.isArrayTypeNode(node)) return container('[', shapeOf(node.elementType, typeName, types, inlineName));
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
    const local = node.typeName.text;
    if (local === 'Array' && node.typeArguments?.length === 1) return container('[', shapeOf(node.typeArguments[0], typeName, types, inlineName));
    return typeName(local);
  }
  if (ts.isTypeLiteralNode(node)) {
    const index = node.members.find(ts.isIndexSignatureDeclaration);
    if (index !== undefined) return container('{', shapeOf(index.type, typeName, types, inlineName));
    // An inline object type gets a name of its own: `<Owner>.<field>`.
    const fields = new Map();
    for (const member of node.members) {
      if (ts.isPropertySignature(member) && member.type !== undefined && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name))) {
        fields.set(member.name.text, shapeOf(member.type, typeName, types, `${inlineName}.${member.name.text}`));
      }
    }
    if (fields.size === 0) return 0;
    types.set(inlineName, fields);
    return inlineName;
  }
  if (ts.isUnionTypeNode(node)) {
    const members = node.types.filter((type) => !(ts.isLiteralTypeNode(type) && type.literal.kind === ts.SyntaxKind.NullKeyword) && type.kind !== ts.SyntaxKind.UndefinedKeyword);
    return members.length === 1 ? shapeOf(members[0], typeName, types, inlineName) : 0;
  }
  return 0;
}

function container(kind, inner) {
  return inner === 0 ? 0 : kind + inner;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const fields = generateK8sFields();
  writeFileSync(OUTPUT, serializeK8sFields(fields));
  console.log(`wrote ${path.relative(process.cwd(), OUTPUT)}: ${Object.keys(fields.gvk).length} kinds, ${Object.keys(fields.types).length} types`);
}
