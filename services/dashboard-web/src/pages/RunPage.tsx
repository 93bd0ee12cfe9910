import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, RunView, type RunDetailResponse } from '../api/client.js';
import { ApiError } from '../api/http.js';
import { DiffView } from '../components/DiffView.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { LogView } from '../components/LogView.js';
import { PromoteForm } from '../components/PromoteForm.js';
import { RunFacts } from '../components/RunFacts.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { formatTime } from '../components/format.js';

const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled']);

/** One run: status, facts, live log, diff, cancel, promote, fan-out siblings. */
export function RunPage() {
  const { runId = '' } = useParams();
  const [detail, setDetail] = useState<RunDetailResponse>();
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [announce, setAnnounce] = useState('');

  const load = useCallback(async () => {
    try {
      setDetail(await api.getRun(runId));
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  }, [runId]);

  useEffect(() => {
    setDetail(undefined);
    void load();
  }, [load]);

  const onStatus = useCallback(
    (data: string) => {
      const run = RunView.parse(JSON.parse(data));
      setDetail((d) => (d ? { ...d, run } : d));
      setAnnounce(`Status: ${run.status}`);
      void load(); // timeline, summary and artifacts change with the status
    },
    [load],
  );

  async function cancel() {
    setActionError(undefined);
    try {
      const res = await api.cancel(runId);
      setDetail((d) => (d ? { ...d, run: res.run } : d));
      setAnnounce(res.outcome === 'cancelled' ? 'Run cancelled' : 'Cancel requested');
    } catch (err) {
      setActionError(err);
    }
  }

  if (error instanceof ApiError && error.status === 404) {
    return (
      <section aria-labelledby="run-title">
        <h1 id="run-title">Run not found</h1>
        <p>
          No run <span className="mono">{runId}</span>. <Link to="/runs">All runs</Link>
        </p>
      </section>
    );
  }
  if (!detail) return error ? <ErrorNote error={error} /> : <p role="status">Loading run…</p>;

  const { run, siblings } = detail;
  const terminal = TERMINAL.has(run.status);
  return (
    <article aria-labelledby="run-title" className="run">
      <div className="page-head">
        <h1 id="run-title" className="mono">
          {run.runId}
        </h1>
        <StatusBadge status={run.status} />
        <span className="muted">created {formatTime(run.createdAt)}</span>
        {!terminal ? (
          <button type="button" className="danger" onClick={() => void cancel()} disabled={!!run.cancelRequestedAt}>
            {run.cancelRequestedAt ? 'Cancel requested' : 'Cancel run'}
          </button>
        ) : null}
      </div>
      <p className="sr-only" aria-live="polite" data-testid="status-live">
        {announce}
      </p>
      <ErrorNote error={actionError} />
      <RunFacts detail={detail} />
      {siblings.length > 0 ? (
        <section aria-labelledby="siblings-title">
          <h2 id="siblings-title">Fan-out siblings</h2>
          <ul className="siblings">
            {[run, ...siblings].map((s) => (
              <li key={s.runId} className={s.runId === run.runId ? 'card current' : 'card'}>
                <Link to={`/runs/${s.runId}`} aria-current={s.runId === run.runId ? 'page' : undefined}>
                  {s.agent}
                </Link>{' '}
                <StatusBadge status={s.status} />
                <div className="muted small">
                  {s.summary ? `${s.summary.filesChanged} files +${s.summary.insertions} −${s.summary.deletions}` : s.runId}
                </div>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <LogView key={run.runId} runId={run.runId} onStatus={onStatus} onEnd={() => void load()} />
      <DiffView runId={run.runId} reloadKey={`${run.status}-${run.artifacts?.length ?? 0}`} />
      {run.status === 'succeeded' ? <PromoteForm runId={run.runId} onDone={() => void load()} /> : null}
      {run.promotion ? (
        <section aria-labelledby="promotion-title" className="card">
          <h2 id="promotion-title">Promotion</h2>
          <p>
            {run.promotion.status}: branch <span className="mono">{run.promotion.branch}</span>
            {run.promotion.commitSha ? (
              <>
                {' '}
                at <span className="mono">{run.promotion.commitSha.slice(0, 12)}</span>
              </>
            ) : null}
          </p>
          {run.promotion.error ? <p className="error">{run.promotion.error.message}</p> : null}
        </section>
      ) : null}
    </article>
  );
}
