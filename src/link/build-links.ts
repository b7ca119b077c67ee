// Builds the link model: for every manifest set, every container of every workload with the
// package it runs, the files it starts, the environment it gets and what is mounted where.
import path from 'node:path';
import { compareStrings, type AuditError } from '../findings.js';
import { readFileText } from '../file-text.js';
import { autoscalerMaxReplicas, autoscalersTargeting } from '../manifests/autoscaling.js';
import type { ClusterModel, ManifestSet } from '../manifests/cluster-model.js';
import { podSpecs, workloadName } from '../manifests/pod-templates.js';
import { isRecord } from '../manifests/plain-data.js';
import type { AppModel } from '../source/app-model.js';
import { containerEnv } from './container-env.js';
import { readDockerfile, type DockerImage } from './dockerfile.js';
import type { LinkedContainer, LinkModel, SetLinks } from './link-model.js';
import { containerMounts } from './mounts.js';
import { readTemplates } from './templates.js';
import { entryFile, linkPackage, reachableFiles, type DeployableUnit, type PackageManifest, type WorkloadPackages } from './workload-package.js';
import { readPathAliases } from './path-aliases.js';

export interface BuildLinksInput {
  cwd: string;
  app: AppModel;
  cluster: ClusterModel;
  /** Dockerfiles, config templates and shell scripts found by discovery (POSIX, relative to cwd). */
  dockerfiles: readonly string[];
  templates: readonly string[];
  scripts: readonly string[];
  workloads?: WorkloadPackages;
  /** The scanned folders (absolute), where a monorepo's tsconfig path aliases are looked for. */
  roots: readonly string[];
}

export function buildLinks(input: BuildLinksInput): { links: LinkModel; errors: AuditError[] } {
  const errors: AuditError[] = [];
  const images = folderImages(input, errors);
  // Discovery already read each package.json: its `main` and `scripts` name container entries.
  const manifests = new Map(input.app.packages.map((info): [string, PackageManifest] => [info.dir, { ...(info.main === undefined ? {} : { main: info.main }), scripts: info.scripts ?? {} }]));
  const sources = new Set(input.app.files.map((facts) => facts.path));
  const packageDirs = new Set(input.app.packages.map((info) => info.dir));
  const variantsOf = (dir: string): { variants?: string[] } => {
    const variants = (images.get(dir) ?? []).slice(1).map((image) => dockerfileVariant(image.file)).filter((variant): variant is string => variant !== undefined);
    return variants.length === 0 ? {} : { variants };
  };
  const units: DeployableUnit[] = [
    ...input.app.packages.map((info) => ({ ...info, kind: 'package' as const, ...variantsOf(info.dir) })),
    ...[...images.keys()].filter((dir) => !packageDirs.has(dir)).map((dir) => ({ dir, kind: 'dockerfile-folder' as const, ...variantsOf(dir) })),
  ];
  // Templates belong to the folder's main image.
  const mainImages = new Map([...images].map(([dir, list]) => [dir, list[0]!]));
  const aliasesFor = readPathAliases(input.cwd, input.roots, units.map((unit) => unit.dir));
  // Templates and scripts belong to the deepest unit holding them: a package, or an app folder with a Dockerfile.
  const { templates, errors: templateErrors } = readTemplates({ cwd: input.cwd, templates: input.templates, scripts: input.scripts, packages: units, images: mainImages });
  errors.push(...templateErrors);
  // Every set runs the same images: the files an entry reaches are walked once.
  const reachable = new Map<string, Set<string>>();
  const filesRun = (entry: string | undefined, dir: string): Set<string> => {
    const key = `${entry ?? ''}\0${dir}`;
    let files = reachable.get(key);
    if (files === undefined) {
      files = reachableFiles(entry, dir, input.app.files, input.app.packages, aliasesFor);
      reachable.set(key, files);
    }
    return files;
  };
  const context = { input, units, images, manifests, sources, filesRun };
  const sets = input.cluster.sets.map((set) => ({ ...linkSet(set, context), templates }));
  return { links: { sets, templates }, errors };
}

interface LinkContext {
  input: BuildLinksInput;
  units: readonly DeployableUnit[];
  /** The image each folder with a Dockerfile builds. */
  images: ReadonlyMap<string, readonly DockerImage[]>;
  manifests: ReadonlyMap<string, PackageManifest | undefined>;
  sources: ReadonlySet<string>;
  filesRun(entry: string | undefined, dir: string): Set<string>;
}

