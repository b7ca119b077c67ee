// Regenerates what is committed from the tool's own output: the audit of the example app under
// reports/, and the README's rule table and sample output. CI fails when any is stale (test/cli.test.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { allRules } from '../dist/audit.js';
import { renderRulesTable, withGeneratedSection } from '../dist/report/rules-table.js';

const cli = (args) => execFileSync(process.execPath, ['dist/cli.js', 'fixtures/apps/csv-portal', ...args], { encoding: 'utf8' });

rmSync('reports', { recursive: true, force: true });
cli(['--out', 'reports', '--format', 'md,json', '--quiet']);
const sample = `\`\`\`\n$ k8s-audit fixtures/apps/csv-portal --format text --out -\n${cli(['--format', 'text', '--out', '-'])}\`\`\``;
let readme = readFileSync('README.md', 'utf8');
readme = withGeneratedSection(readme, 'rules-table', renderRulesTable(allRules));
readme = withGeneratedSection(readme, 'sample-output', sample);
writeFileSync('README.md', readme);
console.log('regenerated reports/ and the README rule table and sample output');
