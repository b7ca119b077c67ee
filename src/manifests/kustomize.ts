// Rendering an overlay with the real kustomize engine. Never a re-implementation: overlays use
// features (components, replacements, generators, Helm charts) that only the engine gets right.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { toPosixRelative } from '../posix-paths.js';

export interface KustomizeEngine {
  /** How the report names it: `kustomize build` or `kubectl kustomize`. */
  label: string;
  command: string;
  args: string[];
}

const TIMEOUT_MS = 60_000;
/** Rendered overlays are megabytes at most; more is a runaway generator. */
const MAX_BUFFER = 64 * 1024 * 1024;

/** `kustomize` if on PATH (it may be newer than kubectl's copy), else `kubectl kustomize`. */
export async function findKustomizeEngine(env: NodeJS.ProcessEnv = process.env): Promise<KustomizeEngine | undefined> {
  const kustomize = await onPath('kustomize', env);
  if (kustomize !== undefined) return { label: 'kustomize build', command: kustomize, args: ['build'] };
  const kubectl = await onPath('kubectl', env);
  if (kubectl !== undefined) return { label: 'kubectl kustomize', command: kubectl, args: ['kustomize'] };
  return undefined;
}

export async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const extension of extensions) {
      const candidate = path.join(dir, name + extension);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Lets an overlay read files outside its own folder tree (`../databases/x.yaml`), which `kubectl apply -k` refuses. */
export const LIFTED_LOAD_RESTRICTOR = '--load-restrictor=LoadRestrictionsNone';

/** The engine refused a file outside the kustomization's folder: `… is not in or below '…'`. */
export function isLoadRestrictorError(message: string): boolean {
  return /is not in or below/.test(message);
}

export type RenderResult =
  | {
      yaml: string;
      /** Turns a path from the build annotations (relative to the wrapper) into a path relative to cwd. */
      toCwdPath: (annotationPath: string) => string;
    }
  | { error: string };

/**
 * Builds `overlayDir` (absolute) through a throw-away wrapper kustomization in the system temp
 * folder, so the scanned tree is never written to. The wrapper only adds `buildMetadata`, which
 * makes kustomize annotate each object with its origin file and the kustomizations that
 * transformed it; kustomize refuses absolute resource paths, so it points at the overlay by a
 * relative one.
 */
export async function renderOverlay(engine: KustomizeEngine, cwd: string, overlayDir: string, { liftLoadRestrictor = false } = {}): Promise<RenderResult> {
  const wrapper = await realpath(await mkdtemp(path.join(os.tmpdir(), 'k8s-audit-')));
  try {
    const realCwd = await realpath(cwd);
    const overlay = await realpath(overlayDir);
    const relative = toPosixRelative(wrapper, overlay);
    const kustomization = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      `  - ${JSON.stringify(relative)}`,
      'buildMetadata: [originAnnotations, transformerAnnotations]',
      '',
    ].join('\n');
    await writeFile(path.join(wrapper, 'kustomization.yaml'), kustomization);
    const run = await execute(engine.command, [...engine.args, ...(liftLoadRestrictor ? [LIFTED_LOAD_RESTRICTOR] : []), wrapper]);
    if ('error' in run) return { error: cleanEngineMessage(run.error, wrapper, realCwd) };
    return {
      yaml: run.stdout,
      toCwdPath: (annotationPath) => toPosixRelative(realCwd, path.resolve(wrapper, annotationPath)),
    };
  } catch (error) {
    return { error: `cannot render: ${(error as Error).message}` };
  } finally {
    await rm(wrapper, { recursive: true, force: true });
  }
}

function execute(command: string, args: string[]): Promise<{ stdout: string } | { error: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: TIMEOUT_MS, maxBuffer: MAX_BUFFER, encoding: 'utf8', windowsHide: true }, (error, stdout, stderr) => {
      if (error === null) return resolve({ stdout });
      if (error.killed) return resolve({ error: `timed out after ${TIMEOUT_MS / 1000} s` });
      if ((error as NodeJS.ErrnoException).code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
        return resolve({ error: `output over ${MAX_BUFFER} bytes` });
      }
      resolve({ error: stderr.trim() === '' ? error.message : stderr });
    });
  });
}

/**
 * kustomize nests every cause in one line (`accumulating resources: accumulation err=…`), and
 * kubectl wraps it in a klog line. Keep the cause, drop the wrapper's own layer and the temp
 * folder, and write paths relative to cwd.
 */
export function cleanEngineMessage(stderr: string, wrapper: string, realCwd: string): string {
  let message = stderr;
  const klog = /err=(?:"((?:[^"\\]|\\.)*)"|<\s*([\s\S]*?)\s*>)/.exec(message);
  if (klog !== null) message = klog[1] !== undefined ? klog[1].replace(/\\(.)/g, '$1') : (klog[2] ?? message);
  message = message.replace(/^\s*Error:\s*/m, '').replace(/\s+/g, ' ').trim();
  // The wrapper's layer: "accumulating resources: accumulation err='accumulating resources from '../x': '/abs/x' must resolve to a file': recursed accumulation of path '/abs/x': "
  message = message.replace(/^accumulating resources: accumulation err='accumulating resources from '[^']*': '[^']*' must resolve to a file': (?:recursed accumulation of path '[^']*': )?/, '');
  message = message.replace(/evalsymlink failure on '([^']*)' : lstat \1:/g, '$1:');
  const relativise = (absolute: string) => toPosixRelative(realCwd, absolute);
  // Paths relative to the temp wrapper (`../../work/app/overlays/prod`) mean nothing once it is gone.
  message = message.replace(/(?:\.\.\/)+[^'" :,]*/g, (relative) => {
    const absolute = path.resolve(wrapper, relative);
    return absolute === realCwd || absolute.startsWith(realCwd + path.sep) ? relativise(absolute) : relative;
  });
  message = message.split(wrapper).join('<wrapper>');
  message = message.replace(new RegExp(`${escapeRegExp(realCwd)}(/[^'" :]*)?`, 'g'), (absolute) => relativise(absolute));
  return message.length > 400 ? `${message.slice(0, 397)}...` : message;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
