#!/usr/bin/env node
// Argument parsing, writing files and the exit code; everything else is audit() and the reporters.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { AuditResult } from './audit-result.js';
import { allRules, audit, TOOL } from './audit.js';
import { CONFIG_FILES, ConfigError, loadConfig, STARTER_CONFIG, type ResolvedConfig } from './config.js';
import { LEVELS, levelRank, type Level } from './findings.js';
import { DEFAULT_KUBE_VERSION, parseKubeVersion, type KubeVersion } from './manifests/removed-apis.js';
import { toPosixRelative } from './posix-paths.js';
import { DEFAULT_FORMATS, FORMATS, REPORT_FILES, reporters, type Format, type ReportOptions } from './report/index.js';
import { BaselineError, parseBaseline, renderBaseline } from './resolve/baseline.js';
import { changedFilesSince, ChangedFilesError } from './resolve/changed-files.js';

const EXIT = { passed: 0, gateFailed: 1, usage: 2, internal: 3 } as const;

const DEFAULT_BASELINE = 'k8s-audit-baseline.json';

const HELP = `Usage: k8s-audit [paths...] [options]
       k8s-audit init       write a commented starter rules.config.ts (never overwrites one)
       k8s-audit comment --report FILE
                            post or update the sticky pull-request comment (see k8s-audit comment --help)

Audits a Node.js/TypeScript service and its Kubernetes manifests for what breaks when it
runs as pods, and writes K8S_READINESS_AUDIT.md, k8s-audit.json and the rendered manifests.

Options:
  --format LIST        md,json,text,sarif,github,junit (comma list; default md,json,text)
  --out DIR            report folder (default reports); "-" prints the one chosen format to stdout
  --overlay DIR        kustomize overlay to render (repeatable; default: every kustomization root)
  --no-render          audit the YAML files as written, without rendering overlays
  --kube-version X.Y   target Kubernetes release (default ${DEFAULT_KUBE_VERSION}): API versions it removed or deprecates are reported
  --fail-on LEVEL      P0, P1, P2 or none (default none): exit 1 when a finding at or above LEVEL remains
  --config FILE        load this configuration (default: rules.config.{ts,mts,mjs,js,json} in the working directory)
  --no-config          ignore rules.config.* files
  --no-inline-suppressions  ignore k8s-audit-ignore-* comments and k8s-audit.dev/ignore annotations
  --baseline FILE      hide the findings FILE lists (by fingerprint) and mark the others new
  --update-baseline    write every current finding to the --baseline file (default ${DEFAULT_BASELINE})
  --changed-since REF  report only findings in files changed since REF (git diff REF...HEAD, and uncommitted)
  --date TEXT          print this date in the Markdown report (none by default, for reproducible reports)
  --quiet              print nothing but errors
  --debug              print the stack trace of an internal error
  --version            print the version
  --help               print this help

Command-line options override the configuration file. --fail-on counts what remains after
suppressions, the baseline and --changed-since.

Exit codes: 0 passed, 1 a finding at or above --fail-on, 2 usage or configuration error, 3 internal error.
`;

class UsageError extends Error {}

interface CliOptions {
  paths: string[];
  formats: Format[];
  out: string;
  overlays: string[];
  render: boolean;
  /** Undefined when not given: the configuration's, else the default. */
  kubeVersion?: KubeVersion;
  failOn?: Level | 'none';
  date?: string;
  quiet: boolean;
  debug: boolean;
  /** A file (`--config`), or false (`--no-config`); undefined looks for rules.config.* in the working directory. */
  config?: string | false;
  inlineSuppressions: boolean;
  baseline?: string;
  updateBaseline: boolean;
  changedSince?: string;
}

