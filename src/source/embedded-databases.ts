// Recognises databases opened on a local file by the libraries that keep them there: SQLite
// (better-sqlite3, sqlite3, sqlite, and Sequelize, TypeORM or knex configured for it), lowdb,
// NeDB, LevelDB (level, classic-level) and node-json-db. In-memory databases (`:memory:`, NeDB
// without a filename, lowdb's Memory adapter) are not recognised: they are in-memory state.
import { ts } from 'ts-morph';
import type { FsImport } from './fs-calls.js';
import { requireSpecifier, skipWrappers, stringValue } from './syntax.js';

const K = ts.SyntaxKind;

export interface RecognisedDatabase {
  library: string;
  /** How the code opens it, as messages name it: `new Database()`, `JSONFilePreset()`. */
  api: string;
  /** The expression naming the file or folder, when there is one. */
  pathArgument?: ts.Expression;
  /** The path read out of a connection URL literal (`new Sequelize('sqlite:./data/app.sqlite')`). */
  pathLiteral?: string;
}

type Lookup = (name: string) => FsImport | undefined;
/** The initializer of the `const` a name stands for, in scope where the call is. */
type InitializerOf = (name: string) => ts.Expression | undefined;

const LOWDB_ADAPTERS = new Set(['JSONFile', 'JSONFileSync', 'TextFile', 'TextFileSync', 'DataFile', 'DataFileSync']);
const LOWDB_PRESETS = new Set(['JSONFilePreset', 'JSONFileSyncPreset']);
const NEDB = new Set(['nedb', '@seald-io/nedb', 'nedb-promises']);
const SQLITE_TYPES = new Set(['sqlite', 'better-sqlite3']);
const KNEX_SQLITE = new Set(['sqlite3', 'sqlite', 'better-sqlite3']);
/** MikroORM's SQLite drivers: importing `MikroORM` or `defineConfig` from one means a SQLite file. */
const MIKRO_ORM_SQLITE = new Set(['@mikro-orm/sqlite', '@mikro-orm/better-sqlite']);

/** What the callee names: the package and export, `member` for `ns.member(…)`. */
interface Callee {
  module: string;
  name: string;
  member?: string;
}

