// `k8s-audit comment`: posts the audit's verdict on the pull request as one sticky comment.
// Reads the JSON report the audit step wrote; needs no source tree, only the GitHub Actions environment.
import { parseArgs } from 'node:util';
import { TOOL } from '../audit.js';
import { renderGithubComment } from '../report/github-comment.js';
import { CommentSetupError, readPullRequestTarget } from './github-context.js';
import { loadReport } from './report-file.js';
import { createGithubClient, upsertStickyComment } from './sticky-comment.js';

/** The codes cli.ts uses: a comment that cannot be posted for a setup reason is a usage/config error. */
const EXIT = { passed: 0, usage: 2, internal: 3 } as const;

export const COMMENT_HELP = `Usage: k8s-audit comment [--report FILE]

Posts the audit as one sticky comment on the pull request that started the workflow, and
updates that same comment on every later run (it carries a hidden <!-- k8s-audit --> marker).

Options:
  --report FILE        JSON report to post (default reports/k8s-audit.json; write it with --format json)
  --help               print this help

Environment (GitHub Actions sets all but GITHUB_TOKEN):
  GITHUB_TOKEN         token allowed to write pull-request comments (permissions: pull-requests: write)
  GITHUB_REPOSITORY    owner/name
  GITHUB_EVENT_PATH    the event JSON: the PR number and head commit come from it
  GITHUB_API_URL       REST API root (default https://api.github.com; GitHub Enterprise: https://HOST/api/v3)
  GITHUB_SERVER_URL    where file links point (default https://github.com)

Exit codes: 0 posted, or nothing to do (the event is not about a pull request); 2 missing setting,
unreadable report, or GitHub refused (401, 403, 404); 3 any other failure.
`;

export interface CommandIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export async function runCommentCommand(argv: string[], io: CommandIo): Promise<number> {
  const say = (text: string): void => io.stderr(`k8s-audit comment: ${text}\n`);
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: { report: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    say(`${(error as Error).message}\nRun k8s-audit comment --help for usage.`);
    return EXIT.usage;
  }
  if (values.help === true) {
    io.stdout(COMMENT_HELP);
    return EXIT.passed;
  }

  try {
    const target = readPullRequestTarget(io.env);
    if ('skip' in target) {
      say(target.skip);
      return EXIT.passed;
    }
    const { input, warnings } = loadReport(values.report ?? 'reports/k8s-audit.json');
    for (const warning of warnings) say(`warning: ${warning}`);
    const body = renderGithubComment(input, {
      repository: `${target.owner}/${target.repo}`,
      serverUrl: target.serverUrl,
      ...(target.headSha === undefined ? {} : { headSha: target.headSha }),
    });
    const octokit = createGithubClient({ token: target.token, apiUrl: target.apiUrl, userAgent: `k8s-audit/${TOOL.version}` });
    const posted = await upsertStickyComment(octokit, { owner: target.owner, repo: target.repo, issueNumber: target.pullNumber }, body);
    io.stdout(`k8s-audit comment: ${posted.action} ${posted.url}\n`);
    return EXIT.passed;
  } catch (error) {
    if (error instanceof CommentSetupError) {
      say(error.message);
      return EXIT.usage;
    }
    const failure = apiFailure(error);
    if (failure === undefined) throw error;
    say(failure.message);
    return failure.exitCode;
  }
}

interface HttpError {
  status: number;
  message: string;
  request?: { method?: string; url?: string };
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** Octokit throws a RequestError (name `HttpError`) with the status; a network failure has no response. */
function apiFailure(error: unknown): { message: string; exitCode: number } | undefined {
  if (!(error instanceof Error) || error.name !== 'HttpError' || typeof (error as Partial<HttpError>).status !== 'number') return undefined;
  const { status, message, request, response } = error as HttpError & Error;
  const what = `${request?.method ?? 'request'} ${request?.url?.split('?')[0] ?? ''}`.trim();
  // GitHub's own words ("Bad credentials"), without the documentation link octokit appends to the error message.
  const data = response?.data;
  const said = oneLine(typeof data === 'object' && data !== null && 'message' in data && typeof data.message === 'string' ? data.message : message);
  if (response === undefined) return { message: `cannot reach the GitHub API (${what}): ${said}; check GITHUB_API_URL`, exitCode: EXIT.internal };
  const hint = HINTS[status];
  const rateLimited = status === 403 && String(response.headers?.['x-ratelimit-remaining'] ?? '') === '0';
  if (rateLimited) return { message: `GitHub answered 403 to ${what}: API rate limit exceeded; retry later`, exitCode: EXIT.internal };
  if (hint !== undefined) return { message: `GitHub answered ${status} to ${what} (${said}): ${hint}`, exitCode: EXIT.usage };
  return { message: `GitHub answered ${status} to ${what}: ${said}`, exitCode: EXIT.internal };
}

const HINTS: Record<number, string> = {
  401: 'GITHUB_TOKEN is missing, expired or not a token; pass ${{ github.token }} or a valid token',
  403: 'the token may not write pull-request comments; give the job "permissions: pull-requests: write" (pull requests from forks get a read-only token)',
  404: 'check GITHUB_REPOSITORY (owner/name), the pull request number in the event, and that the token can see the repository',
};

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}
