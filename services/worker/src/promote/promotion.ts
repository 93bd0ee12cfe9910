import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  branchNameProblem,
  OutpostError,
  parameterPaths,
  redact,
  secretsFromParameters,
  type Logger,
  type ParameterStore,
  type Promotion,
  type RunError,
  type RunRecord,
} from '@outpost/shared';
import type { WorkerConfig } from '../config.js';
import { git, GitError } from '../git.js';
import { InvalidRepoError, parseRepo, type RepoSpec } from '../repo-spec.js';
import { Workspace } from '../workspace.js';
import { createPullRequest, githubRepoOf, PullRequestError } from './github.js';

export interface PromoteDeps {
  config: Pick<WorkerConfig, 'mode' | 'env' | 'root' | 'agentPath' | 'githubApiUrl' | 'promoteAuthor'>;
  s3: S3Client;
  bucket: string;
  params: ParameterStore;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A promotion that ends as `failed` with this code and message (the message is redacted before it is stored). */
export class PromoteFailureError extends OutpostError {
  override readonly name = 'PromoteFailureError';
  constructor(
    readonly code: RunError['code'],
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What was pushed: the commit at the branch tip, and whether this execution pushed it. */
interface Pushed {
  commitSha: string;
  pushed: boolean;
}

/**
 * One promotion, start to end: clone at the run's base commit, rebuild the run's changes (the
 * agent's commits from the bundle, plus anything it left uncommitted from the patch), push the
 * branch without force, optionally open a pull request. Returns the promotion to record; never
 * throws for anything that is the run's or the remote's fault.
 *
 * Duplicate deliveries are safe without a lease: the commit is made with fixed dates (the
 * promotion's requestedAt), so two executions of one promotion build the same commit sha; the push
 * never forces, and a branch that already points at that sha counts as success.
 */
export class PromoteExecution {
  private secretValues: string[] = [];
  private askpassEnv: Record<string, string> = {};

  constructor(
    private readonly deps: PromoteDeps,
    private readonly run: RunRecord,
    private readonly promotion: Promotion,
    private readonly log: Logger,
    /** With `commits: 'chain'`: the chain's runs, first to this one. */
    private readonly chain?: readonly RunRecord[],
  ) {}

  async execute(): Promise<Promotion> {
    const p = this.promotion;
    let ws: Workspace | undefined;
    try {
      const secrets = await this.loadSecrets();
      this.secretValues = Object.values(secrets);
      const token = secrets.github_token;
      this.checkRequest();
      const { patchKey, bundleKey } = this.changeKeys();
      const spec = this.repoSpec();
      const baseCommit = this.run.baseCommit;
      if (!baseCommit) throw new PromoteFailureError('invalid_job', `run ${this.run.runId} has no base commit recorded; it cannot be promoted`);
      const gh = p.createPullRequest ? githubRepoOf(this.run.repo) : undefined;
      if (p.createPullRequest) {
        if (!token) {
          throw new PromoteFailureError(
            'missing_secret',
            'createPullRequest needs the tenant secret github_token (a token that may push and open pull requests); set it and promote again',
          );
        }
        if (!gh) throw new PromoteFailureError('invalid_job', `cannot tell the GitHub owner/name of repo ${this.run.repo}; promote without createPullRequest`);
      }

      ws = await Workspace.create({
        root: this.deps.config.root,
        name: `${this.run.runId}-promote-${randomBytes(4).toString('hex')}`,
        identity: undefined,
        pathEnv: this.deps.config.agentPath,
      });
      const offerToken = spec.kind !== 'file' && (this.deps.config.mode === 'local' || spec.host === 'github.com') ? token : undefined;
      await this.clone(ws, spec, baseCommit, offerToken);

      const defaultBranch = await this.remoteDefaultBranch(ws);
      if (defaultBranch !== undefined && p.branch === defaultBranch) {
        throw new PromoteFailureError('invalid_job', `branch ${p.branch} is the repository's default branch; promote never pushes to it, choose another branch`);
      }
      const prBase = p.base ?? defaultBranch;
      if (p.createPullRequest && !prBase) throw new PromoteFailureError('invalid_job', 'the remote has no default branch; give base for the pull request');

      const commitSha = await this.buildCommit(ws, baseCommit, patchKey, bundleKey);
      const pushed = await this.push(ws, commitSha);
      this.log.info({ branch: p.branch, commitSha, pushed: pushed.pushed }, pushed.pushed ? 'promotion branch pushed' : 'promotion branch already at this commit');

      let pullRequestUrl: string | undefined;
      if (p.createPullRequest && gh && token && prBase) {
        try {
          pullRequestUrl = await createPullRequest({
            apiUrl: this.deps.config.githubApiUrl,
            token,
            repo: gh,
            head: p.branch,
            base: prBase,
            title: p.title ?? (await this.subject()),
            body: p.body ?? `Changes made by Outpost run ${this.run.runId} (agent ${this.run.agent}).`,
            ...(p.draft ? { draft: true } : {}),
            ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
          });
        } catch (err) {
          if (!(err instanceof PullRequestError)) throw err;
          // The branch is pushed; record it so the caller can open the pull request by hand or retry.
          return this.failed('pull_request_failed', `branch ${p.branch} was pushed at ${commitSha}, but ${err.message}`, { commitSha });
        }
        this.log.info({ pullRequestUrl, draft: p.draft === true }, 'pull request opened');
      }
      return {
        ...p,
        status: 'succeeded',
        finishedAt: new Date().toISOString(),
        commitSha,
        ...(p.createPullRequest && prBase ? { base: prBase } : {}),
        ...(pullRequestUrl ? { pullRequestUrl } : {}),
      };
    } catch (err) {
      if (err instanceof PromoteFailureError) return this.failed(err.code, err.message);
      this.log.error({ err: this.redact(err instanceof Error ? err.message : String(err)) }, 'promotion failed inside the worker');
      return this.failed('internal', `worker error during promotion: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await ws?.remove().catch((err: unknown) => this.log.warn({ err }, 'promotion workspace removal failed'));
    }
  }

  // --- steps ---

  private checkRequest(): void {
    const p = this.promotion;
    const problem = branchNameProblem(p.branch) ?? (p.base !== undefined ? branchNameProblem(p.base)?.replace(/^branch/, 'base') : undefined);
    if (problem) throw new PromoteFailureError('invalid_job', problem);
    if (p.base !== undefined && p.base === p.branch) throw new PromoteFailureError('invalid_job', `branch ${p.branch} is the base; promote never pushes to its base, choose another branch`);
    if (this.run.status !== 'succeeded') throw new PromoteFailureError('invalid_job', `run ${this.run.runId} is ${this.run.status}; only a succeeded run can be promoted`);
  }

  private changeKeys(): { patchKey?: string; bundleKey?: string } {
    const artifacts = this.run.artifacts ?? [];
    const patch = artifacts.find((a) => a.name === 'patch.diff' && a.bytes > 0);
    const bundle = artifacts.find((a) => a.name === 'changes.bundle');
    if (!bundle && (!patch || this.run.summary?.filesChanged === 0)) {
      throw new PromoteFailureError('invalid_job', `run ${this.run.runId} made no changes; there is nothing to promote`);
    }
    return { ...(patch ? { patchKey: patch.key } : {}), ...(bundle ? { bundleKey: bundle.key } : {}) };
  }

  private repoSpec(): RepoSpec {
    try {
      return parseRepo(this.run.repo, this.deps.config.mode);
    } catch (err) {
      if (err instanceof InvalidRepoError) throw new PromoteFailureError('invalid_job', err.message);
      throw err;
    }
  }

  private async clone(ws: Workspace, spec: RepoSpec, baseCommit: string, token: string | undefined): Promise<void> {
    try {
      await ws.clone(spec, baseCommit, token);
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      this.askpassEnv = await this.credentialEnv(ws, token);
      // Reachable repository, missing commit: its history was rewritten under the run.
      const reachable = await git(['ls-remote', '--heads', 'origin'], { cwd: ws.repoDir, env: ws.gitEnv(this.askpassEnv), timeoutMs: 60_000 }).then(
        () => true,
        () => false,
      );
      if (reachable) {
        throw new PromoteFailureError(
          'patch_conflict',
          `the run's base commit ${baseCommit} is no longer in ${this.run.repo} (its history was rewritten), so the run's changes no longer apply; dispatch the task again`,
        );
      }
      throw new PromoteFailureError('clone_failed', `clone of ${this.run.repo} failed: ${err.message}`);
    }
    this.askpassEnv = await this.credentialEnv(ws, token);
  }

  /**
   * GIT_ASKPASS for later pushes: the helper Workspace.clone wrote (it reads the token from its
   * own environment; the token never sits in a file, argv or URL).
   */
  private async credentialEnv(ws: Workspace, token: string | undefined): Promise<Record<string, string>> {
    if (!token) return {};
    const askpass = path.join(ws.outDir, 'askpass.sh');
    await access(askpass);
    return { GIT_ASKPASS: askpass, OUTPOST_GIT_TOKEN: token };
  }

  private async remoteDefaultBranch(ws: Workspace): Promise<string | undefined> {
    const out = await git(['ls-remote', '--symref', 'origin', 'HEAD'], this.remote(ws)).catch((err: unknown) => {
      throw new PromoteFailureError('push_failed', `could not read the remote's branches: ${err instanceof Error ? err.message : String(err)}`);
    });
    return /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out)?.[1];
  }

  /**
   * The commit to push. The patch (base → final tree, uncommitted work included) is applied to a
   * scratch index; with a bundle, the agent's commits are fetched and kept as they are, and only
   * what they do not already contain becomes one more commit.
   */
  private async buildCommit(ws: Workspace, baseCommit: string, patchKey: string | undefined, bundleKey: string | undefined): Promise<string> {
    const env = ws.gitEnv({ GIT_INDEX_FILE: path.join(ws.outDir, 'promote.index'), ...this.authorEnv() });
    const o = { cwd: ws.repoDir, env };
    if (this.chain && this.chain.length > 1) return this.buildChain(ws, baseCommit, o);
    let tree: string | undefined;
    if (patchKey) {
      const patchFile = path.join(ws.outDir, 'patch.diff');
      await this.download(patchKey, patchFile);
      await git(['read-tree', baseCommit], o);
      try {
        await git(['apply', '--cached', '--binary', '--whitespace=nowarn', patchFile], o);
      } catch (err) {
        if (!(err instanceof GitError)) throw err;
        throw new PromoteFailureError('patch_conflict', `the run's patch no longer applies to its base commit ${baseCommit}: ${err.message}`);
      }
      tree = (await git(['write-tree'], o)).trim();
    }
    let parent = baseCommit;
    if (bundleKey) {
      const bundleFile = path.join(ws.outDir, 'changes.bundle');
      await this.download(bundleKey, bundleFile);
      try {
        await git(['fetch', '-q', '--no-tags', bundleFile, 'HEAD'], o);
      } catch (err) {
        if (!(err instanceof GitError)) throw err;
        throw new PromoteFailureError('patch_conflict', `the agent's commits no longer apply to the base commit ${baseCommit}: ${err.message}`);
      }
      parent = (await git(['rev-parse', 'FETCH_HEAD^{commit}'], o)).trim();
      const headTree = (await git(['rev-parse', `${parent}^{tree}`], o)).trim();
      if (tree === undefined || tree === headTree) return parent;
    }
    if (tree === undefined) throw new PromoteFailureError('invalid_job', `run ${this.run.runId} made no changes; there is nothing to promote`);
    const message = this.promotion.commitMessage ?? (await this.defaultMessage(bundleKey !== undefined));
    return (await git(['commit-tree', tree, '-p', parent, '-m', message], o)).trim();
  }

  /**
   * One commit per run of the chain. Every run's patch is against the chain's base commit (a
   * follow-up collects against its parent's base), so run i's tree is the base with its patch; a
   * run that changed nothing adds no commit. The agents' own commits are not kept in this mode.
   */
  private async buildChain(ws: Workspace, baseCommit: string, o: { cwd: string; env: Record<string, string> }): Promise<string> {
    const links = this.chain ?? [];
    let parent = baseCommit;
    let prevTree = (await git(['rev-parse', `${baseCommit}^{tree}`], o)).trim();
    for (const [i, run] of links.entries()) {
      const patch = run.artifacts?.find((a) => a.name === 'patch.diff');
      if (!patch || patch.bytes === 0) continue;
      const file = path.join(ws.outDir, `chain-${i}.diff`);
      await this.download(patch.key, file);
      await git(['read-tree', baseCommit], o);
      try {
        await git(['apply', '--cached', '--binary', '--whitespace=nowarn', file], o);
      } catch (err) {
        if (!(err instanceof GitError)) throw err;
        throw new PromoteFailureError('patch_conflict', `the patch of ${run.runId} no longer applies to the chain's base commit ${baseCommit}: ${err.message}`);
      }
      const tree = (await git(['write-tree'], o)).trim();
      if (tree === prevTree) continue;
      const last = i === links.length - 1;
      const message = last && this.promotion.commitMessage ? this.promotion.commitMessage : chainMessage(run);
      parent = (await git(['commit-tree', tree, '-p', parent, '-m', message], o)).trim();
      prevTree = tree;
    }
    if (parent === baseCommit) throw new PromoteFailureError('invalid_job', `the chain of ${this.run.runId} made no changes; there is nothing to promote`);
    return parent;
  }

  /** Pushes `sha` to the branch without force; a branch already at `sha` is success. */
  private async push(ws: Workspace, sha: string): Promise<Pushed> {
    const { branch } = this.promotion;
    const existing = await this.remoteBranch(ws);
    if (existing === sha) return { commitSha: sha, pushed: false };
    if (existing !== undefined) throw this.branchExists(existing);
    try {
      await git(['push', '-q', '--no-verify', 'origin', `${sha}:refs/heads/${branch}`], this.remote(ws));
      return { commitSha: sha, pushed: true };
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      // Another delivery of this promotion may have pushed the same commit in between.
      const now = await this.remoteBranch(ws).catch(() => undefined);
      if (now === sha) return { commitSha: sha, pushed: false };
      if (now !== undefined) throw this.branchExists(now);
      throw new PromoteFailureError('push_failed', `push of branch ${branch} failed: ${err.message}`);
    }
  }

  private async remoteBranch(ws: Workspace): Promise<string | undefined> {
    const out = await git(['ls-remote', 'origin', `refs/heads/${this.promotion.branch}`], this.remote(ws));
    return /^([0-9a-f]{40,64})\t/m.exec(out)?.[1];
  }

  private branchExists(at: string): PromoteFailureError {
    const { branch } = this.promotion;
    return new PromoteFailureError(
      'branch_exists',
      `branch ${branch} already exists on the remote at ${at.slice(0, 12)} with other history; promote never overwrites a branch, choose another branch name`,
    );
  }

  private remote(ws: Workspace) {
    return { cwd: ws.repoDir, env: ws.gitEnv(this.askpassEnv), timeoutMs: 5 * 60_000 };
  }

  private authorEnv(): Record<string, string> {
    const { name, email } = this.deps.config.promoteAuthor;
    // Fixed dates: every execution of this promotion builds the same commit (see the class comment).
    const date = `${Math.floor(Date.parse(this.promotion.requestedAt) / 1000)} +0000`;
    return {
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: email,
      GIT_COMMITTER_DATE: date,
    };
  }

  private async defaultMessage(onTopOfAgentCommits: boolean): Promise<string> {
    const what = onTopOfAgentCommits ? 'Changes the agent left uncommitted in' : 'Changes made by';
    return `${await this.subject()}\n\n${what} Outpost run ${this.run.runId} (agent ${this.run.agent}).\n`;
  }

  /** The task's first line, as a commit subject or pull request title. */
  private async subject(): Promise<string> {
    const task = await this.task();
    const first = task.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? `Outpost run ${this.run.runId}`;
    return this.redact(first.length > 72 ? `${first.slice(0, 71)}…` : first);
  }

  private async task(): Promise<string> {
    if (this.run.task !== undefined) return this.run.task;
    if (!this.run.taskKey) return '';
    const out = await this.deps.s3.send(new GetObjectCommand({ Bucket: this.deps.bucket, Key: this.run.taskKey, Range: 'bytes=0-4095' }));
    return (await out.Body?.transformToString('utf8')) ?? '';
  }

  private async download(key: string, file: string): Promise<void> {
    const out = await this.deps.s3.send(new GetObjectCommand({ Bucket: this.deps.bucket, Key: key }));
    if (!out.Body) throw new Error(`artifact ${key} is empty`);
    await pipeline(out.Body as Readable, createWriteStream(file, { mode: 0o600 }));
  }

  private async loadSecrets() {
    const prefix = parameterPaths.tenantSecrets(this.deps.config.env, this.run.tenantId);
    return secretsFromParameters(await this.deps.params.getByPath(prefix), prefix);
  }

  private failed(code: RunError['code'], message: string, extra: { commitSha?: string } = {}): Promotion {
    this.log.warn({ code, message: this.redact(message) }, 'promotion failed');
    return {
      ...this.promotion,
      status: 'failed',
      finishedAt: new Date().toISOString(),
      ...extra,
      error: { code, message: this.redact(message).slice(0, 3900) },
    };
  }

  private redact(text: string): string {
    return redact(text, this.secretValues);
  }
}

/** A chain commit's message: the run's task's first line (when stored inline) and its id. */
function chainMessage(run: RunRecord): string {
  const first = run.task?.split('\n').find((l) => l.trim().length > 0)?.trim().slice(0, 72);
  return `${first ?? `Outpost run ${run.runId}`}\n\nOutpost run ${run.runId}`;
}
