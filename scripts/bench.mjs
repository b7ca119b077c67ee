// Performance budget check (DESIGN.md): whole-process wall time of the audit next to a plain
// `ts.createSourceFile` parse of the same files, medians of several runs, and the ratio.
//
//   npm run bench                      synthetic monorepo of 2,000 TypeScript files
//   npm run bench -- /path/to/repo     a real repository
//   npm run bench -- --files 10000 --runs 3
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { files: { type: 'string', default: '2000' }, runs: { type: 'string', default: '5' } },
});
const runs = Number(values.runs);
// Outside the work tree: inside it, git would report the generated files as ignored or untracked noise.
const target = positionals[0] ?? generateSyntheticRepo(path.join(os.tmpdir(), 'k8s-audit-bench'), Number(values.files));

const parseChild = `
  import { readFileSync } from 'node:fs';
  import path from 'node:path';
  import { ts } from 'ts-morph';
  import { discover } from './dist/discover.js';
  const cwd = process.cwd();
  const { sources } = await discover({ cwd, paths: [process.argv[1]] });
  let lines = 0;
  for (const file of sources) {
    const text = readFileSync(path.resolve(cwd, file), 'utf8');
    lines += text.split('\\n').length;
    ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  }
  console.log(JSON.stringify({ files: sources.length, lines, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
`;
const auditChild = `
  import { audit } from './dist/audit.js';
  const result = await audit({ paths: [process.argv[1]] });
  console.log(JSON.stringify({ findings: result.findings.length, errors: result.errors.length, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
`;

function timeChild(script) {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, target], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (child.status !== 0) throw new Error(child.stderr);
  return { seconds, ...JSON.parse(child.stdout.trim().split('\n').pop()) };
}

function median(numbers) {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const parseRuns = [];
const auditRuns = [];
for (let run = 0; run < runs; run += 1) {
  parseRuns.push(timeChild(parseChild));
  auditRuns.push(timeChild(auditChild));
}
const parse = median(parseRuns.map((r) => r.seconds));
const auditTime = median(auditRuns.map((r) => r.seconds));
const { files, lines } = parseRuns[0];
const { findings, errors } = auditRuns[0];
console.log(`target: ${target}`);
console.log(`${files} source files, ${lines} lines; medians of ${runs} runs, whole-process wall time`);
console.log(`plain parse (read + ts.createSourceFile): ${parse.toFixed(2)} s, peak RSS ${Math.round(Math.max(...parseRuns.map((r) => r.maxRssMiB)))} MiB`);
console.log(`k8s-audit (${findings} findings, ${errors} errors): ${auditTime.toFixed(2)} s, peak RSS ${Math.round(Math.max(...auditRuns.map((r) => r.maxRssMiB)))} MiB`);
console.log(`ratio: ${(auditTime / parse).toFixed(2)} (budget ≤ 2.0, goal ≤ 1.5)`);

/** A monorepo shaped like the services this tool audits: routes, queues, state, fs and env. */
function generateSyntheticRepo(root, fileCount) {
  rmSync(root, { recursive: true, force: true });
  const packages = 10;
  for (let p = 0; p < packages; p += 1) {
    mkdirSync(path.join(root, `packages/svc-${p}/src`), { recursive: true });
    writeFileSync(path.join(root, `packages/svc-${p}/package.json`), JSON.stringify({ name: `@synthetic/svc-${p}`, main: 'dist/index.js' }));
  }
  for (let i = 0; i < fileCount; i += 1) {
    const p = i % packages;
    writeFileSync(path.join(root, `packages/svc-${p}/src/module-${i}.ts`), syntheticModule(i, p, packages, fileCount));
  }
  return root;
}

function syntheticModule(i, p, packages, fileCount) {
  const next = (i + packages) % fileCount;
  const stateful = i % 7 === 0;
  const writes = i % 11 === 0;
  const handlers = Array.from({ length: 6 }, (_, h) => `
router.${['get', 'post', 'put', 'delete'][h % 4]}('/items-${i}/${h}/:id', async (req: Request, res: Response) => {
  const id = String(req.params.id);
  const limit = Number(process.env.LIMIT_${h} ?? '50');
  const rows = await repository${i}.find({ id, limit, tenant: req.headers['x-tenant'] });
  ${stateful ? `seen${i}.set(id, Date.now());` : `const local = new Map<string, number>(); local.set(id, rows.length);`}
  ${writes ? `await fs.writeFile(path.join(process.env.DATA_DIR ?? '/data', \`\${id}-${h}.json\`), JSON.stringify(rows));` : `await fs.writeFile(path.join(os.tmpdir(), \`\${id}.tmp\`), '');`}
  if (rows.length === 0) {
    res.status(404).json({ error: 'not found', id });
    return;
  }
  res.json({ rows: rows.map((row: Row) => ({ ...row, label: LABELS[row.kind] ?? row.kind })) });
});`).join('\n');
  return `import { Router, type Request, type Response } from 'express';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { helper${next} } from './module-${next}.js';

interface Row { id: string; kind: string; createdAt: Date; payload: Record<string, unknown> }

const LABELS: Record<string, string> = { a: 'Alpha', b: 'Beta', c: 'Gamma', d: 'Delta' };
${stateful ? `const seen${i} = new Map<string, number>();` : `const registry${i} = new Map<string, string>([['a', 'b']]);`}

class Repository${i} {
  private readonly table = 'table_${i}';
  async find(query: { id: string; limit: number; tenant: unknown }): Promise<Row[]> {
    const result: Row[] = [];
    for (let n = 0; n < query.limit; n += 1) {
      if (n % 3 === 0) continue;
      result.push({ id: \`\${query.id}-\${n}\`, kind: 'a', createdAt: new Date(), payload: { n, table: this.table } });
    }
    return result;
  }
}

const repository${i} = new Repository${i}();
export const router = Router();

export function helper${i}(value: number): number {
  return value > 10 ? helper${next}(value - 1) : value * 2;
}
${handlers}
`;
}
