import { useEffect, useState } from 'react';
import { api, type FleetResponse } from '../api/client.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { FleetChart } from '../components/FleetChart.js';

const REFRESH_MS = 5000;

function usedOf(u: { used: number; limit: number | null }, fmt: (n: number) => string = String): string {
  return u.limit === null ? `${fmt(u.used)} (no limit)` : `${fmt(u.used)} of ${fmt(u.limit)}`;
}

/** Per-tier queues and workers, agents and versions, usage against limits, the last hour. */
export function FleetPage() {
  const [fleet, setFleet] = useState<FleetResponse>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    const ctrl = new AbortController();
    const load = () =>
      api.fleet(ctrl.signal).then(
        (f) => {
          setFleet(f);
          setError(undefined);
        },
        (err: unknown) => {
          if (!ctrl.signal.aborted) setError(err);
        },
      );
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      clearInterval(timer);
      ctrl.abort();
    };
  }, []);

  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet</h1>
      <ErrorNote error={error} />
      {!fleet ? <p role="status">Loading fleet…</p> : null}
      {fleet ? (
        <>
          <div className="table-wrap">
            <table data-testid="tiers">
              <caption>Tiers (refreshed every {REFRESH_MS / 1000} s)</caption>
              <thead>
                <tr>
                  <th scope="col">Tier</th>
                  <th scope="col">Queue depth</th>
                  <th scope="col">In flight</th>
                  <th scope="col">Oldest job</th>
                  <th scope="col">Workers running</th>
                  <th scope="col">Desired</th>
                  <th scope="col">Min</th>
                  <th scope="col">Max</th>
                </tr>
              </thead>
              <tbody>
                {fleet.tiers.map((t) => (
                  <tr key={t.tier} data-tier={t.tier}>
                    <th scope="row">{t.tier}</th>
                    <td>{t.queueDepth}</td>
                    <td>{t.inFlight}</td>
                    <td>{t.oldestJobAgeSeconds === null ? '—' : `${Math.round(t.oldestJobAgeSeconds)} s`}</td>
                    <td data-testid={`workers-running-${t.tier}`}>{t.workers.running}</td>
                    <td>{t.workers.desired}</td>
                    <td>{t.workers.min ?? '—'}</td>
                    <td>{t.workers.max ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="facts-grid">
            <section aria-labelledby="agents-title" className="card">
              <h2 id="agents-title">Agents</h2>
              <ul>
                {fleet.agents.map((a) => (
                  <li key={a.name}>
                    <strong>{a.name}</strong> {a.ready ? 'ready' : 'not ready'}
                    {a.versions.length > 0 ? <span className="mono small"> {a.versions.join(', ')}</span> : null}
                    {a.note ? <span className="muted small"> ({a.note})</span> : null}
                  </li>
                ))}
              </ul>
            </section>
            <section aria-labelledby="usage-title" className="card">
              <h2 id="usage-title">Usage ({fleet.usage.tier} tier)</h2>
              <dl className="facts">
                <dt>Active runs</dt>
                <dd>{usedOf(fleet.usage.activeRuns)}</dd>
                <dt>Runs today</dt>
                <dd>{usedOf(fleet.usage.runsToday)}</dd>
                <dt>Spend this month</dt>
                <dd>{usedOf(fleet.usage.spendThisMonthUsd, (n) => `$${n.toFixed(2)}`)}</dd>
                <dt>Longest timeout</dt>
                <dd>{fleet.usage.maxTimeoutSeconds} s</dd>
              </dl>
            </section>
          </div>
          <FleetChart points={fleet.history.points} />
        </>
      ) : null}
    </section>
  );
}
