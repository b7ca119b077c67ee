// The GitHub Action and the CI docs: action.yml parses, its inputs and their uses agree, its shell
// steps build the command line they should and leave the gate to the last step, and the docs only
// pass the action inputs it declares.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const actionText = readFileSync(path.join(root, 'action.yml'), 'utf8');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-action-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(actionText, { prettyErrors: true }) as Action;
const steps = action.runs.steps;
const step = (name: string): Step => {
  const found = steps.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no step named ${name}`);
  return found;
};

/** Every `inputs.x` inside a `${{ }}` expression, and in the bare expressions `if:` takes. */
function inputsUsed(): Set<string> {
  const expressions = [...actionText.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((match) => match[1] ?? '');
  expressions.push(...steps.map((s) => s.if ?? ''));
  return new Set(expressions.flatMap((expression) => [...expression.matchAll(/\binputs\.([A-Za-z0-9_-]+)/g)].map((match) => match[1] ?? '')));
}

/** Runs a step's script the way Actions runs `shell: bash`: `bash --noprofile --norc -eo pipefail`. */
function runStep(script: string, env: Record<string, string>, cwd = scratch): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return { status, stdout, stderr };
}

describe('action.yml', () => {
  it('is a composite action whose declared inputs are exactly the ones it uses', () => {
    expect(parseAllDocuments(actionText).flatMap((doc) => doc.errors)).toEqual([]);
    expect(action.runs.using).toBe('composite');
    expect(action.description.length).toBeGreaterThan(0);
    const declared = Object.keys(action.inputs).sort();
    expect([...inputsUsed()].sort()).toEqual(declared);
    for (const [name, input] of Object.entries(action.inputs)) expect(input.description, name).not.toBe('');
  });

  it('pins every action it uses, runs shell steps with bash, and keeps ${{ }} out of scripts', () => {
    for (const s of steps) {
      if (s.uses !== undefined) expect(s.uses, s.name).toMatch(/^[\w.-]+\/[\w./-]+@v\d+$/);
      if (s.run !== undefined) {
        expect(s.shell, s.name).toBe('bash');
        // Inputs reach scripts through env: an input spliced into a script would run as shell.
        expect(s.run, s.name).not.toContain('${{');
        expect(spawnSync('bash', ['-n', '-c', s.run]).status, s.name).toBe(0);
      }
    }
    expect(steps.map((s) => s.uses?.replace(/@.*/, '') ?? s.name)).toEqual([
      'actions/setup-node',
      'Install k8s-audit',
      'Audit',
      'github/codeql-action/upload-sarif',
      'Pull-request comment',
      'Gate',
    ]);
  });

  it('publishes and gates after the audit whatever happened to the steps between, the gate last', () => {
    const audit = step('Audit');
    expect(audit.id).toBe('audit');
    for (const name of ['Upload SARIF to code scanning', 'Pull-request comment', 'Gate']) {
      expect(step(name).if, name).toMatch(/^\$\{\{ !cancelled\(\) && steps\.audit\.outcome == 'success'/);
    }
    expect(steps.at(-1)?.name).toBe('Gate');
    expect(step('Upload SARIF to code scanning').with?.sarif_file).toBe('${{ inputs.out }}/k8s-audit.sarif');
    expect(step('Pull-request comment').run).toBe('k8s-audit comment --report "$OUT/k8s-audit.json"');
    expect(action.outputs['exit-code']?.value).toBe('${{ steps.audit.outputs.exit-code }}');
  });

  it('audit step: passes the inputs as arguments and records the exit code, failing only on 2 and 3', () => {
    const bin = path.join(scratch, 'bin');
    const workspace = path.join(scratch, 'workspace');
    for (const dir of [bin, path.join(workspace, 'packages', 'api'), path.join(workspace, 'packages', 'web')]) mkdirSync(dir, { recursive: true });
    // A stand-in for the CLI: records its arguments one per line and exits as told.
    const stub = path.join(bin, 'k8s-audit');
    writeFileSync(stub, '#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$STUB_ARGS"\nmkdir -p "$OUT" && echo "comment body" > "$OUT/k8s-audit-comment.md"\nexit "$STUB_EXIT"\n');
    chmodSync(stub, 0o755);
    const script = step('Audit').run ?? '';
    const outcome = (exit: number): { status: number | null; args: string[]; output: string; summary: string } => {
      const files = { args: path.join(scratch, `args-${exit}`), output: path.join(scratch, `output-${exit}`), summary: path.join(scratch, `summary-${exit}`) };
      for (const file of Object.values(files)) writeFileSync(file, '');
      const { status } = runStep(
        script,
        {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        STUB_ARGS: files.args,
        STUB_EXIT: String(exit),
        GITHUB_OUTPUT: files.output,
        GITHUB_STEP_SUMMARY: files.summary,
        PATHS: 'services/worker  packages/*\nservices/web',
        OVERLAYS: 'deploy/overlays/prod\ndeploy/overlays/staging',
        FAIL_ON: 'P0',
        BASELINE: '.k8s-audit-baseline.json',
        ARGS: '--kube-version 1.32 --no-inline-suppressions --date packages/*',
        OUT: path.join(scratch, 'out'),
        },
        workspace,
      );
      const read = (file: string): string => readFileSync(file, 'utf8');
      return { status, args: read(files.args).split('\n').filter((line) => line !== ''), output: read(files.output), summary: read(files.summary) };
    };
    const passed = outcome(0);
    expect(passed.status).toBe(0);
    expect(passed.args).toEqual([
      'services/worker',
      // Paths are globs the shell expands in the workspace; the arguments in `args` are not.
      'packages/api',
      'packages/web',
      'services/web',
      '--out',
      path.join(scratch, 'out'),
      '--format',
      'md,json,sarif,github,text',
      '--fail-on',
      'P0',
      '--overlay',
      'deploy/overlays/prod',
      '--overlay',
      'deploy/overlays/staging',
      '--baseline',
      '.k8s-audit-baseline.json',
      '--kube-version',
      '1.32',
      '--no-inline-suppressions',
      '--date',
      'packages/*',
    ]);
    expect(passed.output).toBe('exit-code=0\n');
    expect(passed.summary).toBe('comment body\n');
    const gateFailed = outcome(1);
    expect(gateFailed.status).toBe(0);
    expect(gateFailed.output).toBe('exit-code=1\n');
    expect(gateFailed.summary).toBe('comment body\n');
    for (const exit of [2, 3]) {
      const broken = outcome(exit);
      expect(broken.status).toBe(exit);
      expect(broken.output).toBe(`exit-code=${exit}\n`);
    }
  });

  it('audit step: leaves out --overlay and --baseline when not given', () => {
    const bin = path.join(scratch, 'bin-plain');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'k8s-audit'), '#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$STUB_ARGS"\n');
    chmodSync(path.join(bin, 'k8s-audit'), 0o755);
    const args = path.join(scratch, 'args-plain');
    const { status } = runStep(step('Audit').run ?? '', {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      STUB_ARGS: args,
      GITHUB_OUTPUT: path.join(scratch, 'output-plain'),
      GITHUB_STEP_SUMMARY: path.join(scratch, 'summary-plain'),
      PATHS: '.',
      OVERLAYS: '',
      FAIL_ON: 'none',
      BASELINE: '',
      ARGS: '',
      OUT: path.join(scratch, 'out-plain'),
    });
    expect(status).toBe(0);
    expect(readFileSync(args, 'utf8')).toBe(`.\n--out\n${path.join(scratch, 'out-plain')}\n--format\nmd,json,sarif,github,text\n--fail-on\nnone\n`);
  });

  it('gate step: fails with an annotation on exit code 1 only', () => {
    const script = step('Gate').run ?? '';
    const failed = runStep(script, { CODE: '1', FAIL_ON: 'P1', OUT: 'k8s-audit-reports' });
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(/^::error title=k8s-audit gate failed::findings at or above P1/);
    const passed = runStep(script, { CODE: '0', FAIL_ON: 'P1', OUT: 'k8s-audit-reports' });
    expect(passed.status).toBe(0);
  });
});

/** A block of steps alone is indented as it would be in a workflow. */
function dedent(block: string): string {
  const indent = Math.min(...block.split('\n').filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length));
  return block.replace(new RegExp(`^ {${indent}}`, 'gm'), '');
}

describe('docs/ci.md', () => {
  const docs = readFileSync(path.join(root, 'docs', 'ci.md'), 'utf8');
  const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');

  it('has YAML examples that parse and pass the action only inputs it declares', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const withs: Record<string, unknown>[] = [];
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (typeof node === 'object' && node !== null) {
        const record = node as Record<string, unknown>;
        if (typeof record.uses === 'string' && record.uses.endsWith('/k8s-audit@v1')) withs.push((record.with ?? {}) as Record<string, unknown>);
        Object.values(record).forEach(collect);
      }
    };
    for (const block of blocks) collect(parse(dedent(block)));
    expect(withs.length).toBeGreaterThanOrEqual(2);
    for (const given of withs) for (const input of Object.keys(given)) expect(Object.keys(action.inputs), input).toContain(input);
    // The inputs table lists every input.
    for (const input of Object.keys(action.inputs)) expect(docs).toContain(`| \`${input}\` |`);
  });

  it('documents the pre-promotion gate on the production overlay', () => {
    expect(docs).toContain('--overlay deploy/k8s/overlays/prod --fail-on P0 --no-inline-suppressions');
  });
});
