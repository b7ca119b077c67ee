// `compilerOptions.paths` of the tsconfig files that govern the scanned code: how Nx-style monorepos
// import their libraries (`@td/env` → `libs/back/env/src/index.ts`) and how apps import their own
// folders (`@/config` → `src/config.ts`) without a package.json each. Read with TypeScript's own
// JSONC parser. As in TypeScript, a file follows the nearest tsconfig above it, and that config's
// `paths` may come from the configs it `extends`; `extends` is followed only to files inside the
// scanned tree, never to an npm package or outside.
import path from 'node:path';
import { ts } from 'ts-morph';
import { readFileText } from '../file-text.js';
import { isInside, toPosixRelative } from '../posix-paths.js';

/**
 * Alias pattern (`@td/env`, `@app/*`) → targets relative to the working directory
 * (`libs/back/env/src/index.ts`, `src/*`).
 */
export type PathAliases = ReadonlyMap<string, readonly string[]>;

/** The aliases in force for a file (POSIX, relative to the working directory). */
export type AliasesFor = (file: string) => PathAliases;

/** The root may keep its paths in `tsconfig.base.json` (Nx) rather than `tsconfig.json`. */
const CONFIG_NAMES = ['tsconfig.json', 'tsconfig.base.json'];
/** Deeper chains are a loop or a mistake; TypeScript itself reports circular `extends`. */
const MAX_EXTENDS = 8;

interface CompilerPaths {
  /** Targets resolved against `baseUrl`, or against the config that declares `paths` when it has none. */
  aliases: Map<string, string[]>;
}

/**
 * Reads the tsconfig of each folder given (the scanned roots and every package or app folder) and
 * returns, for a file, the aliases of the deepest of those folders holding it that has a config.
 */
export function readPathAliases(cwd: string, roots: readonly string[], folders: readonly string[]): AliasesFor {
  const byFolder = new Map<string, PathAliases>();
  for (const folder of [...new Set([...roots, ...folders.map((dir) => path.resolve(cwd, dir))])]) {
    const configFile = CONFIG_NAMES.map((name) => path.join(folder, name)).find((file) => !('error' in readFileText(file)));
    if (configFile === undefined) continue;
    const paths = compilerPaths(cwd, roots, configFile, 0);
    if (paths !== undefined) byFolder.set(toPosixRelative(cwd, folder), paths.aliases);
  }
  // Deepest folder first, so a package's own config wins over the root's.
  const folderList = [...byFolder.keys()].sort((a, b) => b.length - a.length);
  const none: PathAliases = new Map();
  return (file) => {
    const folder = folderList.find((dir) => dir === '.' || file.startsWith(`${dir}/`));
    return folder === undefined ? none : byFolder.get(folder)!;
  };
}

/** `paths` and `baseUrl` of one config, inherited from what it extends when it does not set them. */
function compilerPaths(cwd: string, roots: readonly string[], configFile: string, depth: number): CompilerPaths | undefined {
  const read = readFileText(configFile);
  if ('error' in read) return undefined;
  const { config } = ts.parseConfigFileTextToJson(configFile, read.text) as { config?: { extends?: unknown; compilerOptions?: { baseUrl?: unknown; paths?: unknown } } };
  const options = config?.compilerOptions;
  const folder = path.dirname(configFile);
  if (options !== undefined && typeof options.paths === 'object' && options.paths !== null) {
    const base = path.resolve(folder, typeof options.baseUrl === 'string' ? options.baseUrl : '.');
    const aliases = new Map<string, string[]>();
    for (const [pattern, targets] of Object.entries(options.paths as Record<string, unknown>)) {
      if (!Array.isArray(targets)) continue;
      aliases.set(pattern, targets.filter((target): target is string => typeof target === 'string').map((target) => toPosixRelative(cwd, path.resolve(base, target))));
    }
    return { aliases };
  }
  if (depth >= MAX_EXTENDS) return undefined;
  // `extends` may be one path or (TypeScript 5) a list, applied in order: the last one with `paths` wins.
  const parents = (Array.isArray(config?.extends) ? config.extends : [config?.extends]).filter((parent): parent is string => typeof parent === 'string');
  let inherited: CompilerPaths | undefined;
  for (const parent of parents) {
    if (!parent.startsWith('.')) continue;
    const parentFile = path.resolve(folder, parent.endsWith('.json') ? parent : `${parent}.json`);
    if (!roots.some((root) => isInside(root, parentFile))) continue;
    inherited = compilerPaths(cwd, roots, parentFile, depth + 1) ?? inherited;
  }
  return inherited;
}
