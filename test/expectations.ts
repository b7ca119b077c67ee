// Reads the `expect:` annotations fixtures carry next to the line they concern:
// `// expect: in-memory-state P0` in code, `# expect: image-tag P1, optional-secret P1` in YAML,
// `expect: none` for files that must produce nothing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';

const ANNOTATION = /(?:\/\/|#|\/\*)\s*expect:\s*([^*]+?)\s*(?:\*\/)?\s*$/;
const EXPECTATION = /^([a-z0-9-]+)\s+(P[012])$/;

/** `file:line rule-id LEVEL` strings, so a failing test prints a readable diff. */
export function readExpectations(cwd: string, folder: string): string[] {
  const files = fg.sync('**/*', { cwd: path.join(cwd, folder), dot: true, onlyFiles: true, ignore: ['**/node_modules/**'] });
  const expected: string[] = [];
  for (const file of files.sort()) {
    const text = readFileSync(path.join(cwd, folder, file), 'utf8');
    if (!text.includes('expect:')) continue;
    text.split(/\r?\n/).forEach((line, index) => {
      const match = ANNOTATION.exec(line);
      if (match === null || match[1] === 'none') return;
      for (const item of (match[1] as string).split(',').map((part) => part.trim())) {
        const parsed = EXPECTATION.exec(item);
        if (parsed === null) throw new Error(`${folder}/${file}:${index + 1}: cannot read expectation "${item}"`);
        expected.push(`${path.posix.join(folder, file)}:${index + 1} ${parsed[1]} ${parsed[2]}`);
      }
    });
  }
  return expected.sort();
}

export function describeFindings(findings: readonly { file: string; line: number; ruleId: string; severity: string }[]): string[] {
  return findings.map((f) => `${f.file}:${f.line} ${f.ruleId} ${f.severity}`).sort();
}
