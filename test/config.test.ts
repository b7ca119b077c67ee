// rules.config.{ts,json}: loaded from the working directory by the built CLI, validated against the
// rule registry (exit 2 naming the rule and the option), and overridden by command-line flags.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { audit } from '../src/audit.js';
import { defineConfig, resolveConfig } from '../src/config.js';
import missingReference from '../src/manifest-rules/missing-reference.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Report {
  summary: Record<string, number>;
  findings: { ruleId: string; severity: string; file: string }[];
}

/** A fresh copy of the example app with this config file beside it; returns the folder to run in. */
function project(name: string, configFile?: string, config?: string): string {
  const dir = path.join(scratch, name);
  cpSync(path.join(root, 'fixtures/apps/csv-portal'), path.join(dir, 'app'), { recursive: true });
  if (configFile !== undefined && config !== undefined) writeFileSync(path.join(dir, configFile), config);
  return dir;
}

function run(cwd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  return { status, stdout, stderr };
}

// The overlays are not rendered: configuration is what these tests vary, and rendering is most of an audit's time.
const json = (cwd: string, args: string[] = []) => run(cwd, ['app', '--no-render', '--format', 'json', '--out', '-', ...args]);
const tsConfig = (body: string) => `import { defineConfig } from 'k8s-audit';\nexport default defineConfig(${body});\n`;

