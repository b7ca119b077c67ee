// Where a store container writes its data: the image defaults, or a folder its command or env
// moves them to.
import { isRecord } from './plain-data.js';
import { commandWords, flagValue, type StoreKind } from './stateful-stores.js';

/** Flags that move a store's data directory away from its image default. */
const DATA_DIR_FLAGS = ['--dir', '--data-dir', '--dbpath', '--datadir', '--store_dir', '-sd'];

/** Every folder the container may keep data in (`all`), and the one it most likely uses (`main`). */
export function storeDataPaths(store: StoreKind, container: Record<string, unknown>): { all: string[]; main: string } {
  const words = commandWords(container);
  const paths: string[] = [];
  for (const flag of DATA_DIR_FLAGS) {
    const value = flagValue(words, flag);
    if (value !== undefined && value.startsWith('/')) paths.push(value);
  }
  if (store.id === 'minio') {
    const server = words.indexOf('server');
    if (server !== -1) paths.push(...words.slice(server + 1).filter((word) => word.startsWith('/')));
  }
  for (const variable of Array.isArray(container.env) ? container.env : []) {
    if (isRecord(variable) && variable.name === 'PGDATA' && typeof variable.value === 'string') paths.push(variable.value);
  }
  const bitnami = typeof container.image === 'string' && /(^|\/)bitnami\//.test(container.image);
  const main = paths[0] ?? (bitnami ? store.dataPaths.find((p) => p.startsWith('/bitnami/')) : undefined) ?? store.dataPaths[0]!;
  return { all: [...paths, ...store.dataPaths], main };
}

/** Whether a mount at `mountPath` holds `dataPath`: the same folder, a parent, or a folder inside it. */
export function mountCovers(mountPath: string, dataPath: string): boolean {
  const mount = mountPath.replace(/\/+$/, '') || '/';
  const data = dataPath.replace(/\/+$/, '') || '/';
  return mount === data || data.startsWith(`${mount === '/' ? '' : mount}/`) || mount.startsWith(`${data}/`);
}
