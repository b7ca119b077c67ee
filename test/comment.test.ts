// End to end: `k8s-audit comment` as the built binary, talking to a stand-in for the GitHub REST API on
// 127.0.0.1 that paginates like GitHub (per_page, page, Link rel="next") and records every request.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COMMENT_MARKER } from '../src/report/github-comment.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const report = 'reports/k8s-audit.json';
const scratch = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-comment-'));
const HEAD_SHA = '0123456789abcdef0123456789abcdef01234567';
/** GitHub Enterprise serves the API under a path; so does this server, to prove the prefix is kept. */
const API_PREFIX = '/api/v3';

interface StoredComment {
  id: number;
  body: string;
}

interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body?: { body?: string };
}

class FakeGithub {
  readonly requests: RecordedRequest[] = [];
  readonly comments = new Map<number, StoredComment[]>();
  /** Answer every request with this status, as GitHub does for a bad token, a forbidden write or an unknown repository. */
  failWith: number | undefined;
  private nextId = 1000;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server?.close((error) => (error === undefined ? resolve() : reject(error))));
  }

  reset(): void {
    this.requests.length = 0;
    this.comments.clear();
    this.failWith = undefined;
  }

  seed(issue: number, bodies: string[]): StoredComment[] {
    const stored = bodies.map((body) => ({ id: this.nextId++, body }));
    this.comments.set(issue, [...(this.comments.get(issue) ?? []), ...stored]);
    return stored;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    this.requests.push({
      method: request.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization,
      ...(text === '' ? {} : { body: JSON.parse(text) as { body?: string } }),
    });
    const send = (status: number, data: unknown, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(data));
    };
    if (this.failWith !== undefined) {
      const messages: Record<number, string> = { 401: 'Bad credentials', 403: 'Resource not accessible by integration', 404: 'Not Found' };
      send(this.failWith, { message: messages[this.failWith] ?? 'Error', documentation_url: 'https://docs.github.com/rest', status: String(this.failWith) });
      return;
    }
    const relative = url.pathname.startsWith(`${API_PREFIX}/`) ? url.pathname.slice(API_PREFIX.length) : undefined;
    const list = relative === undefined ? null : /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(relative);
    const one = relative === undefined ? null : /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(relative);
    const view = (comment: StoredComment): object => ({ id: comment.id, body: comment.body, html_url: `https://github.example/acme/shop/pull/7#issuecomment-${comment.id}` });
    if (list !== null && request.method === 'GET') {
      const all = this.comments.get(Number(list[3])) ?? [];
      // GitHub's defaults and cap: 30 a page unless asked, never more than 100.
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
      const page = Number(url.searchParams.get('page') ?? 1);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const pageUrl = (n: number): string => {
        const next = new URL(url);
        next.searchParams.set('per_page', String(perPage));
        next.searchParams.set('page', String(n));
        return next.toString();
      };
      const links: Record<string, string> = page < last ? { link: `<${pageUrl(page + 1)}>; rel="next", <${pageUrl(last)}>; rel="last"` } : {};
      send(200, all.slice((page - 1) * perPage, page * perPage).map(view), links);
      return;
    }
    if (list !== null && request.method === 'POST') {
      const [created] = this.seed(Number(list[3]), [String((JSON.parse(text) as { body: string }).body)]);
      send(201, view(created as StoredComment));
      return;
    }
    if (one !== null && request.method === 'PATCH') {
      const comment = [...this.comments.values()].flat().find((c) => c.id === Number(one[3]));
      if (comment === undefined) {
        send(404, { message: 'Not Found' });
        return;
      }
      comment.body = String((JSON.parse(text) as { body: string }).body);
      send(200, view(comment));
      return;
    }
    send(404, { message: `no route for ${request.method ?? ''} ${url.pathname}` });
  }
}

