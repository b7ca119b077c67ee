// `rules.config.ts`: what a team decides once and commits — levels, rule options, which files and
// overlays count — typed from the rule registry, so a wrong rule id or option is a compile error in
// the editor and a clear exit-2 error at load.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { allRules } from './audit.js';
import { LEVELS, type Level } from './findings.js';
import type { manifestRules } from './manifest-rules/index.js';
import { parseKubeVersion, type KubeVersion } from './manifests/removed-apis.js';
import type { resolveRules } from './resolve-rules/index.js';
import type { OptionsSchema, Rule } from './rule.js';
import type { crossRules, sourceRules } from './rules/index.js';

type RegisteredRule = (typeof sourceRules)[number] | (typeof crossRules)[number] | (typeof manifestRules)[number] | (typeof resolveRules)[number];
export type RuleId = RegisteredRule['id'];

/** A level, `'off'`, or — for a rule that declares options — `[level, options]`. */
export type RuleSetting<Options extends OptionsSchema> =
  | Level
  | 'off'
  | (OptionsSchema extends Options ? never : readonly [Level, z.input<Options>]);

export type RulesConfig = { [R in RegisteredRule as R['id']]?: RuleSetting<NonNullable<R['options']>> };

export interface Config {
  /** Per rule: a level that replaces the level of each of its findings, `'off'`, or `[level, options]`. */
  rules?: RulesConfig;
  /** Globs relative to the working directory: only matching files are audited and reported. */
  include?: string[];
  /** Globs relative to the working directory: matching files are neither audited nor reported. */
  exclude?: string[];
  /** Kustomize overlays to render (like `--overlay`); default: every kustomization root. */
  overlays?: string[];
  /** Overlay paths or globs that deploy to production; default: an overlay path segment `prod` or `production`. */
  production?: string[];
  /** Workload (`Deployment/api`) → the package folder it runs, where the image name does not tell. */
  workloads?: Record<string, string>;
  /** `Kind/name` of objects created outside the repo (sealed or external secrets): added to every rule's `allow` option. */
  allow?: string[];
  /** Exit 1 when a finding at or above this level remains (like `--fail-on`). */
  failOn?: Level | 'none';
  /** The Kubernetes release the manifests target, such as `'1.33'` (like `--kube-version`). */
  kubeVersion?: string;
}

/** Identity, for the types: `export default defineConfig({ … })` in `rules.config.ts`. */
export function defineConfig(config: Config): Config {
  return config;
}

/** Looked for in the working directory, in this order. */
export const CONFIG_FILES = ['rules.config.ts', 'rules.config.mts', 'rules.config.mjs', 'rules.config.js', 'rules.config.json'] as const;

export class ConfigError extends Error {}

/** A configuration as the audit uses it: validated, defaults applied, the rules that stay on. */
export interface ResolvedConfig {
  /** The file it came from, relative to the working directory. */
  file: string;
  rules: readonly Rule[];
  levels: Record<string, Level>;
  ruleOptions: Record<string, Record<string, unknown>>;
  include?: string[];
  exclude?: string[];
  overlays?: string[];
  production?: string[];
  workloads?: Record<string, string>;
  failOn?: Level | 'none';
  kubeVersion?: KubeVersion;
}

const globs = z.array(z.string().min(1));
const configSchema = z.strictObject({
  rules: z.record(z.string(), z.unknown()).optional(),
  include: globs.optional(),
  exclude: globs.optional(),
  overlays: globs.optional(),
  production: globs.optional(),
  workloads: z.record(z.string(), z.string().min(1)).optional(),
  allow: z.array(z.string()).optional(),
  failOn: z.enum([...LEVELS, 'none']).optional(),
  kubeVersion: z.string().optional(),
});

/**
 * Finds and loads the configuration: `explicit` (`--config FILE`), else the first of
 * `CONFIG_FILES` in `cwd`; undefined when there is none.
 */
export async function loadConfig(cwd: string, explicit?: string): Promise<ResolvedConfig | undefined> {
  const file = explicit === undefined ? CONFIG_FILES.map((name) => path.join(cwd, name)).find((candidate) => existsSync(candidate)) : path.resolve(cwd, explicit);
  if (file === undefined) return undefined;
  const shown = path.relative(cwd, file) || file;
  if (!existsSync(file)) throw new ConfigError(`config file ${shown} does not exist`);
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(readFileSync(file, 'utf8')) : await importConfig(file);
  } catch (error) {
    throw new ConfigError(`${shown} could not be loaded: ${(error as Error).message.split('\n')[0]}`);
  }
  return resolveConfig(raw, shown);
}

async function importConfig(file: string): Promise<unknown> {
  // Loaded only when a TypeScript or JavaScript config is there to load.
  const { createJiti } = await import('jiti');
  const jiti = createJiti(import.meta.url, {
    // `import { defineConfig } from 'k8s-audit'` gets the running copy, installed locally or not (npx).
    alias: { 'k8s-audit': fileURLToPath(new URL('./index.js', import.meta.url)) },
    // No cache folder: the audit writes nothing into the tree it scans.
    fsCache: false,
    moduleCache: false,
  });
  return jiti.import(file, { default: true });
}

