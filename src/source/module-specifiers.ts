// Resolves a relative import to one of the scanned source files, the way Node and TypeScript's
// bundler/NodeNext resolution would: `./state.js` may be `state.ts`, `./lib` may be `lib/index.ts`.
import path from 'node:path';

const PROBED_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const EMITTED_TO_SOURCE: Record<string, string[]> = {
  '.js': ['.ts', '.tsx', '.js', '.jsx'],
  '.jsx': ['.tsx', '.jsx'],
  '.mjs': ['.mts', '.mjs'],
  '.cjs': ['.cts', '.cjs'],
};

/** The scanned file `specifier` points at from `fromFile` (both POSIX, relative to cwd), if any. */
export function resolveRelativeSpecifier(fromFile: string, specifier: string, sources: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../') && specifier !== '.' && specifier !== '..') return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  const extension = path.posix.extname(base);
  // The extension comes from the scanned code: `./a.constructor` must not find Object's constructor.
  const sourceExtensions = Object.hasOwn(EMITTED_TO_SOURCE, extension) ? EMITTED_TO_SOURCE[extension] : undefined;
  if (sourceExtensions !== undefined) {
    const stem = base.slice(0, -extension.length);
    for (const candidate of sourceExtensions) {
      if (sources.has(stem + candidate)) return stem + candidate;
    }
  }
  if (sources.has(base)) return base;
  for (const candidate of PROBED_EXTENSIONS) {
    if (sources.has(base + candidate)) return base + candidate;
  }
  for (const candidate of PROBED_EXTENSIONS) {
    const index = `${base}/index${candidate}`;
    if (sources.has(index)) return index;
  }
  return undefined;
}
