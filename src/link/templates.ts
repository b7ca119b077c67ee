// Config templates a package ships into its image and the variables their placeholders need:
// `${VAR}` in a `*.template` of an nginx image (its entrypoint runs envsubst on
// /etc/nginx/templates at start), and `<VAR>` that an entrypoint script replaces with `${VAR}`.
import path from 'node:path';
import type { AuditError, Span } from '../findings.js';
import { readFileText } from '../file-text.js';
import { deepestPackage } from '../discover.js';
import type { PackageInfo } from '../source/app-model.js';
import type { DockerImage } from './dockerfile.js';

export interface Placeholder extends Span {
  /** The variable the container must have. */
  variable: string;
  /** As written: `${API_UPSTREAM}`, `<CSP_REPORT_URI>`. */
  text: string;
  /** What fills it and what happens when the variable is unset. */
  filledBy: string;
  /** Unset, the container stops at start (nginx rejects the config, `set -u` aborts the script); else it is left empty. */
  fatal: boolean;
  /** The script's `${VAR:-fallback}` applies when unset. */
  hasDefault: boolean;
}

export interface ShippedTemplate {
  file: string;
  packageDir: string;
  placeholders: Placeholder[];
}

const ENVSUBST_PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)\}/g;
const ANGLE_PLACEHOLDER = /<([A-Z][A-Z0-9_]*)>/g;

/** nginx's official image runs envsubst on /etc/nginx/templates/*.template, for variables that are set only. */
function isNginxImage(image: DockerImage | undefined): boolean {
  return image?.baseImage !== undefined && /(^|\/)nginx(-unprivileged)?(:|@|$)/.test(image.baseImage);
}

/** Whether the Dockerfile copies the file into the image: `COPY packages/ui/nginx/default.conf.template …` or its folder. */
function isCopied(file: string, image: DockerImage): boolean {
  return image.copies.some(({ sources }) =>
    sources.some((source) => {
      const folder = source.replace(/^\.\//, '').replace(/\/+$/, '');
      return folder === '.' || folder === '' || file === folder || file.endsWith(`/${folder}`) || file.startsWith(`${folder}/`) || file.includes(`/${folder}/`);
    }),
  );
}

/**
 * `sed -i "s|<CSP_REPORT_URI>|${CSP_REPORT_URI:-}|g" …` → CSP_REPORT_URI, with a fallback; the
 * substitution is fatal without one when the script runs under `set -u`.
 */
interface ScriptSubstitution {
  variable: string;
  hasDefault: boolean;
  strict: boolean;
  file: string;
}

function scriptSubstitutions(file: string, text: string): Map<string, ScriptSubstitution> {
  const substitutions = new Map<string, ScriptSubstitution>();
  const strict = /^\s*set\s+-[a-z]*u/m.test(text) || /^\s*set\s+-o\s+nounset/m.test(text);
  for (const match of text.matchAll(/<([A-Z][A-Z0-9_]*)>[|/#,]\$\{?([A-Z_][A-Z0-9_]*)(:?[-=][^}|/#,]*)?\}?/g)) {
    substitutions.set(match[1]!, { variable: match[2]!, hasDefault: match[3] !== undefined, strict, file });
  }
  return substitutions;
}

export function readTemplates(
  { cwd, templates, scripts, packages, images }: { cwd: string; templates: readonly string[]; scripts: readonly string[]; packages: readonly PackageInfo[]; images: ReadonlyMap<string, DockerImage> },
): { templates: ShippedTemplate[]; errors: AuditError[] } {
  const errors: AuditError[] = [];
  const substitutionsByPackage = new Map<string, Map<string, ScriptSubstitution>>();
  for (const script of scripts) {
    const dir = deepestPackage(script, packages);
    if (dir === undefined) continue;
    const read = readFileText(path.resolve(cwd, script));
    if ('error' in read) continue;
    const known = substitutionsByPackage.get(dir) ?? new Map<string, ScriptSubstitution>();
    for (const [placeholder, substitution] of scriptSubstitutions(script, read.text)) known.set(placeholder, substitution);
    substitutionsByPackage.set(dir, known);
  }
  const shipped: ShippedTemplate[] = [];
  for (const file of templates) {
    const packageDir = deepestPackage(file, packages);
    if (packageDir === undefined) continue;
    const read = readFileText(path.resolve(cwd, file));
    if ('error' in read) {
      errors.push({ file, message: read.error });
      continue;
    }
    const image = images.get(packageDir);
    if (image !== undefined && !isCopied(file, image)) continue;
    const envsubst = file.endsWith('.template') && isNginxImage(image);
    const substitutions = substitutionsByPackage.get(packageDir) ?? new Map<string, ScriptSubstitution>();
    const placeholders: Placeholder[] = [];
    read.text.split(/\r?\n/).forEach((line, index) => {
      const at = (column: number, text: string): Span => ({ file, line: index + 1, column: column + 1, endLine: index + 1, endColumn: column + text.length + 1 });
      if (envsubst) {
        for (const match of line.matchAll(ENVSUBST_PLACEHOLDER)) {
          placeholders.push({
            ...at(match.index, match[0]),
            variable: match[1]!,
            text: match[0],
            filledBy: 'the nginx image\'s envsubst, which leaves unset variables in place, and nginx then refuses to start on the unknown variable',
            fatal: true,
            hasDefault: false,
          });
        }
      }
      for (const match of line.matchAll(ANGLE_PLACEHOLDER)) {
        const substitution = substitutions.get(match[1]!);
        if (substitution === undefined) continue;
        placeholders.push({
          ...at(match.index, match[0]),
          variable: substitution.variable,
          text: match[0],
          filledBy: substitution.strict
            ? `${substitution.file}, which runs under \`set -u\` and aborts the container's start when it is unset`
            : `${substitution.file}, which replaces it with nothing when it is unset`,
          fatal: substitution.strict,
          hasDefault: substitution.hasDefault,
        });
      }
    });
    if (placeholders.length > 0) shipped.push({ file, packageDir, placeholders });
  }
  return { templates: shipped, errors };
}
