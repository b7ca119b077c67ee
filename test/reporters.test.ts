// The machine-facing reporters (SARIF, the sticky PR comment, JUnit) on a real audit of the example app.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type * as Sarif from 'sarif';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditResult, ReportedFinding } from '../src/audit-result.js';
import { allRules, audit } from '../src/audit.js';
import { LEVELS } from '../src/findings.js';
import { COMMENT_LIMIT, COMMENT_MARKER, renderGithubComment } from '../src/report/github-comment.js';
import { FORMATS, REPORT_FILES, reporters } from '../src/report/index.js';
import { renderJunit } from '../src/report/junit.js';
import { LEVEL_BADGES, LEVEL_TITLES, SARIF_LEVELS } from '../src/report/levels.js';
import { FINGERPRINT_KEY, renderSarif, SRCROOT } from '../src/report/sarif.js';

const root = path.resolve(import.meta.dirname, '..');
const links = { repository: 'acme/portal', headSha: '0123456789abcdef0123456789abcdef01234567' };
let result: AuditResult;

beforeAll(async () => {
  result = await audit({ paths: ['fixtures/apps/csv-portal'], cwd: root, rules: allRules });
  // The checks below mean little on an empty result.
  expect(LEVELS.every((level) => result.summary[level] > 0)).toBe(true);
  expect(result.findings.some((finding) => finding.related !== undefined)).toBe(true);
});

/** A copy of the result with other findings, counts recomputed. */
function withFindings(findings: ReportedFinding[]): AuditResult {
  const summary = { P0: 0, P1: 0, P2: 0 };
  for (const finding of findings) summary[finding.severity] += 1;
  return { ...result, summary, findings };
}

/**
 * The official SARIF 2.1.0 schema (OASIS `sarif-schema-2.1.0.json`, as SchemaStore publishes it in the `schemastore`
 * package) checks every log, and so does this hand-written subset of it: every object k8s-audit emits, with the spec's
 * property names as the only ones allowed (a typo fails), the required properties, the enums and the numeric minimums.
 */
const message = { type: 'object', required: ['text'], additionalProperties: false, properties: { text: { type: 'string', minLength: 1 }, markdown: { type: 'string' } } };
const propertyBag = { type: 'object' };
const artifactLocation = {
  type: 'object',
  additionalProperties: false,
  properties: { uri: { type: 'string', format: 'uri-reference' }, uriBaseId: { type: 'string' }, index: { type: 'integer', minimum: -1 }, description: message, properties: propertyBag },
};
const region = {
  type: 'object',
  additionalProperties: false,
  properties: {
    startLine: { type: 'integer', minimum: 1 },
    startColumn: { type: 'integer', minimum: 1 },
    endLine: { type: 'integer', minimum: 1 },
    endColumn: { type: 'integer', minimum: 1 },
    properties: propertyBag,
  },
};
const location = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'integer', minimum: -1 },
    physicalLocation: {
      type: 'object',
      additionalProperties: false,
      anyOf: [{ required: ['artifactLocation'] }, { required: ['address'] }],
      properties: { artifactLocation, region, properties: propertyBag },
    },
    message,
    properties: propertyBag,
  },
};
const level = { enum: ['none', 'note', 'warning', 'error'] };
const reportingDescriptor = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1 },
    name: { type: 'string' },
    shortDescription: message,
    fullDescription: message,
    help: message,
    defaultConfiguration: { type: 'object', additionalProperties: false, properties: { enabled: { type: 'boolean' }, level, rank: { type: 'number' }, properties: propertyBag } },
    properties: propertyBag,
  },
};
const minimalSarifSchema = {
  type: 'object',
  required: ['version', 'runs'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', format: 'uri' },
    version: { const: '2.1.0' },
    runs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['tool'],
        additionalProperties: false,
        properties: {
          tool: {
            type: 'object',
            required: ['driver'],
            additionalProperties: false,
            properties: {
              driver: {
                type: 'object',
                required: ['name'],
                additionalProperties: false,
                properties: {
                  name: { type: 'string', minLength: 1 },
                  version: { type: 'string' },
                  semanticVersion: { type: 'string' },
                  informationUri: { type: 'string', format: 'uri' },
                  rules: { type: 'array', uniqueItems: true, items: reportingDescriptor },
                },
              },
            },
          },
          columnKind: { enum: ['utf16CodeUnits', 'unicodeCodePoints'] },
          invocations: {
            type: 'array',
            items: {
              type: 'object',
              required: ['executionSuccessful'],
              additionalProperties: false,
              properties: {
                executionSuccessful: { type: 'boolean' },
                toolExecutionNotifications: {
                  type: 'array',
                  items: { type: 'object', required: ['message'], additionalProperties: false, properties: { level, message, locations: { type: 'array', items: location } } },
                },
              },
            },
          },
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['message'],
              additionalProperties: false,
              properties: {
                ruleId: { type: 'string' },
                ruleIndex: { type: 'integer', minimum: -1 },
                level,
                message,
                locations: { type: 'array', items: location },
                relatedLocations: { type: 'array', uniqueItems: true, items: location },
                suppressions: {
                  type: 'array',
                  uniqueItems: true,
                  items: {
                    type: 'object',
                    required: ['kind'],
                    additionalProperties: false,
                    properties: { kind: { enum: ['inSource', 'external'] }, status: { enum: ['accepted', 'underReview', 'rejected'] }, guid: { type: 'string' }, justification: { type: 'string' }, location, properties: propertyBag },
                  },
                },
                partialFingerprints: { type: 'object', additionalProperties: { type: 'string' } },
                properties: propertyBag,
              },
            },
          },
        },
      },
    },
  },
};

