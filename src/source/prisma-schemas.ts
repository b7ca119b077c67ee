// Reads the `datasource` block of Prisma schemas (`schema.prisma`): a SQLite provider means the
// database is a file next to the app. Prisma resolves `file:` URLs relative to the schema file.
import type { PrismaSqlite } from './app-model.js';

const DATASOURCE = /^\s*datasource\s+\w+\s*\{/;

/** The SQLite datasources of one schema's text, positioned at their `provider` line. */
export function prismaSqliteDatasources(file: string, text: string): PrismaSqlite[] {
  const lines = text.split(/\r?\n/);
  const found: PrismaSqlite[] = [];
  for (let index = 0; index < lines.length; index++) {
    if (!DATASOURCE.test(lines[index]!)) continue;
    let provider: { line: number; column: number; length: number } | undefined;
    let isSqlite = false;
    let url: string | undefined;
    let urlEnv: string | undefined;
    for (let inner = index + 1; inner < lines.length && !/^\s*\}/.test(lines[inner]!); inner++) {
      const line = lines[inner]!.replace(/\/\/.*$/, '');
      const providerMatch = /^(\s*)provider\s*=\s*"([^"]*)"/.exec(line);
      if (providerMatch !== null) {
        isSqlite = providerMatch[2] === 'sqlite';
        provider = { line: inner + 1, column: providerMatch[1]!.length + 1, length: line.trimEnd().length - providerMatch[1]!.length };
      }
      const literal = /^\s*url\s*=\s*"([^"]*)"/.exec(line);
      if (literal !== null) url = literal[1];
      const env = /^\s*url\s*=\s*env\(\s*"([^"]+)"\s*\)/.exec(line);
      if (env !== null) urlEnv = env[1];
    }
    if (!isSqlite || provider === undefined) continue;
    found.push({
      file,
      line: provider.line,
      column: provider.column,
      endLine: provider.line,
      endColumn: provider.column + provider.length,
      ...(url === undefined ? {} : { url }),
      ...(urlEnv === undefined ? {} : { urlEnv }),
    });
  }
  return found;
}
