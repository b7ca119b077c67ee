// Which package a container runs, and which of its files: the image repository named after the
// package (folder, package.json name, or scope-name), or the config's `workloads` map; then the
// entry file from the container's command, the Dockerfile's CMD, or package.json.
import path from 'node:path';
import { parseImageReference } from '../manifests/image-reference.js';
import type { PackageInfo, SourceFileFacts } from '../source/app-model.js';
import { resolveRelativeSpecifier } from '../source/module-specifiers.js';
import type { DockerImage } from './dockerfile.js';
import type { AliasesFor, PathAliases } from './path-aliases.js';
import type { PackageLink } from './link-model.js';

/** `workloads` in rules.config.ts: `Deployment/api` or `api` → package folder. */
export type WorkloadPackages = Readonly<Record<string, string>>;

export interface PackageManifest {
  main?: string;
  scripts: Readonly<Record<string, string>>;
}

/**
 * What a container can be linked to: a package (a folder with a package.json), or a folder with a
 * Dockerfile and no package.json of its own (an Nx or Turborepo app such as `apps/api`).
 */
export interface DeployableUnit extends PackageInfo {
  kind: 'package' | 'dockerfile-folder';
  /** Variants of the folder's Dockerfiles besides the main one: `worker` for `worker.Dockerfile` or `Dockerfile.worker`. */
  variants?: readonly string[];
}

export function linkPackage(
  { workloadName, image }: { workloadName: string; image: string | undefined },
  units: readonly DeployableUnit[],
  configured: WorkloadPackages,
  /** Bare image names a build tool (skaffold) builds: `api` is then the placeholder for this repo's image, not Docker Hub's. */
  builtImages: ReadonlySet<string> = new Set(),
): PackageLink | undefined {
  const shortName = workloadName.slice(workloadName.indexOf('/') + 1);
  for (const key of [workloadName, shortName]) {
    const dir = Object.hasOwn(configured, key) ? configured[key] : undefined;
    if (dir !== undefined) return { dir: dir.replace(/\/+$/, '') || '.', how: `\`workloads\` in the config (\`${key}\`)` };
  }
  if (image === undefined) return undefined;
  const imageName = parseImageReference(image).name;
  // `redis:7` is Docker Hub's official image, whatever a workspace package is called.
  if (!imageName.includes('/') && !builtImages.has(imageName)) return undefined;
  const repository = imageName.split('/').at(-1)?.toLowerCase() ?? '';
  if (repository === '') return undefined;
  const what = (unit: DeployableUnit): string => (unit.kind === 'package' ? "the package's name" : 'the name of the folder holding its Dockerfile');
  const exact = units.filter((unit) => packageNames(unit).includes(repository));
  if (exact.length === 1) return { dir: exact[0]!.dir, how: `image \`${repository}\` is ${what(exact[0]!)}` };
  // `billing-report` for package `billing` with a `report.Dockerfile`: the image that Dockerfile builds.
  const variants = units.flatMap((unit) => (unit.variants ?? []).filter((variant) => packageNames(unit).some((name) => [`${name}-${variant}`, `${name}_${variant}`].some((full) => repository === full || repository.endsWith(`-${full}`)))).map((variant) => ({ unit, variant })));
  if (exact.length === 0 && variants.length === 1) {
    const { unit, variant } = variants[0]!;
    return { dir: unit.dir, variant, how: `image \`${repository}\` is ${what(unit)} plus \`${variant}\`, the variant of one of its Dockerfiles` };
  }
  // `csv-portal-api` for a package folder `api`: only when one package ends the repository name.
  const suffixed = units.filter((unit) => packageNames(unit).some((name) => repository.endsWith(`-${name}`) || repository.endsWith(`_${name}`)));
  if (exact.length === 0 && suffixed.length === 1) return { dir: suffixed[0]!.dir, how: `image \`${repository}\` ends with ${what(suffixed[0]!)}` };
  return undefined;
}

/** `packages/api` with name `@csv-portal/api` answers to `api` and `csv-portal-api`. */
function packageNames(info: PackageInfo): string[] {
  const names = new Set<string>();
  if (info.dir !== '.') names.add(path.posix.basename(info.dir).toLowerCase());
  if (info.name !== undefined) {
    const name = info.name.toLowerCase();
    const match = /^@([^/]+)\/(.+)$/.exec(name);
    if (match === null) names.add(name);
    else {
      names.add(match[2]!);
      names.add(`${match[1]}-${match[2]}`);
    }
  }
  return [...names];
}

const SCRIPT_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const BUILD_FOLDERS = new Set(['dist', 'build', 'lib', 'out']);
const RUN_SCRIPT = /^(?:npm|pnpm|yarn)$/;