/** Validates a loaded configuration against the rule registry; every error names the file, the rule and the option. */
export function resolveConfig(raw: unknown, file: string, rules: readonly Rule[] = allRules): ResolvedConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${file}: ${describeIssues(parsed.error.issues, '')}`);
  const config = parsed.data;
  for (const workload of Object.keys(config.workloads ?? {})) {
    if (!/^[A-Za-z]+\/[^/\s]+$/.test(workload)) throw new ConfigError(`${file}: workloads: "${workload}" is not a workload such as "Deployment/api"`);
  }
  const levels: Record<string, Level> = {};
  const ruleOptions: Record<string, Record<string, unknown>> = {};
  const off = new Set<string>();
  const byId = new Map(rules.map((rule) => [rule.id, rule]));
  for (const [id, setting] of Object.entries(config.rules ?? {})) {
    const rule = byId.get(id);
    if (rule === undefined) {
      const guess = closest(id, [...byId.keys()]);
      const suggestion = distance(id, guess) <= Math.max(2, Math.floor(id.length / 3)) ? ` (did you mean "${guess}"?)` : '';
      throw new ConfigError(`${file}: unknown rule "${id}"${suggestion}; the rules are listed in the README`);
    }
    const level: unknown = Array.isArray(setting) ? setting[0] : setting;
    if (level === 'off') {
      off.add(id);
      continue;
    }
    if (!(LEVELS as readonly unknown[]).includes(level) || (Array.isArray(setting) && setting.length !== 2)) {
      throw new ConfigError(`${file}: rule "${id}" takes "P0", "P1", "P2", "off"${rule.options === undefined ? '' : ' or ["P1", { …options }]'}, not ${JSON.stringify(setting)}`);
    }
    levels[id] = level as Level;
    if (Array.isArray(setting) && rule.options === undefined) throw new ConfigError(`${file}: rule "${id}" takes no options; set just its level`);
  }
  // Options: the configured ones, with the top-level `allow` added to each rule that has an `allow` option.
  for (const rule of rules) {
    if (rule.options === undefined || off.has(rule.id)) continue;
    const setting = config.rules?.[rule.id];
    const given = Array.isArray(setting) ? (setting[1] as unknown) : {};
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new ConfigError(`${file}: rule "${rule.id}" options must be an object, not ${JSON.stringify(given)}`);
    const takesAllow = rule.options instanceof z.ZodObject && 'allow' in rule.options.shape;
    const input = takesAllow && config.allow !== undefined ? { ...given, allow: [...config.allow, ...(((given as { allow?: unknown }).allow as unknown[] | undefined) ?? [])] } : given;
    const result = rule.options.safeParse(input);
    if (!result.success) throw new ConfigError(`${file}: rule "${rule.id}" ${describeIssues(result.error.issues, 'option')}`);
    ruleOptions[rule.id] = result.data;
  }
  let kubeVersion: KubeVersion | undefined;
  if (config.kubeVersion !== undefined) {
    kubeVersion = parseKubeVersion(config.kubeVersion);
    if (kubeVersion === undefined) throw new ConfigError(`${file}: kubeVersion takes a Kubernetes release such as "1.33", not "${config.kubeVersion}"`);
  }
  return {
    file,
    rules: rules.filter((rule) => !off.has(rule.id)),
    levels,
    ruleOptions,
    ...(config.include === undefined ? {} : { include: config.include }),
    ...(config.exclude === undefined ? {} : { exclude: config.exclude }),
    ...(config.overlays === undefined ? {} : { overlays: config.overlays }),
    ...(config.production === undefined ? {} : { production: config.production }),
    ...(config.workloads === undefined ? {} : { workloads: config.workloads }),
    ...(config.failOn === undefined ? {} : { failOn: config.failOn }),
    ...(kubeVersion === undefined ? {} : { kubeVersion }),
  };
}

/** `option "allow[0]": expected …`, `unknown option "alow"`, `"failOn": …` — the first issue, named by its path. */
function describeIssues(issues: readonly z.core.$ZodIssue[], noun: string): string {
  const issue = issues[0];
  if (issue === undefined) return 'invalid';
  const where = issue.path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? String(segment) : `.${String(segment)}`)).join('');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => `"${where === '' ? key : `${where}.${key}`}"`).join(', ');
    return `unknown ${noun === '' ? 'setting' : noun}${issue.keys.length === 1 ? '' : 's'} ${keys}`;
  }
  if (where === '') return `${issue.message} (a config exports an object: \`export default defineConfig({ … })\`)`;
  return `${noun === '' ? '' : `${noun} `}"${where}": ${issue.message}`;
}

/** What `k8s-audit init` writes: every setting, commented, with the defaults. */
export const STARTER_CONFIG = `// k8s-audit configuration (the README's Configuration section lists every setting).
// CLI flags override what is set here; \`--no-config\` ignores this file.
import { defineConfig } from 'k8s-audit';

export default defineConfig({
  rules: {
    // A level replaces the level of every finding of the rule; 'off' drops the rule.
    // 'image-tag': 'P0',
    // 'security-context': 'off',
    // Objects created outside the repo (sealed or external secrets) are not missing:
    // 'missing-reference': ['P0', { allow: ['Secret/api-secrets', 'Secret/tls-*'] }],
  },
  // Globs relative to this folder: only matching files are audited; matching files are skipped.
  // include: ['packages/**', 'deploy/**'],
  // exclude: ['**/fixtures/**'],
  // Overlays to render (default: every kustomization root), and those that deploy to production
  // (default: an overlay path segment \`prod\` or \`production\`).
  // overlays: ['deploy/k8s/overlays/prod'],
  // production: ['deploy/k8s/overlays/prod', 'deploy/k8s/overlays/eu-*'],
  // Which package each workload runs, where the image name does not tell.
  // workloads: { 'Deployment/api': 'packages/api' },
  // Objects created outside the repo, for every rule that checks references.
  // allow: ['Secret/api-secrets'],
  // Exit 1 when a finding at or above this level remains after suppressions and the baseline.
  // failOn: 'P0',
  // kubeVersion: '1.33',
});
`;
