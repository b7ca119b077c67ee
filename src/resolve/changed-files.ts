// `--changed-since REF`: the files a pull request touches, from git, so the report keeps only
// findings in them. git runs through execFile with an argument list: a ref is never a shell word.
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Finding } from '../findings.js';
import { KUSTOMIZATION_FILE_NAMES } from '../manifests/kustomization.js';
import { toPosixRelative } from '../posix-paths.js';

const run = promisify(execFile);

export class ChangedFilesError extends Error {}

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') throw new ChangedFilesError('--changed-since needs git on PATH');
    throw new ChangedFilesError(stderr.split('\n')[0] || (error as Error).message);
  }
}

/**
 * Files (POSIX, relative to `cwd`) changed between `ref` and HEAD — `git diff REF...HEAD`, what a
 * pull request shows — plus uncommitted and untracked changes in the work tree.
 */
export async function changedFilesSince(cwd: string, ref: string): Promise<Set<string>> {
  // A ref is never an option: `--output=…` must not reach git diff.
  if (ref.startsWith('-')) throw new ChangedFilesError(`--changed-since takes a git ref, not "${ref}"`);
  let top: string;
  try {
    top = (await git(cwd, ['rev-parse', '--show-toplevel'])).trim();
  } catch (error) {
    throw new ChangedFilesError(`--changed-since needs a git repository: ${cwd} is not in one (${(error as Error).message})`);
  }
  try {
    await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  } catch {
    throw new ChangedFilesError(`--changed-since: "${ref}" is not a commit, branch or tag in this repository (fetch it first in a shallow CI checkout)`);
  }
  const lists = await Promise.all([
    git(cwd, ['diff', '--name-only', '-z', `${ref}...HEAD`, '--']),
    git(cwd, ['diff', '--name-only', '-z', 'HEAD', '--']),
    git(cwd, ['ls-files', '--others', '--exclude-standard', '--full-name', '-z']),
  ]);
  // git prints real paths; compare them with the real working directory (a symlinked tmp dir differs).
  const realCwd = realpathSync(cwd);
  const files = new Set<string>();
  for (const list of lists) {
    for (const file of list.split('\0')) {
      if (file !== '') files.add(toPosixRelative(realCwd, path.join(top, file)));
    }
  }
  return files;
}

/**
 * The findings located in a changed file, or with a related location in one, or holding in an
 * overlay whose kustomization changed: a new `images:` tag or `replicas:` count changes what the
 * overlay renders from base files the change never touched.
 */
export function onlyChanged<F extends Finding>(findings: readonly F[], changed: ReadonlySet<string>): F[] {
  const changedOverlays = new Set([...changed].filter((file) => KUSTOMIZATION_FILE_NAMES.includes(path.posix.basename(file))).map((file) => path.posix.dirname(file)));
  return findings.filter(
    (finding) =>
      changed.has(finding.file) ||
      (finding.related ?? []).some((related) => changed.has(related.file)) ||
      (finding.overlays ?? []).some((overlay) => changedOverlays.has(overlay)),
  );
}
