// The parser lives in shared so the edge refuses at dispatch exactly what the worker refuses here.
export { checkRef, InvalidRepoError, isCommitSha, parseRepo, type RepoSpec } from '@outpost/shared';