export function recogniseEmbeddedDatabase(
  node: ts.CallExpression | ts.NewExpression,
  lookup: Lookup,
  initializerOf: InitializerOf,
): RecognisedDatabase | undefined {
  const callee = resolveCallee(skipWrappers(node.expression), lookup, initializerOf);
  if (callee === undefined) return undefined;
  const isNew = node.kind === K.NewExpression;
  const args = node.arguments ?? ts.factory.createNodeArray<ts.Expression>();
  const first = args[0] === undefined ? undefined : skipWrappers(args[0]);
  const { module, name, member } = callee;
  const whole = name === 'default' || name === '*';
  const exported = whole ? member : member === undefined ? name : undefined;

  if (module === 'better-sqlite3' && whole && member === undefined) return fileArgument('better-sqlite3', isNew ? 'new Database()' : 'Database()', first, initializerOf);
  if (module === 'sqlite3' && exported === 'Database' && isNew) return fileArgument('sqlite3', 'new sqlite3.Database()', first, initializerOf);
  if (module === 'sqlite' && exported === 'open' && !isNew) return optionPath('sqlite', 'open()', objectArgument(args, initializerOf), 'filename', initializerOf);
  if ((module === 'lowdb/node' || module === 'lowdb') && exported !== undefined) {
    if (LOWDB_ADAPTERS.has(exported) && isNew) return fileArgument('lowdb', `new ${exported}()`, first, initializerOf);
    if (LOWDB_PRESETS.has(exported) && !isNew) return fileArgument('lowdb', `${exported}()`, first, initializerOf);
    return undefined;
  }
  if ((module === 'lowdb/adapters/FileSync' || module === 'lowdb/adapters/FileAsync') && whole && member === undefined && isNew) {
    return fileArgument('lowdb', `new ${module.slice(module.lastIndexOf('/') + 1)}()`, first, initializerOf);
  }
  if (NEDB.has(module) && whole && ((isNew && member === undefined) || (!isNew && member === 'create'))) {
    return nedb(module, isNew ? 'new Datastore()' : 'Datastore.create()', first, initializerOf);
  }
  if (module === 'level' && ((exported === 'Level' && isNew) || (whole && member === undefined && !isNew))) return fileArgument('level', isNew ? 'new Level()' : 'level()', first, initializerOf);
  if (module === 'classic-level' && exported === 'ClassicLevel' && isNew) return fileArgument('classic-level', 'new ClassicLevel()', first, initializerOf);
  if (module === 'node-json-db' && exported === 'JsonDB' && isNew) return jsonDb(first, lookup, initializerOf);
  if ((module === 'sequelize' || module === '@sequelize/core') && exported === 'Sequelize' && isNew) return sequelize(module, args, initializerOf);
  if (module === 'typeorm' && ((exported === 'DataSource' && isNew) || (exported === 'createConnection' && !isNew))) {
    return typeOrm(isNew ? 'new DataSource()' : 'createConnection()', objectArgument(args, initializerOf), initializerOf);
  }
  if (module === '@nestjs/typeorm' && name === 'TypeOrmModule' && member === 'forRoot' && !isNew) return typeOrm('TypeOrmModule.forRoot()', objectArgument(args, initializerOf), initializerOf);
  if (module === '@nestjs/typeorm' && name === 'TypeOrmModule' && member === 'forRootAsync' && !isNew) {
    return typeOrm('TypeOrmModule.forRootAsync()', factoryResult(objectArgument(args, initializerOf)), initializerOf);
  }
  if (MIKRO_ORM_SQLITE.has(module) && ((name === 'MikroORM' && member === 'init') || exported === 'defineConfig') && !isNew) {
    return optionPath(module, name === 'MikroORM' ? 'MikroORM.init()' : 'defineConfig()', objectArgument(args, initializerOf), 'dbName', initializerOf);
  }
  if (module === 'knex' && (whole || name === 'knex') && member === undefined && !isNew) return knex(objectArgument(args, initializerOf), initializerOf);
  return undefined;
}

/**
 * `Database`, `sqlite3.Database`, `TypeOrmModule.forRoot`, and `sqlite3.Database` with
 * `const sqlite3 = require('sqlite3').verbose()` (the documented way to open sqlite3).
 */
function resolveCallee(callee: ts.Expression, lookup: Lookup, initializerOf: InitializerOf): Callee | undefined {
  if (callee.kind === K.Identifier) {
    const imported = lookup((callee as ts.Identifier).text);
    return imported === undefined ? undefined : { module: imported.module, name: imported.name };
  }
  // require('knex')({ … }), new (require('better-sqlite3'))('app.db')
  const required = requireSpecifier(callee);
  if (required !== undefined) return { module: required, name: '*' };
  if (callee.kind !== K.PropertyAccessExpression) return undefined;
  const access = callee as ts.PropertyAccessExpression;
  const owner = skipWrappers(access.expression);
  const member = access.name.text;
  if (owner.kind === K.Identifier) {
    const imported = lookup((owner as ts.Identifier).text);
    if (imported !== undefined) return { module: imported.module, name: imported.name, member };
    if (member !== 'Database') return undefined;
    const initializer = initializerOf((owner as ts.Identifier).text);
    const verbose = initializer === undefined ? undefined : verboseOf(skipWrappers(initializer), lookup);
    return verbose === undefined ? undefined : { module: verbose, name: '*', member };
  }
  // require('sqlite3').verbose().Database, (require('better-sqlite3'))
  const verbose = verboseOf(owner, lookup);
  return verbose === undefined ? undefined : { module: verbose, name: '*', member };
}

