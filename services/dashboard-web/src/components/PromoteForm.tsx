import { useState, type FormEvent } from 'react';
import { api, type PromoteResponse } from '../api/client.js';
import { ErrorNote } from './ErrorNote.js';

/** Promote a finished run's change to a branch (or a pull request), and show what came back. */
export function PromoteForm({ runId, onDone }: { runId: string; onDone(): void }) {
  const [result, setResult] = useState<PromoteResponse>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => {
      const v = String(f.get(k) ?? '').trim();
      return v ? v : undefined;
    };
    const pr = f.get('mode') === 'pull_request';
    setBusy(true);
    setError(undefined);
    try {
      setResult(
        await api.promote(runId, {
          mode: pr ? 'pull_request' : 'branch',
          ...(text('branch') ? { branch: text('branch') } : {}),
          ...(pr && text('title') ? { title: text('title') } : {}),
          ...(pr && text('body') ? { body: text('body') } : {}),
          ...(pr && f.get('draft') ? { draft: true } : {}),
        }),
      );
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="promote-title" className="card">
      <h2 id="promote-title">Promote</h2>
      <form onSubmit={(e) => void submit(e)} className="stack">
        <label htmlFor="promote-branch">Branch</label>
        <input id="promote-branch" name="branch" placeholder={`outpost/${runId}`} />
        <fieldset>
          <legend>As</legend>
          <label className="inline">
            <input type="radio" name="mode" value="branch" defaultChecked /> a branch
          </label>
          <label className="inline">
            <input type="radio" name="mode" value="pull_request" /> a pull request
          </label>
        </fieldset>
        <label htmlFor="promote-title-input">Pull request title</label>
        <input id="promote-title-input" name="title" />
        <label htmlFor="promote-body">Pull request body</label>
        <textarea id="promote-body" name="body" rows={3} />
        <label className="inline">
          <input type="checkbox" name="draft" /> Draft
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Promoting…' : 'Promote'}
        </button>
      </form>
      <ErrorNote error={error} />
      {result ? (
        <div role="status" className="result" data-testid="promote-result">
          <p>
            Promotion {result.outcome}
            {result.recorded ? ' (already recorded)' : ''}: branch <span className="mono">{result.promotion.branch}</span>
            {result.promotion.commitSha ? (
              <>
                {' '}
                at commit <span className="mono">{result.promotion.commitSha}</span>
              </>
            ) : null}
          </p>
          {result.promotion.pullRequestUrl ? (
            <a href={result.promotion.pullRequestUrl} rel="noreferrer noopener" target="_blank">
              {result.promotion.draft ? 'Draft pull request' : 'Pull request'}
            </a>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
