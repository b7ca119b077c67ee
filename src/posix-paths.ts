// Paths in findings, errors and reports are POSIX and relative to the working directory
// (DESIGN.md), whatever the platform: one function makes them.
import path from 'node:path';

/** `to` relative to `from`, with `/` separators; `.` when they are the same folder. */
export function toPosixRelative(from: string, to: string): string {
  const relative = path.relative(from, to);
  return relative === '' ? '.' : relative.split(path.sep).join('/');
}

/** Whether `file` is `root` or lies below it (both absolute): a lexical test, links are not resolved. */
export function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}
