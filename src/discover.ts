// Finds and classifies the files of the scanned tree. Nothing here parses: it only decides
// which files each model reads.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import ignore, { type Ignore } from 'ignore';
import { compareStrings, type AuditError } from './findings.js';
import { KUSTOMIZATION_FILE_NAMES } from './manifests/kustomization.js';
import { toPosixRelative } from './posix-paths.js';
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
const KUSTOMIZATION_NAMES: ReadonlySet<string> = new Set(KUSTOMIZATION_FILE_NAMES);

/** Not deployed, so not analysed by source rules: tests, and tooling that runs at build or by hand. */
const TEST_PATTERN = /(^|\/)(__tests__|__mocks__|tests?|e2e|cypress|playwright)\/|\.(test|spec|e2e|stories)\.[cm]?[jt]sx?$/;
const TOOLING_PATTERN = /(^|\/)(scripts|migrations|seeds?|\.storybook)\/|(^|\/)seed\.[cm]?[jt]s$|\.d\.[cm]?ts$/;
const CONFIG_FILE = /\.config\.[cm]?[jt]s$/;
const SOURCE_FOLDER = /(^|\/)(src|lib)\//;

/** Build and tool configs sit beside the code (`vite.config.ts`); a `rate.config.ts` under src/ is app code. */
function isTooling(inRoot: string): boolean {
  return TOOLING_PATTERN.test(inRoot) || (CONFIG_FILE.test(inRoot) && !SOURCE_FOLDER.test(inRoot));
}

export interface Discovery {
  /** Source files deployed with the app (tests, tooling and browser/mobile packages excluded), POSIX, relative to cwd. */
  sources: string[];
  /** Packages whose code does not run in a Node server, with the reason; their sources are not analysed. */
  clientPackages: { dir: string; reason: string }[];
  /** Folders holding a `Chart.yaml`; their YAML is Helm input, not manifests. */
  helmCharts: string[];
  /** Every `.yaml`/`.yml` file that is not a kustomization file. */
  yamlFiles: string[];
  /** Folders holding a kustomization file. */
  kustomizationDirs: string[];
  dockerfiles: string[];
  /** Config templates (`*.template`, `*.conf`) for placeholder checks. */
  templates: string[];
  /** Shell scripts (`*.sh`): entrypoint scripts that fill template placeholders. */
  scripts: string[];
  packages: PackageInfo[];
  /** Prisma schemas (`*.prisma`): their datasource says where the database lives. */
  prismaSchemas: string[];
  errors: AuditError[];
}

export interface DiscoverOptions {
  cwd: string;
  /** Files or folders to scan, relative to cwd or absolute. */
  paths: string[];
  /** Absolute folders never scanned, such as the report folder of a previous run. */
  excludeDirs?: string[];
}


export async function discover({ cwd, paths, excludeDirs = [] }: DiscoverOptions): Promise<Discovery> {
  const result: Discovery = {
    sources: [],
    clientPackages: [],
    helmCharts: [],
    yamlFiles: [],
    kustomizationDirs: [],
    dockerfiles: [],
    templates: [],
    scripts: [],
    packages: [],
    prismaSchemas: [],
    errors: [],
  };
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
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
      candidates.push({ absolutePath: file, inRoot: toPosixRelative(rootDir, file), relative: toPosixRelative(cwd, file) });
    }
  }
  // Package and chart boundaries first: where a file sits decides what it is.
  const packageJsons = new Map<string, PackageJson>();
  for (const candidate of candidates) {
    const base = path.posix.basename(candidate.relative);
    const dir = path.posix.dirname(candidate.relative);
    if (base === 'package.json') packageJsons.set(dir, readPackageJson(candidate.absolutePath, candidate.relative, result.errors));
    if (base === 'Chart.yaml') result.helmCharts.push(dir);
  }
  for (const [dir, json] of packageJsons) {
    result.packages.push({
      dir,
      ...(json.name === undefined ? {} : { name: json.name }),
      ...(json.main === undefined ? {} : { main: json.main }),
      ...(json.scripts === undefined ? {} : { scripts: json.scripts }),
    });
    const reason = clientPackageReason(json);
    if (reason !== undefined) result.clientPackages.push({ dir, reason });
  }
  const relatives = new Set(candidates.map((candidate) => candidate.relative));
  for (const candidate of candidates) classify(candidate, relatives, result);
  for (const list of [result.sources, result.yamlFiles, result.kustomizationDirs, result.dockerfiles, result.templates, result.scripts, result.helmCharts, result.prismaSchemas]) {
    list.sort();
  }
  result.packages.sort((a, b) => compareStrings(a.dir, b.dir));
  result.clientPackages.sort((a, b) => compareStrings(a.dir, b.dir));
  return result;
}

