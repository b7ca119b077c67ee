// Field test helper: audits real repositories (read-only checkouts outside this tree) the way a
// new user would, prints per-rule counts per repository, and draws a seeded sample of findings
// with their source line so a person can judge each one as real or false.
//
//   npm run field -- /work/field/trackdechets /work/field/sockshop
//   npm run field -- --sample 20 --seed 3 --source-only /work/field/*
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { audit } from '../dist/audit.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sample: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    // Only findings at a code line: the source and cross rules this field test is about.
    'source-only': { type: 'boolean', default: false },
  },
});
if (positionals.length === 0) {
  console.error('usage: node scripts/field-test.mjs [--sample N] [--seed S] [--source-only] <repo>...');
  process.exit(2);
}

const CODE_FILE = /\.(?:[cm]?[jt]sx?)$/;
const pool = [];
for (const repo of positionals) {
  const started = performance.now();
  const result = await audit({ cwd: repo, paths: ['.'] });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const counts = new Map();
  for (const finding of result.findings) {
    const key = `${finding.ruleId} ${finding.severity}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (!values['source-only'] || CODE_FILE.test(finding.file)) pool.push({ repo, finding });
  }
  const linked = result.workloads.filter((workload) => workload.package !== undefined).length;
  console.log(`\n## ${path.basename(repo)}: ${result.findings.length} findings, ${result.errors.length} errors, ${linked}/${result.workloads.length} containers linked, ${seconds} s`);
  for (const [key, count] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) console.log(`  ${key.padEnd(40)} ${count}`);
}

// A small linear congruential generator: the same seed draws the same sample on every machine.
let state = Number(values.seed) >>> 0;
const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const sample = [];
while (sample.length < Number(values.sample) && pool.length > 0) sample.push(...pool.splice(Math.floor(random() * pool.length), 1));

console.log(`\n## Sample of ${sample.length} (seed ${values.seed})`);
sample.forEach(({ repo, finding }, index) => {
  let line = '';
  try {
    line = readFileSync(path.join(repo, finding.file), 'utf8').split('\n')[finding.line - 1]?.trim() ?? '';
  } catch {
    // A finding on a rendered object may name a file that is not on disk: nothing to quote.
  }
  console.log(`\n${index + 1}. ${path.basename(repo)} ${finding.file}:${finding.line} ${finding.ruleId} ${finding.severity}`);
  console.log(`   > ${line.slice(0, 160)}`);
  console.log(`   ${finding.message}`);
});