/** What a container starts: a scanned source file, or a program that is not the package's code (`npx prisma migrate deploy`). */
export type Entry = { kind: 'file'; file: string; how: string } | { kind: 'other'; how: string };

/** Command-line tools that run from an app's image without running the app: migrations, probes, one-off scripts. */
const OTHER_PROGRAMS = new Set([
  'prisma', 'typeorm', 'knex', 'sequelize', 'sequelize-cli', 'drizzle-kit', 'db-migrate', 'node-pg-migrate', 'migrate-mongo',
  'mikro-orm', 'psql', 'mysql', 'mongosh', 'redis-cli', 'curl', 'wget', 'sleep', 'true', 'echo',
]);
/** Runners whose next word is the program: `npx prisma …`, `yarn dlx …`, `tini -- node …`. */
const RUNNERS = new Set(['npx', 'pnpx', 'bunx', 'dlx', 'exec', 'tini', 'dumb-init', '--']);
/** Node flags whose value is a file that is not the entry: `node -r ./dist/tracing.js dist/main.js`. */
const VALUE_FLAGS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-e', '--eval']);

/** The words a shell runs: `sh -c "npx prisma migrate deploy"` → `npx prisma migrate deploy`. */
function unwrapShell(words: readonly string[]): readonly string[] {
  const shell = path.posix.basename(words[0] ?? '');
  if ((shell === 'sh' || shell === 'bash' || shell === 'ash') && words[1] === '-c') return words.slice(2);
  return words;
}

/** The program a command ends up running, past runners and shells: `prisma` for `sh -c "npx prisma migrate deploy"`. */
function programOf(words: readonly string[]): string | undefined {
  let rest = unwrapShell(words);
  for (let step = 0; step < 4 && rest.length > 0 && RUNNERS.has(path.posix.basename(rest[0]!)); step++) rest = rest.slice(1);
  if (rest[0] === 'yarn' || rest[0] === 'pnpm') rest = rest.slice(rest[1] === 'dlx' || rest[1] === 'exec' ? 2 : 1);
  return rest[0] === undefined ? undefined : path.posix.basename(rest[0]);
}

/**
 * The source file a container starts, with Kubernetes' rules: `command` replaces the image's
 * ENTRYPOINT and CMD, `args` alone replaces CMD; without either the image's ENTRYPOINT and CMD
 * run, else package.json's `start` or `main`. `npm start` or `npm run x` is looked up in
 * package.json; a built path (`dist/worker.js`) is mapped back to its source (`src/worker.ts`).
 * Undefined when it cannot tell: then every file of the package counts.
 */