function sarifValidators(): { name: string; validate: (log: unknown) => string[] }[] {
  const validators: { name: string; validate: (log: unknown) => string[] }[] = [];
  const wrap = (name: string, schema: object, options: { unicodeRegExp?: boolean } = {}): void => {
    const ajv = new Ajv.default({ allErrors: true, strict: false, ...options });
    addFormats.default(ajv);
    const check = ajv.compile(schema);
    validators.push({ name, validate: (log) => (check(log) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`)) });
  };
  wrap('hand-written subset', minimalSarifSchema);
  const official = createRequire(import.meta.url).resolve('schemastore/schemas/json/sarif-2.1.0.json');
  // One of its patterns (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) is not valid with the `u` flag ajv adds by default.
  wrap('official SARIF 2.1.0 schema', JSON.parse(readFileSync(official, 'utf8')) as object, { unicodeRegExp: false });
  return validators;
}

describe('sarif', () => {
  const render = (): Sarif.Log => JSON.parse(renderSarif(result, { rules: allRules })) as Sarif.Log;

  it('validates against the schema, and the schema rejects a broken log', () => {
    const log = render();
    for (const { name, validate } of sarifValidators()) {
      expect({ name, errors: validate(log) }).toEqual({ name, errors: [] });
      const broken = structuredClone(log);
      const first = broken.runs[0]?.results?.[0] as unknown as Record<string, unknown>;
      first.level = 'P0';
      first.locaton = first.locations;
      expect(validate(broken).length, name).toBeGreaterThanOrEqual(2);
    }
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
  });

  it('gives a suppressed finding a result with an in-source suppression and its reason', async () => {
    const suppressed = await audit({ paths: ['fixtures/suppression-reason'], cwd: root, rules: allRules });
    const log = JSON.parse(renderSarif(suppressed, { rules: allRules })) as Sarif.Log;
    for (const { name, validate } of sarifValidators()) expect({ name, errors: validate(log) }).toEqual({ name, errors: [] });
    const results = log.runs[0]!.results!;
    expect(results).toHaveLength(suppressed.findings.length + suppressed.suppressed.length);
    const withSuppression = results.filter((r) => r.suppressions !== undefined);
    expect(withSuppression.map((r) => r.suppressions![0]!.justification).sort()).toEqual(suppressed.suppressed.map((f) => f.suppression.reason).sort());
    expect(withSuppression.every((r) => r.suppressions![0]!.kind === 'inSource')).toBe(true);
  });

  it('describes every rule from its metadata, at its default level', () => {
    const driver = render().runs[0]!.tool.driver;
    expect(driver).toMatchObject({ name: result.tool.name, version: result.tool.version });
    expect(driver.rules?.map((rule) => rule.id)).toEqual(allRules.map((rule) => rule.id).sort());
    for (const rule of allRules) {
      expect(driver.rules?.find((descriptor) => descriptor.id === rule.id)).toEqual({
        id: rule.id,
        name: rule.id,
        shortDescription: { text: rule.docs.summary },
        fullDescription: { text: rule.docs.why },
        help: { text: rule.docs.fix, markdown: rule.docs.fix },
        defaultConfiguration: { level: SARIF_LEVELS[rule.severity] },
        properties: { category: rule.category, effort: rule.effort },
      });
    }
  });

  it('gives each finding one result: its rule by index, its level, its exact span, its fingerprint', () => {
    const run = render().runs[0]!;
    const results = run.results ?? [];
    expect(results).toHaveLength(result.findings.length);
    expect(SARIF_LEVELS).toEqual({ P0: 'error', P1: 'warning', P2: 'note' });
    results.forEach((sarif, index) => {
      const finding = result.findings[index]!;
      expect(run.tool.driver.rules?.[sarif.ruleIndex!]?.id).toBe(sarif.ruleId);
      expect(sarif.ruleId).toBe(finding.ruleId);
      expect(sarif.level).toBe(SARIF_LEVELS[finding.severity]);
      expect(sarif.message.text).toBe(finding.message);
      expect(sarif.locations).toEqual([
        {
          physicalLocation: {
            artifactLocation: { uri: finding.file, uriBaseId: SRCROOT },
            region: { startLine: finding.line, startColumn: finding.column, endLine: finding.endLine, endColumn: finding.endColumn },
          },
        },
      ]);
      expect(sarif.relatedLocations?.map((related) => [related.physicalLocation?.artifactLocation?.uri, related.physicalLocation?.region?.startLine, related.message?.text])).toEqual(
        finding.related?.map((related) => [related.file, related.line, related.message]),
      );
      expect(sarif.partialFingerprints).toEqual({ [FINGERPRINT_KEY]: finding.fingerprint });
      expect(sarif.properties).toEqual({
        ...(finding.workload === undefined ? {} : { workload: finding.workload }),
        ...(finding.overlays === undefined ? {} : { overlays: finding.overlays }),
        effort: finding.effort,
      });
    });
  });

  it('without rule metadata, describes the rules from the findings and still points every result at its rule', () => {
    const run = (JSON.parse(renderSarif(result)) as Sarif.Log).runs[0]!;
    expect(run.tool.driver.rules?.map((rule) => rule.id)).toEqual([...new Set(result.findings.map((finding) => finding.ruleId))].sort());
    for (const sarif of run.results ?? []) expect(run.tool.driver.rules?.[sarif.ruleIndex!]?.id).toBe(sarif.ruleId);
  });

  it('writes paths as relative URI references and lists unreadable inputs as notifications', () => {
    const odd = { ...result.findings[0]!, file: 'packages/my app/src/#1:odd.ts' };
    const log = JSON.parse(
      renderSarif({ ...withFindings([odd]), errors: [{ file: 'deploy/broken.yaml', message: 'not YAML' }, { file: 'rule:probes', message: 'rule failed: boom' }] }),
    ) as Sarif.Log;
    for (const { name, validate } of sarifValidators()) expect({ name, errors: validate(log) }).toEqual({ name, errors: [] });
    expect(log.runs[0]!.results![0]!.locations![0]!.physicalLocation!.artifactLocation!.uri).toBe('packages/my%20app/src/%231%3Aodd.ts');
    expect(log.runs[0]!.invocations![0]!.toolExecutionNotifications!.map((n) => n.message.text)).toEqual(['not YAML', 'rule:probes: rule failed: boom']);
  });
});

describe('github comment', () => {
  it('starts with the marker, gives the verdict and counts, and links each location at the head commit', () => {
    const comment = renderGithubComment(result, links);
    expect(comment.split('\n')[0]).toBe(COMMENT_MARKER);
    expect(comment).toContain(`❌ **${result.summary.P0} P0 findings**`);
    for (const level of LEVELS) expect(comment).toContain(`| ${LEVEL_BADGES[level]} | ${LEVEL_TITLES[level]} | ${result.summary[level]} |`);
    for (const finding of result.findings) {
      expect(comment).toContain(`(https://github.com/acme/portal/blob/${links.headSha}/${finding.file}#L${finding.line})`);
    }
    // Every finding in its level's section, most severe first: the top table holds 20 of them.
    expect(comment.match(/^\| P[012] \|/gm)?.length).toBe(Math.min(20, result.findings.length));
    expect(comment.match(/<details>/g)?.length).toBe(LEVELS.length);
    expect(comment.match(/^\d+\. /gm)?.length).toBe(result.findings.length);
    expect(comment.length).toBeLessThan(COMMENT_LIMIT);
  });

  it('gives plain locations when the repository or the commit is unknown', () => {
    for (const options of [{}, { repository: links.repository }, { headSha: links.headSha }]) {
      const comment = renderGithubComment(result, options);
      expect(comment).not.toContain('https://github.com/');
      expect(comment).toContain(`\`${result.findings[0]!.file}:${result.findings[0]!.line}\``);
    }
  });

  it('says when there is nothing to block on', () => {
    const p2 = result.findings.filter((finding) => finding.severity === 'P2');
    expect(renderGithubComment(withFindings(p2))).toContain(`✅ **no P0 or P1 findings** (${p2.length} P2)`);
    expect(renderGithubComment(withFindings([]))).toContain('✅ **no P0 or P1 findings**');
  });

  it('escapes | and line breaks in table cells', () => {
    const tricky = { ...result.findings[0]!, message: 'a | b\nc `x|y`' };
    const row = renderGithubComment(withFindings([tricky])).split('\n').find((line) => line.startsWith('| P'));
    expect(row).toContain('a \\| b<br>c `x\\|y`');
    expect(row?.split(/(?<!\\)\|/).length).toBe(6);
  });

  it('stays under the limit with 2,000 findings and says how many it left out', () => {
    const many = Array.from({ length: 2000 }, (_, index) => {
      const finding = result.findings[index % result.findings.length]!;
      return { ...finding, line: finding.line + index, fingerprint: `${finding.fingerprint}-${index}` };
    });
    const ordered = LEVELS.flatMap((level) => many.filter((finding) => finding.severity === level));
    const comment = renderGithubComment(withFindings(ordered), links);
    expect(comment.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    const shown = comment.match(/^\d+\. /gm)?.length ?? 0;
    const note = /(\d+) findings left out \(([^)]*)\)/.exec(comment);
    expect(note).not.toBeNull();
    // The example app's messages average ~600 characters: about a hundred fit in 65,000.
    expect(shown).toBeGreaterThan(50);
    expect(shown + Number(note![1])).toBe(2000);
    // Most severe first: what is left out is the tail. Here P0 alone overflows, so only its section is there, cut.
    const p0 = ordered.filter((finding) => finding.severity === 'P0').length;
    expect(note![2]).toBe(`${p0 - shown} P0, ${ordered.length - p0 - ordered.filter((f) => f.severity === 'P2').length} P1, ${ordered.filter((f) => f.severity === 'P2').length} P2`);
    expect(comment.match(/<details>/g)).toHaveLength(1);
    expect(comment).toContain(`<summary>${LEVEL_BADGES.P0} — ${shown} of ${p0} findings</summary>`);
    expect(comment.trimEnd().endsWith('every finding.')).toBe(true);
  });
});

/**
 * A small well-formedness check, enough for what the JUnit reporter writes: an XML declaration, elements with quoted
 * attributes, text, the five predefined entities and character references; no comments, CDATA or DTD. Returns the
 * elements by name, or throws at the first fault.
 */
function parseXml(xml: string): { name: string; attributes: Record<string, string>; text: string }[] {
  const elements: { name: string; attributes: Record<string, string>; text: string }[] = [];
  const open: { name: string; attributes: Record<string, string>; text: string }[] = [];
  const entity = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
  const checkText = (text: string, at: number): void => {
    for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) if (!entity.test(text.slice(i))) throw new Error(`bad entity at ${at + i}`);
    if (text.includes('<') || /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(text)) throw new Error(`bad character in text at ${at}`);
  };
  let pos = 0;
  if (xml.startsWith('<?xml')) pos = xml.indexOf('?>') + 2;
  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos);
    const text = xml.slice(pos, lt === -1 ? xml.length : lt);
    checkText(text, pos);
    if (open.length === 0 && text.trim() !== '') throw new Error(`text outside the root at ${pos}`);
    if (open.length > 0) open[open.length - 1]!.text += text;
    if (lt === -1) break;
    const gt = xml.indexOf('>', lt);
    if (gt === -1) throw new Error(`unclosed tag at ${lt}`);
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (open.pop()?.name !== name) throw new Error(`</${name}> closes nothing open at ${lt}`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const name = /^[A-Za-z_][\w.-]*/.exec(body)?.[0];
      if (name === undefined) throw new Error(`bad tag name at ${lt}`);
      const attributes: Record<string, string> = {};
      let rest = body.slice(name.length);
      while (rest.trim() !== '') {
        const match = /^\s+([A-Za-z_][\w.-]*)="([^"]*)"/.exec(rest);
        if (match === null) throw new Error(`bad attribute at ${lt}: ${rest.slice(0, 40)}`);
        if (match[1]! in attributes) throw new Error(`duplicate attribute ${match[1]} at ${lt}`);
        checkText(match[2]!, lt);
        attributes[match[1]!] = match[2]!;
        rest = rest.slice(match[0].length);
      }
      if (open.length === 0 && elements.length > 0) throw new Error(`second root element at ${lt}`);
      const element = { name, attributes, text: '' };
      elements.push(element);
      if (!selfClosing) open.push(element);
    }
    pos = gt + 1;
  }
  if (open.length > 0) throw new Error(`<${open[0]!.name}> never closed`);
  return elements;
}