const github = new FakeGithub();
beforeAll(() => github.start());
afterAll(async () => {
  await github.stop();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(() => github.reset());

function eventFile(name: string, event: object): string {
  const file = path.join(scratch, `${name}.json`);
  writeFileSync(file, JSON.stringify(event));
  return file;
}

const pullRequestEvent = (): string => eventFile('pull_request', { action: 'synchronize', number: 7, pull_request: { number: 7, head: { sha: HEAD_SHA } } });

function githubEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  // Nothing from a CI runner's own GITHUB_* variables may leak into the child.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GITHUB_')));
  const merged: Record<string, string | undefined> = {
    ...env,
    GITHUB_TOKEN: 'test-token',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_EVENT_PATH: pullRequestEvent(),
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_API_URL: `${github.url}${API_PREFIX}`,
    GITHUB_SERVER_URL: 'https://github.example',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Asynchronous on purpose: the fake server answers from this process's event loop, which spawnSync would block. */
function runComment(env: NodeJS.ProcessEnv, args: string[] = ['--report', report]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'comment', ...args], { cwd: root, env, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

interface ReportJson {
  summary: Record<string, number>;
  findings: { severity: string; category: string }[];
}

function withoutLastFinding(json: ReportJson): ReportJson {
  const last = json.findings.at(-1);
  if (last === undefined) throw new Error('the committed report has no findings');
  return { ...json, summary: { ...json.summary, [last.severity]: (json.summary[last.severity] ?? 1) - 1 }, findings: json.findings.slice(0, -1) };
}

const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

const calls = (): string[] => github.requests.map((r) => `${r.method} ${r.path.slice(API_PREFIX.length)}${r.method === 'GET' ? ` page=${r.query.page ?? '1'}` : ''}`);

describe('k8s-audit comment', () => {
  it('creates the comment on the first run, updates that same comment on the next, and leaves it alone when nothing changed', async () => {
    github.seed(7, ['LGTM', 'please fix the probes']);
    const first = await runComment(githubEnv());
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(calls()).toEqual(['GET /repos/acme/shop/issues/7/comments page=1', 'POST /repos/acme/shop/issues/7/comments']);
    expect(github.requests[0]?.query.per_page).toBe('100');
    expect(github.requests.every((r) => r.authorization === 'token test-token')).toBe(true);
    const posted = github.comments.get(7)?.at(-1);
    expect(first.stdout).toBe(`k8s-audit comment: created https://github.example/acme/shop/pull/7#issuecomment-${posted?.id}\n`);
    // The body is the github reporter's, rendered from the JSON report: links at the PR's head commit on this server.
    expect(posted?.body.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
    expect(posted?.body).toContain(`https://github.example/acme/shop/blob/${HEAD_SHA}/fixtures/apps/csv-portal/`);
    const summary = (JSON.parse(readFileSync(path.join(root, report), 'utf8')) as { summary: Record<string, number> }).summary;
    expect(posted?.body).toContain(`${summary.P0} P0 finding`);

    // The next push fixed a finding.
    github.requests.length = 0;
    const fixed = path.join(scratch, 'fixed.json');
    writeFileSync(fixed, JSON.stringify(withoutLastFinding(JSON.parse(readFileSync(path.join(root, report), 'utf8')) as ReportJson)));
    const second = await runComment(githubEnv(), ['--report', fixed]);
    expect(second.status).toBe(0);
    expect(calls()).toEqual(['GET /repos/acme/shop/issues/7/comments page=1', `PATCH /repos/acme/shop/issues/comments/${posted?.id}`]);
    expect(second.stdout).toBe(`k8s-audit comment: updated https://github.example/acme/shop/pull/7#issuecomment-${posted?.id}\n`);
    expect(github.comments.get(7)?.filter((c) => c.body.startsWith(COMMENT_MARKER))).toHaveLength(1);
    expect(github.comments.get(7)).toHaveLength(3);
    const updated = posted?.body;

    github.requests.length = 0;
    const third = await runComment(githubEnv(), ['--report', fixed]);
    expect(third.status).toBe(0);
    expect(calls()).toEqual(['GET /repos/acme/shop/issues/7/comments page=1']);
    expect(third.stdout).toBe(`k8s-audit comment: unchanged https://github.example/acme/shop/pull/7#issuecomment-${posted?.id}\n`);
    expect(posted?.body).toBe(updated);
  });

  it('posts a report another version wrote, saying so, and titles rules it does not know by their category', async () => {
    const json = JSON.parse(readFileSync(path.join(root, report), 'utf8')) as ReportJson;
    const [first] = json.findings;
    const older = { ...json, tool: { name: 'k8s-audit', version: '0.0.9' }, findings: [{ ...first, ruleId: 'retired-rule' }] };
    const file = path.join(scratch, 'older.json');
    writeFileSync(file, JSON.stringify(older));
    const { status, stderr } = await runComment(githubEnv(), ['--report', file]);
    expect(status).toBe(0);
    expect(stderr.trimEnd().split('\n')).toEqual([
      `k8s-audit comment: warning: ${file} was written by k8s-audit 0.0.9, this is ${version}`,
      'k8s-audit comment: warning: rules this version does not know, titled by category: retired-rule',
    ]);
    expect(github.comments.get(7)?.[0]?.body).toContain(`#### \`retired-rule\` — ${String(first?.category)}`);
  });

  it('accepts what the resolve stage adds to the report: summary.suppressed and .baseline, suppressed findings, new marks', async () => {
    const json = JSON.parse(readFileSync(path.join(root, report), 'utf8')) as ReportJson;
    const withBaseline = {
      ...json,
      summary: { ...json.summary, suppressed: 1, baseline: { known: 2, new: json.findings.length } },
      findings: json.findings.map((finding) => ({ ...finding, new: true })),
      suppressed: [{ ...json.findings[0], suppression: { reason: 'accepted for the pilot' } }],
    };
    const file = path.join(scratch, 'with-baseline.json');
    writeFileSync(file, JSON.stringify(withBaseline));
    const { status, stderr } = await runComment(githubEnv(), ['--report', file]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(github.comments.get(7)?.[0]?.body.startsWith(COMMENT_MARKER)).toBe(true);
  });

  it('finds its comment on a later page, and ignores comments that only mention the marker', async () => {
    const quoting = github.seed(7, [`> earlier bot output:\n> ${COMMENT_MARKER}`]);
    github.seed(7, Array.from({ length: 130 }, (_, i) => `comment ${i}`));
    const [ours] = github.seed(7, [`${COMMENT_MARKER}\nstale verdict`]);
    github.seed(7, ['a later reply']);
    const { status, stderr } = await runComment(githubEnv());
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(calls()).toEqual([
      'GET /repos/acme/shop/issues/7/comments page=1',
      'GET /repos/acme/shop/issues/7/comments page=2',
      `PATCH /repos/acme/shop/issues/comments/${ours?.id}`,
    ]);
    expect(github.requests[1]?.query.per_page).toBe('100');
    expect(ours?.body).not.toContain('stale verdict');
    expect(quoting[0]?.body).toBe(`> earlier bot output:\n> ${COMMENT_MARKER}`);
    expect(github.comments.get(7)).toHaveLength(133);
  });

  it.each([
    [401, /^k8s-audit comment: GitHub answered 401 to GET \S+ \(Bad credentials\): GITHUB_TOKEN is missing, expired/],
    [403, /^k8s-audit comment: GitHub answered 403 to GET \S+ \(Resource not accessible by integration\): .*pull-requests: write/],
    [404, /^k8s-audit comment: GitHub answered 404 to GET \S+ \(Not Found\): check GITHUB_REPOSITORY/],
  ])('exits 2 with one line when GitHub answers %i', async (status, line) => {
    github.failWith = status;
    const result = await runComment(githubEnv());
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.endsWith('\n')).toBe(true);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(line);
    expect(github.comments.size).toBe(0);
  });

  it('exits 2 naming the variable that is missing', async () => {
    for (const name of ['GITHUB_TOKEN', 'GITHUB_REPOSITORY', 'GITHUB_EVENT_PATH']) {
      const { status, stderr } = await runComment(githubEnv({ [name]: undefined }));
      expect(status, name).toBe(2);
      expect(stderr).toMatch(new RegExp(`^k8s-audit comment: ${name} is not set`));
    }
    expect(github.requests).toEqual([]);
  });

  it('exits 2 on a report that is missing or not a k8s-audit report', async () => {
    const missing = await runComment(githubEnv(), ['--report', path.join(scratch, 'none.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^k8s-audit comment: cannot read the report /);
    const sarif = path.join(scratch, 'not-a-report.json');
    writeFileSync(sarif, JSON.stringify({ version: '2.1.0', runs: [] }));
    const wrong = await runComment(githubEnv(), ['--report', sarif]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/is not a k8s-audit JSON report at tool: /);
    expect(github.requests).toEqual([]);
  });

  it('posts nothing and exits 0 on an event that is not about a pull request', async () => {
    const push = eventFile('push', { ref: 'refs/heads/main', after: HEAD_SHA });
    const onPush = await runComment(githubEnv({ GITHUB_EVENT_PATH: push, GITHUB_EVENT_NAME: 'push' }));
    expect(onPush.status).toBe(0);
    expect(onPush.stderr).toBe('k8s-audit comment: a push event is not about a pull request; no comment posted\n');
    const onIssue = eventFile('issue', { issue: { number: 3 }, comment: { body: 'hi' } });
    expect((await runComment(githubEnv({ GITHUB_EVENT_PATH: onIssue, GITHUB_EVENT_NAME: 'issue_comment' }))).status).toBe(0);
    expect(github.requests).toEqual([]);
  });

  it('comments on the pull request an issue_comment event names, without links it cannot pin to a commit', async () => {
    const onPr = eventFile('issue_comment', { issue: { number: 9, pull_request: { url: 'x' } }, comment: { body: '/audit' } });
    const { status } = await runComment(githubEnv({ GITHUB_EVENT_PATH: onPr, GITHUB_EVENT_NAME: 'issue_comment' }));
    expect(status).toBe(0);
    expect(calls()).toEqual(['GET /repos/acme/shop/issues/9/comments page=1', 'POST /repos/acme/shop/issues/9/comments']);
    const body = github.comments.get(9)?.[0]?.body ?? '';
    expect(body).toContain('`fixtures/apps/csv-portal/');
    expect(body).not.toContain('/blob/');
  });

  it('has its own --help', async () => {
    const { status, stdout } = await runComment({}, ['--help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Usage: k8s-audit comment /);
  });
});