export function entryFile(
  { command, args }: { command: unknown; args: unknown },
  dir: string,
  dockerImage: DockerImage | undefined,
  manifest: PackageManifest | undefined,
  sources: ReadonlySet<string>,
): Entry | undefined {
  const words = (value: unknown): string[] | undefined =>
    Array.isArray(value) ? value.filter((word): word is string => typeof word === 'string').flatMap((word) => word.split(/\s+/)).filter((word) => word !== '') : undefined;
  const containerCommand = words(command);
  const containerArgs = words(args);
  const resolve = (attempt: readonly string[], how: string): Entry | undefined => {
    const script = scriptOf(attempt, manifest);
    const file = script === undefined ? undefined : sourceOf(script.file, dir, dockerImage?.workdir, sources);
    return file === undefined ? undefined : { kind: 'file', file, how: script?.via === undefined ? how : `${how} (\`${script.via}\`)` };
  };
  // What the pod spec says is what runs: no fallback to the image's CMD.
  const explicit = containerCommand !== undefined
    ? { words: [...containerCommand, ...(containerArgs ?? [])], how: 'the container `command`' }
    : containerArgs !== undefined ? { words: [...(dockerImage?.entrypoint ?? []), ...containerArgs], how: 'the container `args`' } : undefined;
  if (explicit !== undefined) {
    const found = resolve(explicit.words, explicit.how);
    if (found !== undefined) return found;
    // A known tool (a migration CLI) runs none of the package's code; anything else may, so every file counts.
    const program = programOf(explicit.words);
    return program !== undefined && OTHER_PROGRAMS.has(program) ? { kind: 'other', how: `${explicit.how} runs \`${explicit.words.join(' ')}\`` } : undefined;
  }
  const attempts: { words: string[]; how: string }[] = [];
  if (dockerImage !== undefined && dockerImage.command.length > 0) attempts.push({ words: [...dockerImage.command], how: `\`CMD\` in ${dockerImage.file}` });
  if (manifest?.scripts.start !== undefined) attempts.push({ words: manifest.scripts.start.split(/\s+/), how: 'package.json `start`' });
  if (manifest?.main !== undefined) attempts.push({ words: [manifest.main], how: 'package.json `main`' });
  for (const attempt of attempts) {
    const found = resolve(attempt.words, attempt.how);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The script file a command runs, following `npm run x` once into package.json. */
function scriptOf(command: readonly string[], manifest: PackageManifest | undefined): { file: string; via?: string } | undefined {
  const words = unwrapShell(command);
  const file = words.find((word, index) => SCRIPT_FILE.test(word) && !word.startsWith('-') && !VALUE_FLAGS.has(words[index - 1] ?? ''));
  if (file !== undefined) return { file };
  const runner = words.findIndex((word) => RUN_SCRIPT.test(path.posix.basename(word)));
  if (runner === -1 || manifest === undefined) return undefined;
  const rest = words.slice(runner + 1).filter((word) => !word.startsWith('-'));
  const name = rest[0] === 'run' || rest[0] === 'run-script' ? rest[1] : rest[0];
  // `npm run toString` must not find Object.prototype.toString.
  const script = name === undefined || !Object.hasOwn(manifest.scripts, name) ? undefined : manifest.scripts[name];
  if (script === undefined) return undefined;
  const inner = script.split(/\s+/).find((word) => SCRIPT_FILE.test(word));
  return inner === undefined ? undefined : { file: inner, via: `npm run ${name}` };
}

function sourceOf(script: string, dir: string, workdir: string | undefined, sources: ReadonlySet<string>): string | undefined {
  let relative = script;
  if (relative.startsWith('/')) {
    const base = workdir === undefined ? undefined : `${workdir.replace(/\/+$/, '')}/`;
    if (base !== undefined && relative.startsWith(base)) relative = relative.slice(base.length);
    else {
      const inside = relative.indexOf(`/${dir}/`);
      if (inside === -1) return undefined;
      relative = relative.slice(inside + dir.length + 2);
    }
  }
  relative = relative.replace(/^\.\//, '');
  const [first, ...rest] = relative.split('/');
  // `dist/main.js` → `src/main.ts`; `main.js` run from a folder the build output was copied into → `src/main.ts`.
  const candidates = [relative, `src/${relative}`];
  if (first !== undefined && BUILD_FOLDERS.has(first) && rest.length > 0) candidates.push(['src', ...rest].join('/'), rest.join('/'));
  const anchor = dir === '.' ? 'entry' : `${dir}/entry`;
  for (const candidate of candidates) {
    const file = resolveRelativeSpecifier(anchor, `./${candidate}`, sources);
    if (file !== undefined) return file;
  }
  return undefined;
}

/**
 * The files a container runs: everything the entry reaches by relative imports, and the whole of
 * any workspace package it imports by name. Without an entry, every file of the package.
 */
export function reachableFiles(
  entry: string | undefined,
  dir: string,
  files: readonly SourceFileFacts[],
  packages: readonly PackageInfo[],
  aliasesFor: AliasesFor,
): Set<string> {
  const byPath = new Map(files.map((facts) => [facts.path, facts]));
  const inPackage = (packageDir: string): string[] => files.filter((facts) => facts.packageDir === packageDir).map((facts) => facts.path);
  if (entry === undefined) return new Set(files.filter((facts) => facts.path.startsWith(`${dir}/`) || dir === '.').map((facts) => facts.path));
  const sources = new Set(byPath.keys());
  const reached = new Set<string>();
  const visitedPackages = new Set<string>([dir]);
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (reached.has(file)) continue;
    reached.add(file);
    const facts = byPath.get(file);
    if (facts === undefined) continue;
    queue.push(...facts.localImports);
    for (const specifier of facts.moduleSpecifiers) {
      const aliased = resolveAlias(specifier, aliasesFor(file), sources);
      if (aliased !== undefined) {
        queue.push(aliased);
        continue;
      }
      const workspace = packages.find((info) => info.name !== undefined && (specifier === info.name || specifier.startsWith(`${info.name}/`)));
      if (workspace === undefined || visitedPackages.has(workspace.dir)) continue;
      visitedPackages.add(workspace.dir);
      queue.push(...inPackage(workspace.dir));
    }
  }
  return reached;
}


function resolveAlias(specifier: string, aliases: PathAliases, sources: ReadonlySet<string>): string | undefined {
  for (const [pattern, targets] of aliases) {
    const star = pattern.indexOf('*');
    let rest: string | undefined;
    if (star === -1) rest = pattern === specifier ? '' : undefined;
    else if (specifier.startsWith(pattern.slice(0, star)) && specifier.endsWith(pattern.slice(star + 1))) rest = specifier.slice(star, specifier.length - (pattern.length - star - 1));
    if (rest === undefined) continue;
    for (const target of targets) {
      const file = resolveRelativeSpecifier('entry', `./${target.replace('*', rest)}`, sources);
      if (file !== undefined) return file;
    }
  }
  return undefined;
}
