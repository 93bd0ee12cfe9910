import { createWriteStream } from 'node:fs';
import { chown, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ArtifactName, ArtifactRef, Continuation, Logger, RunRecord, RunStore } from '@outpost/shared';
import type { AgentAdapter } from './agents/types.js';
import { uploadFile, type ArtifactTarget } from './artifacts.js';
import { git } from './git.js';
import { NonRetryableError } from './run-errors.js';
import type { AgentIdentity } from './run-as.js';
import { packSession, readSessionArchive, SessionArchiveRefusedError } from './session-archive.js';
import type { Workspace } from './workspace.js';

const PARENT_TASK_CHARS = 8_000;
const PARENT_MESSAGE_CHARS = 4_000;
const DIFF_STAT_CHARS = 4_000;

export interface FollowUpDeps {
  runs: RunStore;
  s3: S3Client;
  bucket: string;
  identity: AgentIdentity | undefined;
  logger: Logger;
}

/** What the agent of a follow-up gets: the task to run (the feedback, with context when it cannot resume) and a session to resume. */
export interface Conversation {
  task: string;
  resumeSessionId?: string;
  continuation: Continuation;
}

/**
 * The worker's side of a follow-up: the parent's changes replayed on its base commit before the
 * agent starts (so the follow-up's patch, against the same base, holds the whole chain's change),
 * and the parent's conversation carried over: its session restored into HOME where the CLI can
 * resume one, else the parent's task, final message and diff summary in the task.
 */
export class FollowUp {
  private constructor(
    private readonly deps: FollowUpDeps,
    readonly parent: RunRecord,
    /** The chain's base commit: what the follow-up clones and collects its changes against. */
    readonly baseCommit: string,
  ) {}

  /** The parent of `run` (same tenant), or a NonRetryableError when it or its changes are gone. */
  static async load(deps: FollowUpDeps, run: RunRecord): Promise<FollowUp> {
    const parentId = run.parentRunId as string;
    const parent = await deps.runs.get(run.tenantId, parentId);
    if (!parent) throw new NonRetryableError('replay_failed', `the run this follow-up continues (${parentId}) is gone`);
    if (!parent.baseCommit) throw new NonRetryableError('replay_failed', `run ${parentId} left no changes to continue from`);
    return new FollowUp(deps, parent, parent.baseCommit);
  }