describe('junit', () => {
  it('is well-formed XML with a suite per rule and a failing case per (rule, file)', () => {
    const elements = parseXml(renderJunit(result, { rules: allRules }));
    const suites = elements.filter((element) => element.name === 'testsuite');
    const failures = elements.filter((element) => element.name === 'failure');
    const pairs = new Set(result.findings.map((finding) => `${finding.ruleId}\0${finding.file}`));
    expect(suites.map((suite) => suite.attributes.name)).toEqual(allRules.map((rule) => rule.id).sort());
    expect(failures).toHaveLength(pairs.size);
    const cases = elements.filter((element) => element.name === 'testcase');
    const rulesWithoutFindings = allRules.filter((rule) => !result.findings.some((finding) => finding.ruleId === rule.id)).length;
    expect(cases).toHaveLength(pairs.size + rulesWithoutFindings);
    expect(elements[0]).toMatchObject({ name: 'testsuites', attributes: { tests: String(cases.length), failures: String(pairs.size), errors: '0' } });
    for (const suite of suites) {
      const ruleFiles = new Set(result.findings.filter((finding) => finding.ruleId === suite.attributes.name).map((finding) => finding.file));
      expect(suite.attributes.failures).toBe(String(ruleFiles.size));
    }
    // One line per finding in the failures, each naming its location and level.
    const lines = failures.flatMap((failure) => failure.text.split('\n').filter((line) => /^\S+:\d+:\d+ P[012] /.test(line)));
    expect(lines).toHaveLength(result.findings.length);
    for (const finding of result.findings) expect(lines.some((line) => line.startsWith(`${finding.file}:${finding.line}:${finding.column} ${finding.severity} `))).toBe(true);
  });

  it('escapes what XML reserves, in text and in attributes', () => {
    const tricky = { ...result.findings[0]!, file: 'a&b/"q"<x>.yaml', message: 'uses <T> & "quotes" \u0001 ]]> done' };
    const xml = renderJunit({ ...withFindings([tricky]), errors: [{ file: "it's.yaml", message: 'bad <yaml> & "more"\nline two' }] });
    const elements = parseXml(xml);
    expect(elements.find((element) => element.name === 'testcase')?.attributes.name).toBe('a&amp;b/&quot;q&quot;&lt;x&gt;.yaml');
    expect(elements.find((element) => element.name === 'failure')?.text).toContain('uses &lt;T&gt; &amp; "quotes" \uFFFD ]]&gt; done');
    expect(elements.find((element) => element.name === 'error')?.attributes.message).toBe('bad &lt;yaml&gt; &amp; &quot;more&quot;&#10;line two');
    expect(elements[0]?.attributes.errors).toBe('1');
  });
});

describe('registry and determinism', () => {
  it('registers every format with a reporter, and the machine formats with their files', () => {
    expect(Object.keys(reporters).sort()).toEqual([...FORMATS].sort());
    expect(REPORT_FILES).toMatchObject({ sarif: 'k8s-audit.sarif', github: 'k8s-audit-comment.md', junit: 'k8s-audit.junit.xml' });
  });

  it('renders byte-identical output twice, and for a second audit of the same input', async () => {
    const again = await audit({ paths: ['fixtures/apps/csv-portal'], cwd: root, rules: allRules });
    const options = { rules: allRules, ...links };
    for (const format of ['sarif', 'github', 'junit'] as const) {
      const first = reporters[format](result, options);
      expect(reporters[format](result, options), format).toBe(first);
      expect(reporters[format](again, options), format).toBe(first);
    }
  });
});
