// Client affinity declared in nginx `upstream` blocks (`ip_hash;`, `sticky …;`,
// `hash $remote_addr …;`), read from the `*.conf` and `*.conf.template` files discovery found.
// A small tokenizer is enough: nginx statements end with `;`, blocks open with `{` and close
// with `}`, and `#` starts a comment outside quotes.
import path from 'node:path';
import type { AuditError, Span } from '../findings.js';
import { readFileText } from '../file-text.js';

export interface UpstreamAffinity extends Span {
  /** The upstream block's name. */
  upstream: string;
  /** The directive as written, without its `;`: `ip_hash`, `hash $remote_addr consistent`, `sticky cookie srv_id`. */
  directive: string;
  /** `client-ip`: keyed on the client's address; `cookie`: nginx's `sticky` (cookie, route or learn). */
  keyedBy: 'client-ip' | 'cookie';
  /** The `server` entries of the block, as written: `api:3000`, `10.0.0.5:8080`. */
  servers: string[];
}

const CONFIG = /\.conf(\.template)?$/;

export function readUpstreamAffinity(cwd: string, files: readonly string[]): { affinity: UpstreamAffinity[]; errors: AuditError[] } {
  const affinity: UpstreamAffinity[] = [];
  const errors: AuditError[] = [];
  for (const file of files) {
    if (!CONFIG.test(file)) continue;
    const read = readFileText(path.resolve(cwd, file));
    if ('error' in read) {
      errors.push({ file, message: read.error });
      continue;
    }
    // Most config files have no upstream: skip them before tokenizing.
    if (!read.text.includes('upstream')) continue;
    affinity.push(...upstreamAffinity(file, read.text));
  }
  return { affinity, errors };
}

interface Statement {
  text: string;
  line: number;
  column: number;
}

/** The affinity directives of every `upstream` block of one file. */
export function upstreamAffinity(file: string, text: string): UpstreamAffinity[] {
  const found: UpstreamAffinity[] = [];
  const blocks: { upstream?: string; servers: string[]; directives: Statement[] }[] = [];
  let current = '';
  let start: { line: number; column: number } | undefined;
  let line = 1;
  let column = 0;
  let quote: string | undefined;
  let comment = false;
  /** Inside `${VAR}` of a template: its braces are not blocks. */
  let variable = false;
  let previous = '';
  for (const char of text) {
    const afterDollar = previous === '$';
    previous = char;
    column++;
    if (char === '\n') {
      line++;
      column = 0;
      comment = false;
      current += ' ';
      continue;
    }
    if (comment) continue;
    if (quote !== undefined) {
      current += char;
      if (char === quote) quote = undefined;
      continue;
    }
    if (char === '#') {
      comment = true;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    if ((char === '{' && afterDollar) || (char === '}' && variable)) {
      variable = char === '{';
      current += char;
      continue;
    }
    if (char === '{' || char === ';' || char === '}') {
      const statement = { text: current.trim().replace(/\s+/g, ' '), line: start?.line ?? line, column: start?.column ?? column };
      current = '';
      start = undefined;
      if (char === '{') {
        const header = /^upstream\s+(\S+)$/.exec(statement.text);
        blocks.push(header === null ? { servers: [], directives: [] } : { upstream: header[1]!, servers: [], directives: [] });
      } else if (char === ';') {
        const block = blocks[blocks.length - 1];
        if (block?.upstream !== undefined) {
          const server = /^server\s+(\S+)/.exec(statement.text);
          if (server !== null) block.servers.push(server[1]!);
          else block.directives.push(statement);
        }
      } else {
        const block = blocks.pop();
        if (block?.upstream !== undefined) {
          for (const directive of block.directives) {
            const keyedBy = affinityOf(directive.text);
            if (keyedBy === undefined) continue;
            found.push({
              file,
              line: directive.line,
              column: directive.column,
              endLine: directive.line,
              endColumn: directive.column + directive.text.length + 1,
              upstream: block.upstream,
              directive: directive.text,
              keyedBy,
              servers: block.servers,
            });
          }
        }
      }
      continue;
    }
    if (start === undefined && char.trim() !== '') start = { line, column };
    current += char;
  }
  return found;
}

/** `ip_hash`, `hash $remote_addr`, `hash $binary_remote_addr consistent`, `sticky cookie …`; `hash $request_uri` is cache affinity. */
function affinityOf(directive: string): UpstreamAffinity['keyedBy'] | undefined {
  if (directive === 'ip_hash') return 'client-ip';
  if (/^hash\s+\S*\$(binary_)?remote_addr\b/.test(directive)) return 'client-ip';
  if (/^sticky(\s|$)/.test(directive)) return 'cookie';
  return undefined;
}
