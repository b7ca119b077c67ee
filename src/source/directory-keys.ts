// Which directory a filesystem path names, as a key that joins writes with reads across a
// package: `$UPLOAD_DIR`, `/data/results`, `uploads` relative to the repo or working directory.
import type { PathInfo } from './app-model.js';

/** Device files and logs are not data the app keeps; logs are the file-logging rule's. */
const NOT_PERSISTENCE = /^\/dev\/|^\/proc\/|\.log$|(^|\/)logs?$/;

/** Which directory a path points into, per package; undefined for the temp dir, logs and paths that cannot be folded. */
export function directoryKey(packageDir: string | undefined, path: PathInfo): string | undefined {
  const scope = packageDir ?? '.';
  switch (path.root) {
    case 'env':
      return path.envVar === undefined ? undefined : `${scope}|env|${path.envVar}`;
    case 'absolute':
      if (path.prefix !== undefined && NOT_PERSISTENCE.test(path.prefix)) return undefined;
      if (NOT_PERSISTENCE.test(path.text.replace(/['"`]/g, ''))) return undefined;
      return `${scope}|absolute|${path.prefix ?? '/'}`;
    case 'repo': {
      if (NOT_PERSISTENCE.test(path.text.replace(/['"`)]/g, ''))) return undefined;
      // `path.join(__dirname, '..', 'uploads')` and `'./uploads'` name the same folder in practice.
      const folder = (path.prefix ?? '').split('/').filter((part) => part !== '' && part !== '.' && part !== '..').join('/');
      if (NOT_PERSISTENCE.test(folder)) return undefined;
      return `${scope}|repo|${folder === '' ? '.' : folder}`;
    }
    // The temp dir is scratch space; a path we cannot fold is not judged rather than guessed.
    case 'tmp':
    case 'dynamic':
      return undefined;
  }
}

/** A read of `/data` covers writes to `/data/results`, and the other way round (`uploads` and `uploads/csv` too). */
export function sameDirectory(readKey: string, writeKey: string): boolean {
  if (readKey === writeKey) return true;
  const [readScope, readRoot, readDir = ''] = readKey.split('|');
  const [writeScope, writeRoot, writeDir = ''] = writeKey.split('|');
  if (readScope !== writeScope || readRoot !== writeRoot || (readRoot !== 'absolute' && readRoot !== 'repo')) return false;
  return writeDir.startsWith(`${readDir.replace(/\/$/, '')}/`) || readDir.startsWith(`${writeDir.replace(/\/$/, '')}/`);
}
