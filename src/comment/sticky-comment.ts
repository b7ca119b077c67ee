// One comment per pull request, edited in place on every run: found by the marker on its first line.
import { Octokit } from '@octokit/rest';
import { COMMENT_MARKER } from '../report/github-comment.js';

export interface StickyCommentTarget {
  owner: string;
  repo: string;
  /** Pull requests are issues to the comments API. */
  issueNumber: number;
}

export interface PostedComment {
  action: 'created' | 'updated' | 'unchanged';
  id: number;
  url: string;
}

export function createGithubClient({ token, apiUrl, userAgent }: { token: string; apiUrl: string; userAgent: string }): Octokit {
  // Octokit's request log writes a line per failed request; the command reports failures itself, in one line.
  const quiet = (): void => {};
  return new Octokit({ auth: token, baseUrl: apiUrl, userAgent, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
}

/**
 * Updates the comment that starts with the marker (unless it already says the same), or creates it.
 * Listing stops at the page that holds it. Only the first line counts: a reply quoting the comment, or
 * a person mentioning the marker, is not the bot's comment. Should two marked comments exist (two runs
 * racing on the first push; docs/ci.md sets a concurrency group against it), the oldest is kept up to
 * date and the other goes stale rather than being deleted behind anyone's back.
 */
export async function upsertStickyComment(octokit: Octokit, target: StickyCommentTarget, body: string): Promise<PostedComment> {
  const { owner, repo, issueNumber } = target;
  const [existing] = await octokit.paginate(
    octokit.rest.issues.listComments,
    { owner, repo, issue_number: issueNumber, per_page: 100 },
    (response, done) => {
      const marked = response.data.filter((comment) => comment.body?.startsWith(COMMENT_MARKER) === true);
      if (marked.length > 0) done();
      return marked;
    },
  );
  if (existing !== undefined) {
    // Nothing new since the last push: no edit, so the comment's "edited" history shows real changes only.
    if (existing.body === body) return { action: 'unchanged', id: existing.id, url: existing.html_url };
    const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
    return { action: 'updated', id: data.id, url: data.html_url };
  }
  const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
  return { action: 'created', id: data.id, url: data.html_url };
}
