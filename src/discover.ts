// Finds and classifies the files of the scanned tree. Nothing here parses: it only decides
// which files each model reads.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import ignore, { type Ignore } from 'ignore';
import type { AuditError } from './findings.js';
import type { PackageInfo } from './source/app-model.js';

/** Never scanned: dependencies, VCS data, build output, coverage. */
const ALWAYS_IGNORED = [
  '**/node_modules/**',
  '**/.git/**',
  '**/dist/**',
  '**/build/**',
  '**/out/**',
  '**/.next/**',
  '**/coverage/**',
  '**/.turbo/**',
  '**/.cache/**',
];

const SOURCE_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);
const KUSTOMIZATION_NAMES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

/** Not deployed, so not analysed by source rules: tests, and tooling that runs at build or by hand. */
const TEST_PATTERN = /(^|\/)(__tests__|__mocks__|tests?|e2e|cypress|playwright)\/|\.(test|spec|e2e|stories)\.[cm]?[jt]sx?$/;
const TOOLING_PATTERN = /(^|\/)(scripts|migrations|seeds?|\.storybook)\/|(^|\/)seed[^/]*$|\.config\.[cm]?[jt]s$|\.d\.[cm]?ts$/;

export interface Discovery {
  /** Source files deployed with the app (tests and tooling excluded), POSIX, relative to cwd. */
  sources: string[];
  /** Every `.yaml`/`.yml` file that is not a kustomization file. */
  yamlFiles: string[];
  /** Folders holding a kustomization file. */
  kustomizationDirs: string[];
  dockerfiles: string[];
  /** Config templates (`*.template`, `*.conf`) for placeholder checks. */
  templates: string[];
  packages: PackageInfo[];
  errors: AuditError[];
}

export interface DiscoverOptions {
  cwd: string;
  /** Files or folders to scan, relative to cwd or absolute. */
  paths: string[];
  /** Absolute folders never scanned, such as the report folder of a previous run. */
  excludeDirs?: string[];
}

export function toPosixRelative(cwd: string, absolutePath: string): string {
  const relative = path.relative(cwd, absolutePath);
  return (relative === '' ? '.' : relative).split(path.sep).join('/');
}

export async function discover({ cwd, paths, excludeDirs = [] }: DiscoverOptions): Promise<Discovery> {
  const result: Discovery = {
    sources: [],
    yamlFiles: [],
    kustomizationDirs: [],
    dockerfiles: [],
    templates: [],
    packages: [],
    errors: [],
  };
  const seen = new Set<string>();
  for (const given of paths) {
    const root = path.resolve(cwd, given);
    if (!existsSync(root)) {
      result.errors.push({ file: toPosixRelative(cwd, root), message: 'path does not exist' });
      continue;
    }
    const files = statSync(root).isDirectory() ? await listTree(root, cwd, result.errors) : [root];
    const rootDir = statSync(root).isDirectory() ? root : path.dirname(root);
    for (const file of files) {
      if (seen.has(file) || excludeDirs.some((dir) => file.startsWith(dir + path.sep))) continue;
      seen.add(file);
      classify(file, toPosixRelative(rootDir, file), toPosixRelative(cwd, file), result);
    }
  }
  for (const list of [result.sources, result.yamlFiles, result.kustomizationDirs, result.dockerfiles, result.templates]) {
    list.sort();
  }
  result.packages.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  return result;
}

function classify(absolutePath: string, inRoot: string, relative: string, result: Discovery): void {
  const base = path.posix.basename(relative);
  const extension = path.posix.extname(base);
  if (KUSTOMIZATION_NAMES.has(base)) {
    result.kustomizationDirs.push(path.posix.dirname(relative));
  } else if (extension === '.yaml' || extension === '.yml') {
    result.yamlFiles.push(relative);
  } else if (SOURCE_EXTENSIONS.has(extension)) {
    if (!TEST_PATTERN.test(inRoot) && !TOOLING_PATTERN.test(inRoot)) result.sources.push(relative);
  } else if (base === 'Dockerfile' || base.startsWith('Dockerfile.') || base.endsWith('.Dockerfile')) {
    result.dockerfiles.push(relative);
  } else if (extension === '.template' || extension === '.conf') {
    result.templates.push(relative);
  } else if (base === 'package.json') {
    result.packages.push(readPackage(absolutePath, path.posix.dirname(relative)));
  }
}

function readPackage(absolutePath: string, dir: string): PackageInfo {
  try {
    const json = JSON.parse(readFileSync(absolutePath, 'utf8')) as { name?: unknown };
    return typeof json.name === 'string' ? { dir, name: json.name } : { dir };
  } catch {
    // A package.json that does not parse still marks a package boundary.
    return { dir };
  }
}

/**
 * Lists the files below `root`, honouring every `.gitignore` in the tree. Symbolic links are
 * never followed out of the root: a link whose target lies outside is reported and skipped.
 */
async function listTree(root: string, cwd: string, errors: AuditError[]): Promise<string[]> {
  const realRoot = realpathSync(root);
  const entries = await fg('**/*', {
    cwd: root,
    dot: true,
    onlyFiles: false,
    followSymbolicLinks: false,
    objectMode: true,
    ignore: ALWAYS_IGNORED,
    suppressErrors: true,
  });
  const gitignores = entries
    .filter((entry) => entry.name === '.gitignore' && entry.dirent.isFile())
    .map((entry) => loadGitignore(root, entry.path));
  const rootGitignore = path.join(root, '.gitignore');
  const files: string[] = [];
  for (const entry of entries) {
    if (isGitignored(entry.path, gitignores)) continue;
    const absolutePath = path.join(root, entry.path);
    if (entry.dirent.isSymbolicLink()) {
      const target = resolveLink(absolutePath);
      if (target === undefined) {
        errors.push({ file: toPosixRelative(cwd, absolutePath), message: 'symbolic link is broken or loops; not followed' });
      } else if (target !== realRoot && !target.startsWith(realRoot + path.sep)) {
        errors.push({ file: toPosixRelative(cwd, absolutePath), message: 'symbolic link points outside the scanned tree; not followed' });
      }
      // A link inside the tree points at something the walk lists anyway.
      continue;
    }
    if (entry.dirent.isFile() && absolutePath !== rootGitignore) files.push(absolutePath);
  }
  return files;
}

interface ScopedIgnore {
  /** POSIX folder of the .gitignore, relative to the scanned root ('' for the root). */
  dir: string;
  matcher: Ignore;
}

function loadGitignore(root: string, relativePath: string): ScopedIgnore {
  const dir = path.posix.dirname(relativePath);
  let text = '';
  try {
    text = readFileSync(path.join(root, relativePath), 'utf8');
  } catch {
    // An unreadable .gitignore ignores nothing.
  }
  return { dir: dir === '.' ? '' : dir, matcher: ignore().add(text) };
}

function isGitignored(relativePath: string, gitignores: ScopedIgnore[]): boolean {
  return gitignores.some(({ dir, matcher }) => {
    if (dir !== '' && !relativePath.startsWith(dir + '/')) return false;
    const inner = dir === '' ? relativePath : relativePath.slice(dir.length + 1);
    return matcher.ignores(inner);
  });
}

function resolveLink(absolutePath: string): string | undefined {
  try {
    return realpathSync(absolutePath);
  } catch {
    return undefined;
  }
}
