// Reading a scanned file as text, refusing what would stall or mislead a parser.
import { readFileSync } from 'node:fs';

/** Larger files are generated bundles or data, not hand-written code or manifests. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type FileText = { text: string } | { error: string };

export function readFileText(absolutePath: string): FileText {
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolutePath);
  } catch (error) {
    return { error: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  if (bytes.length > MAX_FILE_BYTES) {
    return { error: `skipped: ${bytes.length} bytes is over the ${MAX_FILE_BYTES}-byte limit for a scanned file` };
  }
  if (bytes.subarray(0, 8192).includes(0)) {
    return { error: 'skipped: binary content (NUL byte)' };
  }
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    return { error: 'skipped: not valid UTF-8 text' };
  }
}