  /**
   * Replays the parent's changes in the clone (at `baseCommit`): its commits from changes.bundle
   * with the tree made whole from patch.diff (which also holds what it left uncommitted), else
   * patch.diff alone with `git apply --index`. Runs git as the agent, whose clone it is.
   */
  async replay(ws: Workspace): Promise<'bundle' | 'patch'> {
    const o = { cwd: ws.repoDir, env: ws.gitEnv(), identity: this.deps.identity };
    const patch = await this.download(ws, 'patch.diff');
    const bundle = this.artifact('changes.bundle') ? (await this.download(ws, 'changes.bundle')).file : undefined;
    try {
      if (bundle) {
        await git(['fetch', '-q', '--no-tags', bundle, 'HEAD'], o);
        await git(['reset', '-q', '--hard', 'FETCH_HEAD'], o);
      }
      if (!patch.empty) {
        if (bundle) {
          // The patch is against the base: build its tree in a side index, then make it the work tree.
          const side = { ...o, env: { ...o.env, GIT_INDEX_FILE: path.join(ws.tmpDir, 'replay.index') } };
          await git(['read-tree', this.baseCommit], side);
          await git(['apply', '--cached', '--binary', patch.file], side);
          const tree = (await git(['write-tree'], side)).trim();
          await git(['read-tree', '-u', '--reset', tree], o);
        } else {
          await git(['apply', '--index', '--binary', patch.file], o);
        }
      }
    } catch (err) {
      throw new NonRetryableError('replay_failed', `the changes of ${this.parent.runId} could not be replayed on ${this.baseCommit}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    } finally {
      await rm(patch.file, { force: true });
      if (bundle) await rm(bundle, { force: true });
      await rm(path.join(ws.tmpDir, 'replay.index'), { force: true });
    }
    return bundle ? 'bundle' : 'patch';
  }

  /**
   * The parent's conversation for the agent: its session restored into HOME when the agent is
   * the parent's and its CLI resumes sessions; otherwise context in the task, saying why.
   */
  async converse(ws: Workspace, adapter: AgentAdapter, feedback: string, readParentTask: () => Promise<string>): Promise<Conversation> {
    const id = this.parent.summary?.sessionId;
    // A shell task is a script: prose in front of it would run as commands.
    if (adapter.name === 'shell') return { task: feedback, continuation: { mode: 'context', reason: 'shell runs the script as given, on the parent\'s result' } };
    let reason: string;
    if (!adapter.session) reason = `${adapter.name} cannot resume a session headless`;
    else if (this.parent.agent !== adapter.name) reason = `the parent ran ${this.parent.agent}, this run ${adapter.name}`;
    else if (!id || !this.artifact('session.tar.gz')) reason = 'the parent left no session to resume';
    else {
      try {
        const archive = await this.download(ws, 'session.tar.gz', ws.outDir);
        const files = await readSessionArchive(archive.file).finally(() => rm(archive.file, { force: true }));
        const restored: Record<string, string> = {};
        for (const [rel, body] of files) {
          const to = adapter.session.restorePath(rel, ws.repoDir);
          if (to) restored[to] = body.toString('utf8');
        }
        if (Object.keys(restored).length > 0) {
          await ws.writeHomeFiles(restored);
          return { task: feedback, resumeSessionId: id, continuation: { mode: 'resume' } };
        }
        reason = 'the session archive held no session file';
      } catch (err) {
        if (!(err instanceof SessionArchiveRefusedError)) throw err;
        this.deps.logger.warn({ err, parentRunId: this.parent.runId }, 'session archive refused; continuing with context');
        reason = err.message;
      }
    }
    return { task: await this.context(ws, feedback, readParentTask), continuation: { mode: 'context', reason: reason.slice(0, 500) } };
  }

  private async context(ws: Workspace, feedback: string, readParentTask: () => Promise<string>): Promise<string> {
    const o = { cwd: ws.repoDir, env: ws.gitEnv(), identity: this.deps.identity };
    const stat = (await git(['diff', '--cached', '--stat', '--no-color', this.baseCommit], o).catch(() => '')).trim();
    const message = this.parent.summary?.finalMessage;
    return [
      `You are continuing earlier work in this repository (run ${this.parent.runId}). Its changes are already in the working tree.`,
      '',
      'The earlier task was:',
      clipText(await readParentTask(), PARENT_TASK_CHARS),
      '',
      ...(message ? ['The earlier run ended with this message:', clipText(message, PARENT_MESSAGE_CHARS), ''] : []),
      `Changes so far, against ${this.baseCommit.slice(0, 12)}:`,
      stat ? clipText(stat, DIFF_STAT_CHARS) : '(none)',
      '',
      'The new request, which is what to do now:',
      feedback,
    ].join('\n');
  }

  private artifact(name: ArtifactName): ArtifactRef | undefined {
    return this.parent.artifacts?.find((a) => a.name === name);
  }

  /** One of the parent's artifacts into `dir` (the agent's tmp by default, where its git can read it). */
  private async download(ws: Workspace, name: ArtifactName, dir = ws.tmpDir): Promise<{ file: string; empty: boolean }> {
    const ref = this.artifact(name);
    if (!ref) throw new NonRetryableError('replay_failed', `run ${this.parent.runId} has no ${name}`);
    const file = path.join(dir, `parent-${name}`);
    try {
      const out = await this.deps.s3.send(new GetObjectCommand({ Bucket: this.deps.bucket, Key: ref.key }));
      await pipeline(out.Body as Readable, createWriteStream(file, { mode: 0o600 }));
    } catch (err) {
      if (err instanceof Error && err.name === 'NoSuchKey') {
        throw new NonRetryableError('replay_failed', `${name} of ${this.parent.runId} is gone (its artifacts expired)`, { cause: err });
      }
      throw err;
    }
    if (dir === ws.tmpDir && this.deps.identity) await chown(file, this.deps.identity.uid, this.deps.identity.gid);
    return { file, empty: ref.bytes === 0 };
  }
}

/** Archives the run's agent session (redacted) as session.tar.gz, when the CLI keeps one; best effort. */
export async function archiveSession(o: {
  ws: Workspace;
  adapter: AgentAdapter;
  sessionId: string | undefined;
  secrets: readonly string[];
  target: ArtifactTarget;
  logger: Logger;
}): Promise<ArtifactRef | undefined> {
  if (!o.adapter.session || !o.sessionId) return undefined;
  try {
    const files = await o.adapter.session.files(o.ws.homeDir, o.sessionId);
    const out = path.join(o.ws.outDir, 'session.tar.gz');
    const packed = await packSession({ home: o.ws.homeDir, files, out, staging: path.join(o.ws.outDir, 'session'), secrets: o.secrets });
    if (packed.length === 0) return undefined;
    return await uploadFile(o.target, 'session.tar.gz', out, 'application/gzip');
  } catch (err) {
    // A follow-up without the session still works (context mode): never fail a run for it.
    o.logger.warn({ err }, 'archiving the agent session failed');
    return undefined;
  }
}

function clipText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[… ${text.length - max} more characters]`;
}
