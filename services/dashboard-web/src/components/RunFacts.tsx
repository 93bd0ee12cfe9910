import type { RunDetailResponse } from '../api/client.js';
import { formatBytes, formatDuration, formatTags, formatTime, formatUsd } from './format.js';
import { api } from '../api/client.js';

type Detail = RunDetailResponse;

/** Task, repo, ref, agent, model; summary; timeline; artifacts: the facts of one run. */
export function RunFacts({ detail }: { detail: Detail }) {
  const { run, timeline, artifacts } = detail;
  const s = run.summary;
  const cost = s?.usage?.costUsd ?? run.spend?.costUsd;
  return (
    <div className="facts-grid">
      <section aria-labelledby="facts-title" className="card">
        <h2 id="facts-title">Run</h2>
        <dl className="facts">
          <dt>Task</dt>
          <dd className="pre">{run.task ?? '(stored task)'}</dd>
          <dt>Repo</dt>
          <dd className="mono">{run.repo}</dd>
          <dt>Ref</dt>
          <dd className="mono">{run.ref ?? 'default branch'}</dd>
          <dt>Agent</dt>
          <dd>{run.agent}</dd>
          <dt>Model</dt>
          <dd>{run.model ?? 'default'}</dd>
          <dt>Tier</dt>
          <dd>{run.tier}</dd>
          <dt>Attempt</dt>
          <dd>
            {run.attempt} of {run.maxAttempts}
          </dd>
          <dt>Tags</dt>
          <dd>{formatTags(run.tags) || '—'}</dd>
          {run.error ? (
            <>
              <dt>Error</dt>
              <dd className="error">
                {run.error.code}: {run.error.message}
              </dd>
            </>
          ) : null}
        </dl>
      </section>
      <section aria-labelledby="summary-title" className="card">
        <h2 id="summary-title">Summary</h2>
        {s ? (
          <dl className="facts" data-testid="summary">
            <dt>Files</dt>
            <dd>{s.filesChanged}</dd>
            <dt>Insertions</dt>
            <dd className="plus">+{s.insertions}</dd>
            <dt>Deletions</dt>
            <dd className="minus">−{s.deletions}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(s.durationMs)}</dd>
            <dt>Exit code</dt>
            <dd>{s.exitCode ?? '—'}</dd>
            <dt>Tokens in/out</dt>
            <dd>
              {s.usage?.inputTokens ?? '—'} / {s.usage?.outputTokens ?? '—'}
            </dd>
            <dt>Cost</dt>
            <dd>{formatUsd(cost)}</dd>
          </dl>
        ) : (
          <p>No summary until the run ends.</p>
        )}
      </section>
      <section aria-labelledby="timeline-title" className="card">
        <h2 id="timeline-title">Timeline</h2>
        <ol className="timeline">
          {timeline.map((t, i) => (
            <li key={i}>
              <time dateTime={t.at}>{formatTime(t.at)}</time> <strong>{t.event.replace('_', ' ')}</strong>
              {t.detail ? <span className="muted"> {t.detail}</span> : null}
            </li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="artifacts-title" className="card">
        <h2 id="artifacts-title">Artifacts</h2>
        {artifacts.length === 0 ? <p>None yet.</p> : null}
        <ul>
          {artifacts.map((a) => (
            <li key={a.name}>
              <a href={api.paths.runArtifact(run.runId, a.name)} download={a.name}>
                {a.name}
              </a>{' '}
              <span className="muted">{formatBytes(a.bytes)}</span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
