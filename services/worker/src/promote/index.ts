export { createPullRequest, githubRepoOf, PullRequestError, type GithubRepo, type PullRequestInput } from './github.js';
export { promoteHandler } from './handler.js';
export { PromoteExecution, PromoteFailureError, type PromoteDeps } from './promotion.js';
