// Where the comment goes, read from what GitHub Actions puts in the environment: the repository,
// the token, the API (GitHub Enterprise has its own) and the event that started the workflow.
import { readFileSync } from 'node:fs';

/** A setting the comment cannot be posted without; the command turns it into exit 2. */
export class CommentSetupError extends Error {}

export interface PullRequestTarget {
  token: string;
  owner: string;
  repo: string;
  /** `GITHUB_API_URL`: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server. */
  apiUrl: string;
  /** `GITHUB_SERVER_URL`: where the comment's file links point. */
  serverUrl: string;
  pullNumber: number;
  /** The PR's head commit, for file links; an `issue_comment` event does not carry it. */
  headSha?: string;
}

/** Not a pull request (a push, a schedule, a comment on a plain issue): nothing to comment on. */
export interface NotAPullRequest {
  skip: string;
}

const DEFAULT_API_URL = 'https://api.github.com';
const DEFAULT_SERVER_URL = 'https://github.com';

export function readPullRequestTarget(env: NodeJS.ProcessEnv): PullRequestTarget | NotAPullRequest {
  // Every variable is checked before the event is looked at, so a misconfigured workflow fails the
  // same way on every event, not only on the first pull request.
  const token = required(env, 'GITHUB_TOKEN');
  const repository = required(env, 'GITHUB_REPOSITORY');
  const eventPath = required(env, 'GITHUB_EVENT_PATH');
  const [owner, repo, ...rest] = repository.split('/');
  if (owner === undefined || owner === '' || repo === undefined || repo === '' || rest.length > 0) {
    throw new CommentSetupError(`GITHUB_REPOSITORY must be owner/name, not "${repository}"`);
  }
  const event = readEvent(eventPath);
  const eventName = env.GITHUB_EVENT_NAME === undefined || env.GITHUB_EVENT_NAME === '' ? 'this' : `a ${env.GITHUB_EVENT_NAME}`;
  const pullRequest = pullRequestOf(event);
  if (pullRequest === undefined) return { skip: `${eventName} event is not about a pull request; no comment posted` };
  return {
    token,
    owner,
    repo,
    apiUrl: (optional(env, 'GITHUB_API_URL') ?? DEFAULT_API_URL).replace(/\/+$/, ''),
    serverUrl: (optional(env, 'GITHUB_SERVER_URL') ?? DEFAULT_SERVER_URL).replace(/\/+$/, ''),
    pullNumber: pullRequest.number,
    ...(pullRequest.headSha === undefined ? {} : { headSha: pullRequest.headSha }),
  };
}

/**
 * `pull_request` and `pull_request_target` events carry `pull_request`; an `issue_comment` on a pull
 * request carries `issue` with an `issue.pull_request` link (a plain issue has none) but no head commit.
 */
function pullRequestOf(event: unknown): { number: number; headSha?: string } | undefined {
  if (!isRecord(event)) return undefined;
  const { pull_request: pullRequest, issue } = event;
  if (isRecord(pullRequest) && isPositiveInteger(pullRequest.number)) {
    const head = pullRequest.head;
    const sha = isRecord(head) && typeof head.sha === 'string' && head.sha !== '' ? head.sha : undefined;
    return { number: pullRequest.number, ...(sha === undefined ? {} : { headSha: sha }) };
  }
  if (isRecord(issue) && isRecord(issue.pull_request) && isPositiveInteger(issue.number)) return { number: issue.number };
  return undefined;
}

function readEvent(eventPath: string): unknown {
  let text: string;
  try {
    text = readFileSync(eventPath, 'utf8');
  } catch (error) {
    throw new CommentSetupError(`cannot read the event file GITHUB_EVENT_PATH=${eventPath}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CommentSetupError(`the event file GITHUB_EVENT_PATH=${eventPath} is not JSON: ${(error as Error).message}`);
  }
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new CommentSetupError(`${name} is not set${name === 'GITHUB_TOKEN' ? ' (pass it to the step: env: GITHUB_TOKEN: ${{ github.token }})' : ' (GitHub Actions sets it; elsewhere set it yourself)'}`);
  return value;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
