/**
 * Branch names for `promote`: what `git check-ref-format --branch` accepts, minus names that
 * would leave `refs/heads/` or that git treats specially. Shared by the edge (early refusal) and
 * the worker (which checks again before it pushes anything).
 */

/** Longest branch name accepted (GitHub's own limit on a ref is 255 bytes including `refs/heads/`). */
export const MAX_BRANCH_LENGTH = 200;

/** The branch a run is promoted to when the caller names none. */
export function defaultPromoteBranch(runId: string): string {
  return `outpost/${runId}`;
}

/**
 * Why `name` cannot be a branch to push to, or undefined when it can. The reason is written for
 * the caller ("branch … contains `..`"), so it can go straight into a tool refusal.
 */
export function branchNameProblem(name: string): string | undefined {
  const quoted = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  const bad = (why: string) => `branch ${quoted} is not a valid branch name: ${why}`;
  if (name.length === 0) return bad('it is empty');
  if (Buffer.byteLength(name) > MAX_BRANCH_LENGTH) return bad(`it is longer than ${MAX_BRANCH_LENGTH} bytes`);
  if (/[\u0000-\u0020\u007f]/.test(name)) return bad('it contains spaces or control characters');
  const special = /[~^:?*[\\]/.exec(name);
  if (special) return bad(`it contains \`${special[0]}\``);
  if (name.includes('..')) return bad('it contains `..`');
  if (name.includes('@{')) return bad('it contains `@{`');
  if (name === '@') return bad('`@` alone names HEAD');
  if (name.startsWith('-')) return bad('it starts with `-` (git would read it as an option)');
  if (name.startsWith('/')) return bad('it starts with `/`');
  if (name.endsWith('/')) return bad('it ends with `/`');
  if (name.includes('//')) return bad('it contains `//`');
  if (name.endsWith('.')) return bad('it ends with `.`');
  if (name === 'HEAD' || name.startsWith('refs/')) return bad('name the branch itself (without `refs/`), not HEAD');
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return bad('a path component starts with `.`');
    if (part.endsWith('.lock')) return bad('a path component ends with `.lock`');
  }
  return undefined;
}
