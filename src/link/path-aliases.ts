// `compilerOptions.paths` of the repository's root tsconfig: how Nx-style monorepos import their
// libraries (`@td/env` → `libs/back/env/src/index.ts`) without a package.json each. Read with
// TypeScript's own JSONC parser; `extends` is not followed (the root file is the one that has them).
import path from 'node:path';
import { ts } from 'ts-morph';
import { readFileText } from '../file-text.js';
import { toPosixRelative } from '../posix-paths.js';

/**
 * Alias pattern (`@td/env`, `@app/*`) → targets relative to the working directory
 * (`libs/back/env/src/index.ts`, `src/*`).
 */
export type PathAliases = ReadonlyMap<string, readonly string[]>;

const CONFIG_NAMES = ['tsconfig.base.json', 'tsconfig.json'];

export function readPathAliases(cwd: string, roots: readonly string[]): PathAliases {
  const aliases = new Map<string, string[]>();
  for (const folder of [...new Set([cwd, ...roots])]) {
    for (const name of CONFIG_NAMES) {
      const file = path.join(folder, name);
      const read = readFileText(file);
      if ('error' in read) continue;
      const { config } = ts.parseConfigFileTextToJson(file, read.text) as { config?: { compilerOptions?: { baseUrl?: unknown; paths?: unknown } } };
      const options = config?.compilerOptions;
      if (options === undefined || typeof options.paths !== 'object' || options.paths === null) continue;
      const base = path.resolve(folder, typeof options.baseUrl === 'string' ? options.baseUrl : '.');
      for (const [pattern, targets] of Object.entries(options.paths as Record<string, unknown>)) {
        if (aliases.has(pattern) || !Array.isArray(targets)) continue;
        aliases.set(pattern, targets.filter((target): target is string => typeof target === 'string').map((target) => toPosixRelative(cwd, path.resolve(base, target))));
      }
    }
  }
  return aliases;
}