describe('rules.config', () => {
  const baseline = JSON.parse(json(project('none')).stdout) as Report;

  it('exits 2 naming an unknown rule id, with the nearest one', () => {
    const dir = project('unknown-rule', 'rules.config.ts', tsConfig(`{ rules: { 'image-tags': 'P0' } } as never`));
    const { status, stdout, stderr } = json(dir);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe('k8s-audit: rules.config.ts: unknown rule "image-tags" (did you mean "image-tag"?); the rules are listed in the README');
  });

  it('exits 2 naming the rule and the option when an option is wrong', () => {
    const wrongType = project('bad-option', 'rules.config.ts', tsConfig(`{ rules: { 'missing-reference': ['P0', { allow: 'Secret/x' }] } } as never`));
    const wrong = json(wrongType);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^k8s-audit: rules\.config\.ts: rule "missing-reference" option "allow": .*expected array/);
    const unknownOption = project('unknown-option', 'rules.config.json', JSON.stringify({ rules: { 'missing-reference': ['P0', { alow: [] }] } }));
    const unknown = json(unknownOption);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe('k8s-audit: rules.config.json: rule "missing-reference" unknown option "alow"');
    const optionsForARuleWithout = project('no-options', 'rules.config.json', JSON.stringify({ rules: { 'image-tag': ['P0', {}] } }));
    expect(json(optionsForARuleWithout).stderr.split('\n')[0]).toBe('k8s-audit: rules.config.json: rule "image-tag" takes no options; set just its level');
    const badSetting = project('bad-setting', 'rules.config.json', JSON.stringify({ failOn: 'P3' }));
    const bad = json(badSetting);
    expect(bad.status).toBe(2);
    expect(bad.stderr.split('\n')[0]).toMatch(/^k8s-audit: rules\.config\.json: "failOn": /);
  });

  it("drops a rule set to 'off' (a .ts config) and a .json config loads the same", () => {
    expect(baseline.findings.some((f) => f.ruleId === 'security-context')).toBe(true);
    const fromTs = JSON.parse(json(project('off-ts', 'rules.config.ts', tsConfig(`{ rules: { 'security-context': 'off' } }`))).stdout) as Report;
    expect(fromTs.findings.filter((f) => f.ruleId === 'security-context')).toEqual([]);
    expect(fromTs.findings).toEqual(baseline.findings.filter((f) => f.ruleId !== 'security-context'));
    const fromJson = JSON.parse(json(project('off-json', 'rules.config.json', JSON.stringify({ rules: { 'security-context': 'off' } }))).stdout) as Report;
    expect(fromJson.findings).toEqual(fromTs.findings);
  });

  it('changes levels, and with them the report and the exit code; command-line flags override it', () => {
    // Every P0 the example app has, lowered to P1: a P0 gate from the config passes.
    const lowered = `{ failOn: 'P0', rules: { 'in-memory-state': 'P1', 'local-fs-persistence': 'P1', 'required-env': 'P1', 'stateful-single-replica': 'P1' } }`;
    const dir = project('levels', 'rules.config.ts', tsConfig(lowered));
    const passed = json(dir);
    expect(passed.status).toBe(0);
    const report = JSON.parse(passed.stdout) as Report;
    expect(report.summary.P0).toBe(0);
    expect(report.summary.P1).toBe(baseline.summary.P1! + baseline.summary.P0!);
    // Raising image-tag to P0 fails the same gate.
    writeFileSync(path.join(dir, 'rules.config.ts'), tsConfig(lowered.replace("rules: {", "rules: { 'image-tag': 'P0',")));
    const failed = json(dir);
    expect(failed.status).toBe(1);
    expect((JSON.parse(failed.stdout) as Report).findings.filter((f) => f.severity === 'P0').map((f) => f.ruleId)).toEqual(['image-tag', 'image-tag']);
    expect(json(dir, ['--fail-on', 'none']).status).toBe(0);
    expect(json(dir, ['--no-config']).stdout).toBe(json(project('none-again')).stdout);
  });

  it('loads --config FILE from anywhere and reports a config file that does not exist', () => {
    const dir = project('explicit');
    writeFileSync(path.join(scratch, 'shared.config.json'), JSON.stringify({ rules: { 'security-context': 'off' } }));
    const report = JSON.parse(json(dir, ['--config', '../shared.config.json']).stdout) as Report;
    expect(report.findings.some((f) => f.ruleId === 'security-context')).toBe(false);
    const missing = json(dir, ['--config', 'nope.config.ts']);
    expect(missing.status).toBe(2);
    expect(missing.stderr.split('\n')[0]).toBe('k8s-audit: config file nope.config.ts does not exist');
  });

  it('init writes a commented starter that loads and changes nothing, and never overwrites', () => {
    const dir = project('init');
    expect(run(dir, ['init']).status).toBe(0);
    const starter = readFileSync(path.join(dir, 'rules.config.ts'), 'utf8');
    expect(starter).toContain("import { defineConfig } from 'k8s-audit';");
    expect(json(dir).stdout).toBe(json(project('init-none')).stdout);
    const again = run(dir, ['init']);
    expect(again.status).toBe(2);
    expect(again.stderr.split('\n')[0]).toBe('k8s-audit: rules.config.ts already exists; init does not overwrite it');
    expect(readFileSync(path.join(dir, 'rules.config.ts'), 'utf8')).toBe(starter);
    const withJson = project('init-json', 'rules.config.json', '{}');
    const beside = run(withJson, ['init']);
    expect(beside.status).toBe(2);
    expect(beside.stderr.split('\n')[0]).toBe('k8s-audit: rules.config.json already exists; init writes no second configuration');
  });
});

describe('rule options', () => {
  it("missing-reference's allow list spares objects created outside the repo, and the top-level allow feeds it", async () => {
    const folder = 'fixtures/missing-reference';
    const missing = (result: Awaited<ReturnType<typeof audit>>) => result.findings.filter((f) => f.message.includes('`api-secrets`')).length;
    expect(missing(await audit({ cwd: root, paths: [folder], rules: [missingReference] }))).toBeGreaterThan(0);
    for (const config of [{ rules: { 'missing-reference': ['P0', { allow: ['Secret/api-*'] }] } }, { allow: ['Secret/api-secrets'] }]) {
      const resolved = resolveConfig(config, 'rules.config.json');
      const result = await audit({ cwd: root, paths: [folder], rules: [missingReference], ruleOptions: resolved.ruleOptions });
      expect(missing(result), JSON.stringify(config)).toBe(0);
    }
  });

  it('are typed from the registry: a wrong rule id or option does not compile', () => {
    // @ts-expect-error -- no rule has this id
    defineConfig({ rules: { 'image-tags': 'P0' } });
    // @ts-expect-error -- missing-reference has no option `alow`
    defineConfig({ rules: { 'missing-reference': ['P0', { alow: [] }] } });
    // @ts-expect-error -- image-tag takes no options
    defineConfig({ rules: { 'image-tag': ['P0', {}] } });
    expect(defineConfig({ rules: { 'missing-reference': ['P1', { allow: ['Secret/x'] }], 'image-tag': 'off' } })).toBeDefined();
  });
});