function linkSet(set: ManifestSet, { input, units, images, manifests, sources, filesRun }: LinkContext): Omit<SetLinks, 'templates'> {
  const linked: LinkedContainer[] = [];
  for (const podSpec of podSpecs(set.resources)) {
    const workload = podSpec.resource;
    const name = workloadName(workload);
    const namespace = workload.namespace ?? '';
    const { replicas, autoscaled } = scale(workload, set);
    for (const list of ['initContainers', 'containers'] as const) {
      const items = podSpec.spec[list];
      if (!Array.isArray(items)) continue;
      items.forEach((container: unknown, index) => {
        if (!isRecord(container)) return;
        const ref = { resource: workload, path: [...podSpec.path, list, index], container, name: typeof container.name === 'string' ? container.name : `#${index}` };
        const image = typeof container.image === 'string' ? container.image : undefined;
        const link = linkPackage({ workloadName: name, image }, units, input.workloads ?? {}, set.builtImages);
        const dockerImage = link === undefined ? undefined : imageOf(images.get(link.dir), link.variant);
        const entry = link === undefined ? undefined : entryFile({ command: container.command, args: container.args }, link.dir, dockerImage, manifests.get(link.dir), sources);
        // A container that runs another program (a migration CLI) runs none of the package's code.
        const files = link === undefined || entry?.kind === 'other'
          ? new Set<string>()
          : filesRun(entry?.file, link.dir);
        const { env, unknownEnvSources } = containerEnv({ ref, podSpec, namespace, resources: set.resources, generatorOutputs: set.generatorOutputs, ...(dockerImage === undefined ? {} : { dockerImage }) });
        linked.push({
          workload,
          workloadName: name,
          ref,
          init: list === 'initContainers',
          namespace,
          ...(image === undefined ? {} : { image }),
          ...(link === undefined ? {} : { package: link }),
          ...(entry === undefined ? {} : { entry }),
          files,
          ...(dockerImage === undefined ? {} : { dockerImage }),
          env,
          unknownEnvSources,
          mounts: containerMounts(ref, podSpec, set.resources, namespace),
          replicas,
          autoscaled,
        });
      });
    }
  }
  return { set, containers: linked };
}

function scale(workload: LinkedContainer['workload'], set: ManifestSet): { replicas: number; autoscaled: boolean } {
  const hpas = autoscalersTargeting(workload, set.resources);
  const maxima = hpas.map(autoscalerMaxReplicas).filter((max): max is number => max !== undefined);
  if (hpas.length > 0) return { replicas: Math.max(1, ...maxima), autoscaled: true };
  const spec = workload.object.spec;
  const replicas = isRecord(spec) && typeof spec.replicas === 'number' ? spec.replicas : 1;
  return { replicas, autoscaled: false };
}

/**
 * The images each folder builds, its main one first: the plain `Dockerfile` (a `Dockerfile.dev`
 * is main only when there is no plain one), then variants such as `worker.Dockerfile`.
 */
function folderImages(input: BuildLinksInput, errors: AuditError[]): Map<string, DockerImage[]> {
  const images = new Map<string, DockerImage[]>();
  const plainFirst = [...input.dockerfiles].sort((a, b) => Number(path.posix.basename(a) !== 'Dockerfile') - Number(path.posix.basename(b) !== 'Dockerfile') || compareStrings(a, b));
  for (const file of plainFirst) {
    const dir = path.posix.dirname(file);
    const read = readFileText(path.resolve(input.cwd, file));
    if ('error' in read) {
      errors.push({ file, message: read.error });
      continue;
    }
    const { image, error } = readDockerfile(file, read.text);
    if (error !== undefined) errors.push(error);
    if (image !== undefined) images.set(dir, [...(images.get(dir) ?? []), image]);
  }
  return images;
}

/** `worker` for `worker.Dockerfile` and `Dockerfile.worker`; undefined for a plain `Dockerfile`. */
function dockerfileVariant(file: string): string | undefined {
  const base = path.posix.basename(file).toLowerCase();
  if (base.startsWith('dockerfile.')) return base.slice('dockerfile.'.length) || undefined;
  if (base.endsWith('.dockerfile')) return base.slice(0, -'.dockerfile'.length) || undefined;
  return undefined;
}

/** The image a linked container runs: the variant its image is named after, else the folder's main one. */
function imageOf(images: readonly DockerImage[] | undefined, variant: string | undefined): DockerImage | undefined {
  if (images === undefined) return undefined;
  return (variant === undefined ? undefined : images.find((image) => dockerfileVariant(image.file) === variant)) ?? images[0];
}