function parseCli(argv: string[]): CliOptions | 'help' | 'version' | 'init' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string' },
        out: { type: 'string' },
        overlay: { type: 'string', multiple: true },
        'no-render': { type: 'boolean' },
        'kube-version': { type: 'string' },
        'fail-on': { type: 'string' },
        config: { type: 'string' },
        'no-config': { type: 'boolean' },
        'no-inline-suppressions': { type: 'boolean' },
        baseline: { type: 'string' },
        'update-baseline': { type: 'boolean' },
        'changed-since': { type: 'string' },
        date: { type: 'string' },
        quiet: { type: 'boolean' },
        debug: { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return 'help';
  if (values.version === true) return 'version';
  if (positionals[0] === 'init') {
    if (positionals.length > 1) throw new UsageError('init takes no paths: it writes rules.config.ts in the working directory');
    return 'init';
  }
  if (values.config !== undefined && values['no-config'] === true) throw new UsageError('--config and --no-config contradict each other');
  if (values['changed-since'] !== undefined && values['changed-since'].trim() === '') throw new UsageError('--changed-since takes a git ref, such as origin/main');
  if (values['changed-since'] !== undefined && values['update-baseline'] === true) {
    throw new UsageError('--update-baseline records every finding; without --changed-since, or the baseline would hold only the changed files');
  }

  const formats = (values.format ?? DEFAULT_FORMATS.join(',')).split(',').map((f) => f.trim()).filter((f) => f !== '');
  for (const format of formats) {
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown format "${format}"; use ${FORMATS.join(', ')}`);
  }
  const out = values.out ?? 'reports';
  if (out === '-' && formats.length !== 1) throw new UsageError('--out - prints one format to stdout: choose it with --format');
  const failOn = values['fail-on'];
  if (failOn !== undefined && failOn !== 'none' && !(LEVELS as readonly string[]).includes(failOn)) throw new UsageError(`--fail-on takes P0, P1, P2 or none, not "${failOn}"`);
  const kubeVersion = values['kube-version'] === undefined ? undefined : parseKubeVersion(values['kube-version']);
  if (values['kube-version'] !== undefined && kubeVersion === undefined) throw new UsageError(`--kube-version takes a Kubernetes release such as 1.33, not "${values['kube-version']}"`);
  return {
    paths: positionals.length === 0 ? ['.'] : positionals,
    formats: formats as Format[],
    out,
    overlays: values.overlay ?? [],
    render: values['no-render'] !== true,
    ...(kubeVersion === undefined ? {} : { kubeVersion }),
    ...(failOn === undefined ? {} : { failOn: failOn as Level | 'none' }),
    ...(values.date === undefined ? {} : { date: values.date }),
    quiet: values.quiet === true,
    debug: values.debug === true,
    ...(values['no-config'] === true ? { config: false as const } : values.config === undefined ? {} : { config: values.config }),
    inlineSuppressions: values['no-inline-suppressions'] !== true,
    ...(values.baseline === undefined ? {} : { baseline: values.baseline }),
    updateBaseline: values['update-baseline'] === true,
    ...(values['changed-since'] === undefined ? {} : { changedSince: values['changed-since'] }),
  };
}

/** `k8s-audit init`: a starter configuration, never over one that exists. */
function writeStarterConfig(): number {
  const file = 'rules.config.ts';
  if (existsSync(file)) throw new UsageError(`${file} already exists; init does not overwrite it`);
  // A second config beside an existing one would be ignored or would hide it: the loader takes the first it finds.
  const other = CONFIG_FILES.find((name) => existsSync(name));
  if (other !== undefined) throw new UsageError(`${other} already exists; init writes no second configuration`);
  writeFileSync(file, STARTER_CONFIG, { flag: 'wx' });
  process.stderr.write(`k8s-audit: wrote ${file}; uncomment what applies\n`);
  return EXIT.passed;
}

/** The configuration file's settings with the command line's on top. */
async function configured(options: CliOptions): Promise<{ config: ResolvedConfig | undefined; failOn: Level | 'none'; kubeVersion: KubeVersion; overlays: string[] }> {
  let config: ResolvedConfig | undefined;
  try {
    config = options.config === false ? undefined : await loadConfig(process.cwd(), options.config);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  return {
    config,
    failOn: options.failOn ?? config?.failOn ?? 'none',
    kubeVersion: options.kubeVersion ?? config?.kubeVersion ?? DEFAULT_KUBE_VERSION,
    overlays: options.overlays.length > 0 ? options.overlays : (config?.overlays ?? []),
  };
}

async function resolveInputs(options: CliOptions): Promise<{ baseline?: Set<string>; changedFiles?: Set<string> }> {
  let baseline: Set<string> | undefined;
  if (options.baseline !== undefined && !options.updateBaseline) {
    if (!existsSync(options.baseline)) throw new UsageError(`baseline ${options.baseline} does not exist; write it with --update-baseline`);
    try {
      baseline = parseBaseline(readFileSync(options.baseline, 'utf8'), options.baseline);
    } catch (error) {
      if (error instanceof BaselineError) throw new UsageError(error.message);
      throw error;
    }
  }
  let changedFiles: Set<string> | undefined;
  if (options.changedSince !== undefined) {
    try {
      changedFiles = await changedFilesSince(process.cwd(), options.changedSince);
    } catch (error) {
      if (error instanceof ChangedFilesError) throw new UsageError(error.message);
      throw error;
    }
  }
  return { ...(baseline === undefined ? {} : { baseline }), ...(changedFiles === undefined ? {} : { changedFiles }) };
}

async function main(argv: string[]): Promise<number> {
  // Subcommands own their options and help; everything else is the audit (a folder named comment: ./comment).
  if (argv[0] === 'comment') {
    // Loaded on demand: the GitHub client is a tenth of a second of start-up every audit would pay.
    const { runCommentCommand } = await import('./comment/command.js');
    return runCommentCommand(argv.slice(1), { env: process.env, stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) });
  }
  const options = parseCli(argv);
  if (options === 'help') {
    process.stdout.write(HELP);
    return EXIT.passed;
  }
  if (options === 'version') {
    process.stdout.write(`${TOOL.version}\n`);
    return EXIT.passed;
  }
  if (options === 'init') return writeStarterConfig();
  const { config, failOn, kubeVersion, overlays } = await configured(options);
  for (const given of [...options.paths, ...overlays]) {
    if (!existsSync(given)) throw new UsageError(`no such file or folder: ${given}`);
  }
  const { baseline, changedFiles } = await resolveInputs(options);
  const toStdout = options.out === '-';
  const showProgress = !options.quiet && process.stderr.isTTY === true;
  if (showProgress) process.stderr.write(`k8s-audit: auditing ${options.paths.join(' ')}…`);
  const result = await audit({
    paths: options.paths,
    ...(overlays.length === 0 ? {} : { overlays }),
    render: options.render,
    kubeVersion,
    ...(toStdout ? {} : { manifestsDir: toPosixRelative(process.cwd(), path.resolve(options.out, 'manifests')), exclude: [options.out] }),
    ...(config === undefined
      ? {}
      : {
          rules: config.rules,
          levels: config.levels,
          ruleOptions: config.ruleOptions,
          ...(config.include === undefined ? {} : { include: config.include }),
          ...(config.exclude === undefined ? {} : { ignore: config.exclude }),
          ...(config.production === undefined ? {} : { production: config.production }),
          ...(config.workloads === undefined ? {} : { workloads: config.workloads }),
        }),
    inlineSuppressions: options.inlineSuppressions,
    ...(baseline === undefined ? {} : { baseline }),
    ...(changedFiles === undefined ? {} : { changedFiles }),
  });
  if (showProgress) process.stderr.write('\r\x1b[K');
  if (options.updateBaseline) {
    const file = options.baseline ?? DEFAULT_BASELINE;
    writeFileSync(file, renderBaseline(result.findings));
    if (!options.quiet) process.stderr.write(`k8s-audit: wrote ${file} (${result.findings.length} findings)\n`);
  }

  const reportOptions = fileReportOptions(options);
  if (toStdout) {
    const [format] = options.formats as [Format];
    process.stdout.write(reporters[format](result, { ...reportOptions, color: format === 'text' && process.stdout.isTTY === true }));
  } else {
    writeReports(result, options);
    if (options.formats.includes('text') && !options.quiet) process.stdout.write(reporters.text(result, { ...reportOptions, color: process.stdout.isTTY === true }));
  }
  // Right after --update-baseline every finding is in the baseline: nothing is left to fail on.
  const gateLevel = options.updateBaseline ? 'none' : failOn;
  return gatePassed(result, gateLevel, options.render) ? EXIT.passed : EXIT.gateFailed;
}

function writeReports(result: AuditResult, options: CliOptions): void {
  mkdirSync(options.out, { recursive: true });
  const written: string[] = [];
  for (const format of options.formats) {
    const file = REPORT_FILES[format];
    if (file === undefined) continue;
    writeFileSync(path.join(options.out, file), reporters[format](result, fileReportOptions(options)));
    written.push(path.join(options.out, file));
  }
  if (result.renderedManifests.length > 0) {
    const manifestsDir = path.join(options.out, 'manifests');
    mkdirSync(manifestsDir, { recursive: true });
    for (const { fileName, yaml } of result.renderedManifests) writeFileSync(path.join(manifestsDir, fileName), yaml);
    written.push(`${manifestsDir}${path.sep}`);
  }
  if (!options.quiet && written.length > 0) process.stderr.write(`k8s-audit: wrote ${written.join(', ')}\n`);
}

/**
 * What every reporter may use besides the result: rule metadata (SARIF), and the repository and
 * commit that PR-comment links point at — GitHub Actions sets both in the environment.
 */
function fileReportOptions(options: CliOptions): ReportOptions {
  const repository = process.env.GITHUB_REPOSITORY;
  const headSha = process.env.GITHUB_SHA;
  // GitHub Enterprise serves the repository somewhere else than github.com.
  const serverUrl = process.env.GITHUB_SERVER_URL?.replace(/\/+$/, '');
  return {
    rules: allRules,
    ...(options.date === undefined ? {} : { date: options.date }),
    ...(repository === undefined || repository === '' ? {} : { repository }),
    ...(headSha === undefined || headSha === '' ? {} : { headSha }),
    ...(serverUrl === undefined || serverUrl === '' ? {} : { serverUrl }),
  };
}

function gatePassed(result: AuditResult, failOn: Level | 'none', render: boolean): boolean {
  if (failOn === 'none') return true;
  // A gate cannot pass on manifests it could not see: an overlay that failed to render is a failure.
  const unseen = render ? result.scope.unrendered : [];
  for (const { source, reason } of unseen) process.stderr.write(`k8s-audit: gate failed: overlay ${source} was not rendered (${reason})\n`);
  // Nor on an overlay `kubectl apply -k` refuses, even though it could be audited with the restrictor lifted.
  const refused = render ? result.manifests.filter((manifest) => manifest.loadRestrictorLifted === true) : [];
  for (const { source } of refused) process.stderr.write(`k8s-audit: gate failed: overlay ${source} reads files outside its folder, which kubectl apply -k refuses (see Errors)\n`);
  return unseen.length === 0 && refused.length === 0 && !result.findings.some((finding) => levelRank(finding.severity) <= levelRank(failOn));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`k8s-audit: ${error.message}\nRun k8s-audit --help for usage.\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    const debug = process.argv.includes('--debug');
    const message = error instanceof Error ? (debug ? (error.stack ?? error.message) : error.message) : String(error);
    process.stderr.write(`k8s-audit: internal error: ${message}${debug ? '' : ' (run with --debug for the stack trace)'}\n`);
    process.exitCode = EXIT.internal;
  },
);