interface Candidate {
  absolutePath: string;
  /** POSIX, relative to the scanned root: what test and tooling patterns are matched against. */
  inRoot: string;
  /** POSIX, relative to cwd: how every finding names the file. */
  relative: string;
}

function classify({ inRoot, relative }: Candidate, allFiles: ReadonlySet<string>, result: Discovery): void {
  const base = path.posix.basename(relative);
  const extension = path.posix.extname(base);
  const within = (dirs: readonly string[]): boolean => dirs.some((dir) => dir === '.' || relative.startsWith(`${dir}/`));
  if (KUSTOMIZATION_NAMES.has(base)) {
    result.kustomizationDirs.push(path.posix.dirname(relative));
  } else if (extension === '.yaml' || extension === '.yml') {
    // A chart's templates and values are Helm input: reported once per chart, not as broken manifests.
    if (!within(result.helmCharts)) result.yamlFiles.push(relative);
  } else if (SOURCE_EXTENSIONS.has(extension)) {
    if (TEST_PATTERN.test(inRoot) || isTooling(inRoot)) return;
    const owner = deepestPackage(relative, result.packages);
    if (owner !== undefined && result.clientPackages.some((client) => client.dir === owner)) return;
    if (isCompiledTwin(relative, extension, allFiles)) return;
    result.sources.push(relative);
  } else if (base === 'Dockerfile' || base.startsWith('Dockerfile.') || base.endsWith('.Dockerfile')) {
    result.dockerfiles.push(relative);
  } else if (extension === '.template' || extension === '.conf') {
    result.templates.push(relative);
  } else if (extension === '.sh') {
    result.scripts.push(relative);
  } else if (extension === '.prisma' && !TEST_PATTERN.test(inRoot)) {
    result.prismaSchemas.push(relative);
  }
}

/** `index.js` committed next to `index.ts` is its compiled output: findings belong on the source. */
function isCompiledTwin(relative: string, extension: string, allFiles: ReadonlySet<string>): boolean {
  if (extension !== '.js' && extension !== '.mjs' && extension !== '.cjs') return false;
  const stem = relative.slice(0, -extension.length);
  return ['.ts', '.mts', '.cts', '.tsx'].some((source) => allFiles.has(stem + source));
}

/** The folder of the innermost package.json above `file`. */
export function deepestPackage(file: string, packages: readonly PackageInfo[]): string | undefined {
  let best: string | undefined;
  for (const { dir } of packages) {
    const holds = dir === '.' || file.startsWith(`${dir}/`);
    if (holds && (best === undefined || best === '.' || dir.length > best.length)) best = dir;
  }
  return best;
}

interface PackageJson {
  name?: string;
  main?: string;
  scripts?: Record<string, string>;
  dependencies: ReadonlySet<string>;
  /** A workspace root lists tooling for every package; it says nothing about what runs. */
  isWorkspaceRoot: boolean;
}

