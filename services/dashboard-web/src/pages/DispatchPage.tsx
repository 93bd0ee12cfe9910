import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { AGENTS, api, DispatchRequest } from '../api/client.js';
import { ErrorNote } from '../components/ErrorNote.js';

function list(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Dispatch one run per chosen agent; a single run opens its page, a fan-out the runs list. */
export function DispatchPage() {
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    const timeout = text('timeoutSeconds');
    const parsed = DispatchRequest.safeParse({
      repo: text('repo'),
      ...(text('ref') ? { ref: text('ref') } : {}),
      agents: f.getAll('agents').map(String),
      task: String(f.get('task') ?? ''),
      ...(text('model') ? { model: text('model') } : {}),
      ...(timeout ? { timeoutSeconds: Number(timeout) } : {}),
      ...(text('tags') ? { tags: list(text('tags')) } : {}),
    });
    if (!parsed.success) {
      setError(new Error(parsed.error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; ')));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const { runs } = await api.dispatch(parsed.data);
      const only = runs.length === 1 ? runs[0] : undefined;
      void navigate(only ? `/runs/${only.runId}` : '/runs');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="dispatch-title" className="card narrow-wide">
      <h1 id="dispatch-title">Dispatch a run</h1>
      <form onSubmit={(e) => void submit(e)} className="stack" noValidate>
        <label htmlFor="repo">Repository (URL or path)</label>
        <input id="repo" name="repo" required />
        <label htmlFor="ref">Ref (optional)</label>
        <input id="ref" name="ref" placeholder="main" />
        <fieldset>
          <legend>Agents (one run each)</legend>
          <div className="checks">
            {AGENTS.map((a) => (
              <label key={a} className="inline">
                <input type="checkbox" name="agents" value={a} /> {a}
              </label>
            ))}
          </div>
        </fieldset>
        <label htmlFor="task">Task</label>
        <textarea id="task" name="task" rows={6} required />
        <label htmlFor="model">Model (optional)</label>
        <input id="model" name="model" />
        <label htmlFor="timeout">Timeout in seconds (optional)</label>
        <input id="timeout" name="timeoutSeconds" type="number" min={1} inputMode="numeric" />
        <label htmlFor="tags">Tags (key=value, comma separated)</label>
        <input id="tags" name="tags" placeholder="ticket=ABC-12, team=web" />
        <div className="row">
          <button type="submit" disabled={busy}>
            {busy ? 'Dispatching…' : 'Dispatch'}
          </button>
          <Link to="/runs">Cancel</Link>
        </div>
      </form>
      <ErrorNote error={error} />
    </section>
  );
}
