// Suppressions with accountability: a reason silences a finding and the report lists it with the
// reason; no reason, or an unknown rule, silences nothing; --no-inline-suppressions brings all back.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { audit } from '../src/audit.js';
import { renderJson } from '../src/report/json.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { renderText } from '../src/report/text.js';
import { commentDirectives } from '../src/resolve/suppressions.js';
import { describeFindings } from './expectations.js';

const root = path.resolve(import.meta.dirname, '..');
const folder = 'fixtures/suppression-reason';
const at = (file: string, line: number, rest: string) => `${folder}/${file}:${line} ${rest}`;

/** What the fixture's directives silence, with the kind of directive that did. */
const SUPPRESSED = [
  at('deploy/cache.yaml', 19, 'resources P1 annotation'),
  at('deploy/cache.yaml', 21, 'image-tag P1 next-line'),
  at('deploy/cache.yaml', 22, 'resources P1 annotation'),
  at('src/admin.ts', 4, 'in-memory-state P0 file'),
  at('src/store.ts', 6, 'in-memory-state P0 next-line'),
];

describe('inline suppressions', () => {
  it('silence the findings a directive with a reason covers, and keep them with the reason', async () => {
    const result = await audit({ cwd: root, paths: [folder] });
    expect(result.suppressed.map((f) => `${f.file}:${f.line} ${f.ruleId} ${f.severity} ${f.suppression.kind}`).sort()).toEqual(SUPPRESSED);
    expect(result.suppressed.find((f) => f.file.endsWith('admin.ts'))?.suppression.reason).toBe('the admin console runs as one replica and its drafts may be lost on restart');
    // Not suppressed: no reason (carts, reports.ts, the exporter image), an unknown rule id (sessions), rules the annotation does not name.
    expect(describeFindings(result.findings).filter((f) => !f.includes(' suppression-reason '))).toEqual([
      at('deploy/cache.yaml', 19, 'security-context P2'),
      at('deploy/cache.yaml', 22, 'security-context P2'),
      at('deploy/cache.yaml', 24, 'image-tag P1'),
      at('deploy/cache.yaml', 9, 'availability P2'),
      at('src/reports.ts', 4, 'in-memory-state P0'),
      at('src/store.ts', 10, 'in-memory-state P0'),
      at('src/store.ts', 8, 'in-memory-state P0'),
    ]);
    expect(result.summary).toEqual({ P0: 3, P1: 1, P2: 8 });
    const unknown = result.findings.find((f) => f.ruleId === 'suppression-reason' && f.line === 9);
    expect(unknown?.message).toContain('names rule `in-memory-stat`, which k8s-audit does not have (did you mean `in-memory-state`?)');
  });

  it('are listed in the Markdown report with their reason and counted in the JSON', async () => {
    const result = await audit({ cwd: root, paths: [folder] });
    const markdown = renderMarkdown(result);
    expect(markdown).toContain('## Suppressed');
    expect(markdown).toContain('| feature flags cached per pod; every pod reloads them from the database on start |');
    const json = JSON.parse(renderJson(result)) as { summary: { suppressed: number }; suppressed: { ruleId: string; suppression: { reason: string; file: string; line: number } }[] };
    expect(json.summary.suppressed).toBe(SUPPRESSED.length);
    expect(renderText(result).trimEnd().split('\n').pop()).toBe('3 P0, 1 P1, 8 P2 findings (5 suppressed); 0 errors');
    expect(json.suppressed.find((f) => f.ruleId === 'image-tag')?.suppression).toEqual({
      kind: 'next-line',
      reason: 'the local registry retags memcached nightly; prod pins a digest',
      file: `${folder}/deploy/cache.yaml`,
      line: 20,
    });
  });

  it('are all ignored with inlineSuppressions: false (--no-inline-suppressions)', async () => {
    const withThem = await audit({ cwd: root, paths: [folder] });
    const without = await audit({ cwd: root, paths: [folder], inlineSuppressions: false });
    expect(without.suppressed).toEqual([]);
    const back = describeFindings(withThem.findings.filter((f) => f.ruleId !== 'suppression-reason'));
    const silenced = SUPPRESSED.map((line) => line.replace(/ (annotation|next-line|file)$/, ''));
    expect(describeFindings(without.findings)).toEqual([...back, ...silenced].sort());
  });
});

describe('the CLI', () => {
  it('lists suppressions in the JSON, and --no-inline-suppressions brings every finding back and fails the gate on them', () => {
    const cli = path.join(root, 'dist', 'cli.js');
    const run = (args: string[]) => spawnSync(process.execPath, [cli, folder, '--format', 'json', '--out', '-', '--fail-on', 'P0', ...args], { cwd: root, encoding: 'utf8' });
    const withThem = run([]);
    const without = run(['--no-inline-suppressions']);
    expect([withThem.status, without.status]).toEqual([1, 1]);
    const parsed = [withThem, without].map((r) => JSON.parse(r.stdout) as { summary: Record<string, number>; suppressed: unknown[] });
    expect(parsed.map((r) => r.summary)).toEqual([
      { P0: 3, P1: 1, P2: 8, suppressed: 5 },
      { P0: 5, P1: 4, P2: 3, suppressed: 0 },
    ]);
  });
});

describe('comment directives', () => {
  it('read rule ids and the reason after --, in code and YAML, and cover the next line that is not a comment', () => {
    const code = ['// k8s-audit-ignore-next-line in-memory-state, module-cache -- rebuilt on start', '// another comment', 'const a = new Map();'].join('\n');
    expect(commentDirectives('a.ts', code)).toMatchObject([{ kind: 'next-line', ruleIds: ['in-memory-state', 'module-cache'], reason: 'rebuilt on start', scope: { file: 'a.ts', line: 3 } }]);
    expect(commentDirectives('a.yaml', '# k8s-audit-ignore-file image-tag --   \nimage: x')).toMatchObject([{ kind: 'file', ruleIds: ['image-tag'], scope: { file: 'a.yaml' } }]);
    expect(commentDirectives('a.yaml', '# k8s-audit-ignore-file image-tag --   \n')[0]?.reason).toBeUndefined();
    // A `#` is not a comment in TypeScript, nor `//` in YAML.
    expect(commentDirectives('a.ts', '# k8s-audit-ignore-file image-tag -- x')).toEqual([]);
    expect(commentDirectives('a.yml', 'url: http://x // k8s-audit-ignore-file image-tag -- x')).toEqual([]);
  });
});