/** `require('sqlite3').verbose()` or `sqlite3.verbose()`: the module whose verbose build it is. */
function verboseOf(node: ts.Expression, lookup: Lookup): string | undefined {
  if (node.kind !== K.CallExpression) return undefined;
  const callee = skipWrappers((node as ts.CallExpression).expression);
  if (callee.kind !== K.PropertyAccessExpression || (callee as ts.PropertyAccessExpression).name.text !== 'verbose') return undefined;
  const owner = skipWrappers((callee as ts.PropertyAccessExpression).expression);
  const required = requireSpecifier(owner);
  if (required !== undefined) return required === 'sqlite3' ? required : undefined;
  return owner.kind === K.Identifier && lookup((owner as ts.Identifier).text)?.module === 'sqlite3' ? 'sqlite3' : undefined;
}

/** A file path argument; `:memory:` and the empty string (a temporary database) are not files. */
function fileArgument(library: string, api: string, argument: ts.Expression | undefined, initializerOf: InitializerOf): RecognisedDatabase | undefined {
  if (argument === undefined || isMemoryPath(skipWrappers(argument), initializerOf)) return undefined;
  return { library, api, pathArgument: argument };
}

/** `':memory:'`, `''`, `'file:x?mode=memory'`, or a `const` holding one. */
function isMemoryPath(argument: ts.Expression, initializerOf: InitializerOf): boolean {
  let literal = stringValue(argument);
  if (literal === undefined && argument.kind === K.Identifier) {
    const initializer = initializerOf((argument as ts.Identifier).text);
    literal = initializer === undefined ? undefined : stringValue(skipWrappers(initializer));
  }
  return literal !== undefined && (literal === '' || literal.includes(':memory:') || /[?&]mode=memory\b/.test(literal));
}

function optionPath(library: string, api: string, options: ts.ObjectLiteralExpression | undefined, key: string, initializerOf: InitializerOf): RecognisedDatabase | undefined {
  const value = options === undefined ? undefined : option(options, key);
  return value === undefined ? undefined : fileArgument(library, api, value, initializerOf);
}

/** `new Datastore({ filename, autoload })`, `new Datastore('x.db')`; no filename or `inMemoryOnly: true` is in memory. */
function nedb(module: string, api: string, first: ts.Expression | undefined, initializerOf: InitializerOf): RecognisedDatabase | undefined {
  if (first === undefined) return undefined;
  const options = objectLiteral(first, initializerOf);
  if (options === undefined) return fileArgument(module, api, first, initializerOf);
  const inMemory = option(options, 'inMemoryOnly');
  if (inMemory !== undefined && inMemory.kind !== K.FalseKeyword) return undefined;
  return optionPath(module, api, options, 'filename', initializerOf);
}

/** `new JsonDB(new Config('db', true))` or the older `new JsonDB('db', true)`: the file is `db.json`. */
function jsonDb(first: ts.Expression | undefined, lookup: Lookup, initializerOf: InitializerOf): RecognisedDatabase | undefined {
  if (first === undefined) return undefined;
  if (first.kind === K.NewExpression) {
    const config = first as ts.NewExpression;
    const callee = skipWrappers(config.expression);
    const isConfig = callee.kind === K.Identifier && lookup((callee as ts.Identifier).text)?.module === 'node-json-db';
    return isConfig ? fileArgument('node-json-db', 'new JsonDB()', config.arguments?.[0], initializerOf) : undefined;
  }
  return fileArgument('node-json-db', 'new JsonDB()', first, initializerOf);
}

/** `new Sequelize({ dialect: 'sqlite', storage })`, `new Sequelize(db, user, pass, { … })`, `new Sequelize('sqlite:./app.sqlite')`. */
function sequelize(module: string, args: ts.NodeArray<ts.Expression>, initializerOf: InitializerOf): RecognisedDatabase | undefined {
  const url = args[0] === undefined ? undefined : stringValue(skipWrappers(args[0]));
  if (url !== undefined && url.startsWith('sqlite:')) {
    const file = url.replace(/^sqlite:(\/\/)?/, '');
    return file === '' || file.includes(':memory') ? undefined : { library: module, api: "new Sequelize('sqlite:…')", pathLiteral: file };
  }
  const options = objectArgument(args, initializerOf);
  const dialect = options === undefined ? undefined : stringValue(option(options, 'dialect'));
  if (dialect !== 'sqlite') return undefined;
  return optionPath(module, "new Sequelize({ dialect: 'sqlite' })", options, 'storage', initializerOf);
}

