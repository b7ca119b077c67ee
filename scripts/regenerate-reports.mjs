// Regenerates what is committed from the tool's own output: the audit of the example app under
// reports/, and the README's rule table. CI fails when either is stale (test/cli.test.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { allRules } from '../dist/audit.js';
import { withRulesTable } from '../dist/report/rules-table.js';

rmSync('reports', { recursive: true, force: true });
execFileSync(process.execPath, ['dist/cli.js', 'fixtures/apps/csv-portal', '--out', 'reports', '--format', 'md,json', '--quiet'], {
  stdio: 'inherit',
});
writeFileSync('README.md', withRulesTable(readFileSync('README.md', 'utf8'), allRules));
console.log('regenerated reports/ and the README rule table');