function readPackageJson(absolutePath: string, relative: string, errors: AuditError[]): PackageJson {
  try {
    const json = JSON.parse(readFileSync(absolutePath, 'utf8')) as { name?: unknown; main?: unknown; scripts?: unknown; dependencies?: unknown; devDependencies?: unknown; workspaces?: unknown };
    const names = [json.dependencies, json.devDependencies].flatMap((deps) => (typeof deps === 'object' && deps !== null ? Object.keys(deps) : []));
    // `npm start` and `npm run x` name a container's entry: kept so nothing reads the file again.
    const scripts = typeof json.scripts === 'object' && json.scripts !== null
      ? Object.fromEntries(Object.entries(json.scripts).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
      : undefined;
    return {
      ...(typeof json.name === 'string' ? { name: json.name } : {}),
      ...(typeof json.main === 'string' ? { main: json.main } : {}),
      ...(scripts === undefined ? {} : { scripts }),
      dependencies: new Set(names),
      isWorkspaceRoot: json.workspaces !== undefined,
    };
  } catch (error) {
    // A package.json that does not parse still marks a package boundary; its dependencies are unknown.
    errors.push({ file: relative, message: `package.json does not parse: ${error instanceof Error ? error.message : String(error)}` });
    return { dependencies: new Set(), isWorkspaceRoot: false };
  }
}

/** Libraries that mean the package runs a server, whatever else it uses. */
const SERVER_LIBRARIES = ['express', 'fastify', 'koa', '@nestjs/core', '@hapi/hapi', 'hapi', 'restify', 'next', 'nuxt', '@remix-run/node', 'bullmq', 'bull', 'ws', 'socket.io', 'graphql-yoga', '@apollo/server', 'apollo-server'];
const MOBILE_LIBRARIES = ['react-native', 'expo'];
const BROWSER_LIBRARIES = ['react-dom', 'vue', 'svelte', '@angular/core', 'solid-js', 'preact', 'vite', '@vitejs/plugin-react', 'parcel'];

/**
 * Why a package's code does not run in a pod's Node process, or undefined when it may: a mobile
 * app, or a browser bundle with no server library (served as static files, e.g. by nginx).
 */
function clientPackageReason({ dependencies, isWorkspaceRoot }: PackageJson): string | undefined {
  if (isWorkspaceRoot) return undefined;
  const has = (names: readonly string[]): string | undefined => names.find((name) => dependencies.has(name));
  if (has(SERVER_LIBRARIES) !== undefined) return undefined;
  const mobile = has(MOBILE_LIBRARIES);
  if (mobile !== undefined) return `mobile app (depends on ${mobile})`;
  const browser = has(BROWSER_LIBRARIES);
  if (browser !== undefined) return `browser code (depends on ${browser}, no server library)`;
  return undefined;
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
  const isIgnored = gitVisibleFiles(root) ?? gitignoreMatcher(root, entries.map((entry) => entry.path));
  const rootGitignore = path.join(root, '.gitignore');
  const files: string[] = [];
  for (const entry of entries) {
    if (isIgnored(entry.path)) continue;
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

const GIT_TIMEOUT_MS = 20_000;

/**
 * Inside a git work tree, git itself says what is ignored: a tracked file stays in even when a
 * .gitignore pattern matches it (a tracked `kustomize/` folder under a `kustomize` pattern).
 * Undefined outside a work tree or without git.
 */
function gitVisibleFiles(root: string): ((relativePath: string) => boolean) | undefined {
  try {
    const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
      timeout: GIT_TIMEOUT_MS,
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const visible = new Set(listed.split('\0').filter((file) => file !== ''));
    return (relativePath) => !visible.has(relativePath);
  } catch {
    return undefined;
  }
}

/** Outside git: every .gitignore of the tree, each applied below its own folder. */
function gitignoreMatcher(root: string, relativePaths: readonly string[]): (relativePath: string) => boolean {
  const gitignores = relativePaths.filter((file) => path.posix.basename(file) === '.gitignore').map((file) => loadGitignore(root, file));
  return (relativePath) => isGitignored(relativePath, gitignores);
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
