import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, AGENTS, RUN_STATUSES, RunView, type RunFilters } from '../api/client.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { useEventSource } from '../components/useEventSource.js';
import { formatTags, formatTime } from '../components/format.js';

const FILTER_KEYS = ['status', 'agent', 'tag', 'repo'] as const;

function filtersOf(params: URLSearchParams): RunFilters {
  const f: RunFilters = {};
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/** Newest first, filtered by the query string, paged by cursor, kept live by /api/runs/events. */
export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const [runs, setRuns] = useState<RunView[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [announce, setAnnounce] = useState('');
  const key = params.toString();

  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    setError(undefined);
    api.listRuns(filtersOf(new URLSearchParams(key)), undefined, ctrl.signal).then(
      (page) => {
        setRuns(page.runs);
        setCursor(page.nextCursor);
        setLoading(false);
      },
      (err: unknown) => {
        if (!ctrl.signal.aborted) {
          setError(err);
          setLoading(false);
        }
      },
    );
    return () => ctrl.abort();
  }, [key]);

  const older = useCallback(async () => {
    if (!cursor) return;
    try {
      const page = await api.listRuns(filtersOf(params), cursor);
      setRuns((prev) => [...prev, ...page.runs]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    }
  }, [cursor, params]);

  useEventSource(api.paths.runEvents, {
    run: (data) => {
      const run = RunView.parse(JSON.parse(data));
      setRuns((prev) => {
        const i = prev.findIndex((r) => r.runId === run.runId);
        if (i >= 0) return prev.map((r, j) => (j === i ? run : r));
        const f = filtersOf(params);
        if (Object.keys(f).length > 0) return prev; // a new run may not match the filters: wait for a reload
        return [run, ...prev];
      });
      setAnnounce(`Run ${run.runId} is ${run.status}`);
    },
  });

  function applyFilters(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const k of FILTER_KEYS) {
      const v = String(form.get(k) ?? '').trim();
      if (v) next.set(k, v);
    }
    setParams(next);
  }

  const f = filtersOf(params);
  return (
    <section aria-labelledby="runs-title">
      <div className="page-head">
        <h1 id="runs-title">Runs</h1>
        <Link className="button" to="/dispatch">
          New run
        </Link>
      </div>
      <form className="filters" onSubmit={applyFilters} aria-label="Filter runs" key={key}>
        <label>
          Status
          <select name="status" defaultValue={f.status ?? ''}>
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Agent
          <select name="agent" defaultValue={f.agent ?? ''}>
            <option value="">any</option>
            {AGENTS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          Tag (key=value)
          <input name="tag" defaultValue={f.tag ?? ''} placeholder="team=web" />
        </label>
        <label>
          Repo
          <input name="repo" defaultValue={f.repo ?? ''} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <p className="sr-only" aria-live="polite">
        {announce}
      </p>
      <ErrorNote error={error} />
      {loading ? <p role="status">Loading runs…</p> : null}
      {!loading && runs.length === 0 ? <p>No runs.</p> : null}
      {runs.length > 0 ? (
        <div className="table-wrap">
          <table className="runs">
            <caption className="sr-only">Runs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Agent</th>
                <th scope="col">Repo</th>
                <th scope="col">Task</th>
                <th scope="col">Tags</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.runId} data-run-id={r.runId}>
                  <td>
                    <Link to={`/runs/${r.runId}`}>{r.runId}</Link>
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>{r.agent}</td>
                  <td className="ellipsis">{r.repo}</td>
                  <td className="ellipsis">{r.task ?? '(stored task)'}</td>
                  <td>{formatTags(r.tags)}</td>
                  <td>{formatTime(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {cursor ? (
        <button type="button" onClick={() => void older()}>
          Older
        </button>
      ) : null}
    </section>
  );
}
