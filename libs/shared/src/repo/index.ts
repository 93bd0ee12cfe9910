export { branchNameProblem, defaultPromoteBranch, MAX_BRANCH_LENGTH } from './branch-name.js';
export { checkRef, InvalidRepoError, isCommitSha, MAX_REF_LENGTH, MAX_REPO_LENGTH, parseRepo, type RepoSpec } from './repo-spec.js';