describe('file and overlay settings', () => {
  const app = 'fixtures/apps/csv-portal';
  const describeLevels = (findings: readonly { ruleId: string; severity: string; overlays?: string[] }[], ruleId: string) =>
    findings.filter((f) => f.ruleId === ruleId).map((f) => `${f.severity} ${(f.overlays ?? []).map((o) => o.split('/').pop()).join(',')}`).sort();

  it('production: names the overlays that deploy to production instead of guessing from the name', async () => {
    const guessed = await audit({ cwd: root, paths: [app] });
    expect(describeLevels(guessed.findings, 'stateful-single-replica')).toEqual(['P0 prod', 'P0 prod', 'P0 prod', 'P1 local', 'P1 local', 'P1 local']);
    const { production } = resolveConfig({ production: ['**/overlays/local'] }, 'rules.config.json');
    const configured = await audit({ cwd: root, paths: [app], ...(production === undefined ? {} : { production }) });
    expect(describeLevels(configured.findings, 'stateful-single-replica')).toEqual(['P0 local', 'P0 local', 'P0 local', 'P1 prod', 'P1 prod', 'P1 prod']);
  });

  it('include and exclude: files outside are neither audited nor reported', async () => {
    const all = await audit({ cwd: root, paths: [app] });
    const { exclude } = resolveConfig({ exclude: ['**/deploy/**'] }, 'rules.config.json');
    const noManifests = await audit({ cwd: root, paths: [app], ...(exclude === undefined ? {} : { ignore: exclude }) });
    expect(noManifests.findings.length).toBeGreaterThan(0);
    // Without manifests nothing links code to workloads: the code-only findings stay as they were.
    const codeOnly = (findings: typeof all.findings): string[] => findings.filter((f) => f.ruleId === 'in-memory-state').map((f) => `${f.file}:${f.line} ${f.severity}`);
    expect(noManifests.findings.filter((f) => f.file.includes('/deploy/') || f.overlays !== undefined)).toEqual([]);
    expect(codeOnly(noManifests.findings)).toEqual(codeOnly(all.findings));
    expect(noManifests.manifests).toEqual([]);
    const { include } = resolveConfig({ include: [`${app}/packages/api/src/security/**`] }, 'rules.config.json');
    const onlySecurity = await audit({ cwd: root, paths: [app], ...(include === undefined ? {} : { include }) });
    expect(onlySecurity.scope.sourceFiles).toBe(1);
    expect(onlySecurity.findings.map((f) => `${f.file.split('/').pop()}:${f.line} ${f.ruleId}`)).toEqual(['ip-ban.ts:4 in-memory-state', 'ip-ban.ts:5 in-memory-state']);
  });

  it('workloads: validated and passed through; kubeVersion checked', () => {
    expect(resolveConfig({ workloads: { 'Deployment/api': 'packages/api' } }, 'rules.config.json').workloads).toEqual({ 'Deployment/api': 'packages/api' });
    expect(() => resolveConfig({ workloads: { api: 'packages/api' } }, 'rules.config.json')).toThrow('rules.config.json: workloads: "api" is not a workload such as "Deployment/api"');
    expect(() => resolveConfig({ kubeVersion: 'latest' }, 'rules.config.json')).toThrow('rules.config.json: kubeVersion takes a Kubernetes release such as "1.33", not "latest"');
    expect(() => resolveConfig({ failon: 'P0' }, 'rules.config.json')).toThrow('rules.config.json: unknown setting "failon"');
  });
});