/** `{ type: 'sqlite', database: 'app.sqlite' }` (and `better-sqlite3`): `database` is the file. */
function typeOrm(api: string, options: ts.ObjectLiteralExpression | undefined, initializerOf: InitializerOf): RecognisedDatabase | undefined {
  const type = options === undefined ? undefined : stringValue(option(options, 'type'));
  if (type === undefined || !SQLITE_TYPES.has(type)) return undefined;
  return optionPath('typeorm', api.replace('()', `({ type: '${type}' })`), options, 'database', initializerOf);
}

/** `knex({ client: 'sqlite3', connection: { filename } })`. */
function knex(options: ts.ObjectLiteralExpression | undefined, initializerOf: InitializerOf): RecognisedDatabase | undefined {
  const client = options === undefined ? undefined : stringValue(option(options, 'client'));
  if (client === undefined || !KNEX_SQLITE.has(client)) return undefined;
  const connection = option(options!, 'connection');
  const bare = connection === undefined ? undefined : skipWrappers(connection);
  if (bare === undefined || bare.kind !== K.ObjectLiteralExpression) return undefined;
  return optionPath('knex', `knex({ client: '${client}' })`, bare as ts.ObjectLiteralExpression, 'filename', initializerOf);
}

/** `{ useFactory: (config) => ({ type: 'sqlite', … }) }`: the object the factory returns, when it spells one out. */
function factoryResult(options: ts.ObjectLiteralExpression | undefined): ts.ObjectLiteralExpression | undefined {
  const factory = options === undefined ? undefined : option(options, 'useFactory');
  const fn = factory === undefined ? undefined : skipWrappers(factory);
  if (fn === undefined || (fn.kind !== K.ArrowFunction && fn.kind !== K.FunctionExpression)) return undefined;
  const body = (fn as ts.ArrowFunction | ts.FunctionExpression).body;
  let result: ts.Expression | undefined;
  if (body.kind === K.Block) {
    const returned = (body as ts.Block).statements.find((statement) => statement.kind === K.ReturnStatement) as ts.ReturnStatement | undefined;
    result = returned?.expression;
  } else {
    result = body as ts.Expression;
  }
  const bare = result === undefined ? undefined : skipWrappers(result);
  return bare !== undefined && bare.kind === K.ObjectLiteralExpression ? (bare as ts.ObjectLiteralExpression) : undefined;
}

/** The first argument that is an object literal, or a `const` initialised with one. */
function objectArgument(args: ts.NodeArray<ts.Expression>, initializerOf: InitializerOf): ts.ObjectLiteralExpression | undefined {
  for (const argument of args) {
    const literal = objectLiteral(skipWrappers(argument), initializerOf);
    if (literal !== undefined) return literal;
  }
  return undefined;
}

function objectLiteral(node: ts.Expression, initializerOf: InitializerOf): ts.ObjectLiteralExpression | undefined {
  if (node.kind === K.ObjectLiteralExpression) return node as ts.ObjectLiteralExpression;
  if (node.kind !== K.Identifier) return undefined;
  const initializer = initializerOf((node as ts.Identifier).text);
  const bare = initializer === undefined ? undefined : skipWrappers(initializer);
  return bare !== undefined && bare.kind === K.ObjectLiteralExpression ? (bare as ts.ObjectLiteralExpression) : undefined;
}

/** The value of `key` in an object literal: the initializer, or the name of a shorthand property. */
function option(options: ts.ObjectLiteralExpression, key: string): ts.Expression | undefined {
  for (const property of options.properties) {
    const name = property.name === undefined ? undefined : property.name.kind === K.Identifier ? property.name.text : stringValue(property.name);
    if (name !== key) continue;
    if (property.kind === K.PropertyAssignment) return property.initializer;
    if (property.kind === K.ShorthandPropertyAssignment) return property.name;
  }
  return undefined;
}
