import { html, parse } from 'diff2html';
import { useEffect, useMemo, useState } from 'react';
import { api } from '../api/client.js';
import { ApiError } from '../api/http.js';
import { ErrorNote } from './ErrorNote.js';

/**
 * The run's patch as one collapsible diff per file, rendered by diff2html (which escapes the
 * patch text; its HTML has classes only, no inline style, so the CSP holds).
 */
export function DiffView({ runId, reloadKey }: { runId: string; reloadKey: string }) {
  const [patch, setPatch] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [sideBySide, setSideBySide] = useState(false);

  useEffect(() => {
    const ctrl = new AbortController();
    api.getPatch(runId, ctrl.signal).then(setPatch, (err: unknown) => {
      if (ctrl.signal.aborted) return;
      if (err instanceof ApiError && err.status === 404) setPatch(null);
      else setError(err);
    });
    return () => ctrl.abort();
  }, [runId, reloadKey]);

  const files = useMemo(() => (patch ? parse(patch) : []), [patch]);
  const format = sideBySide ? 'side-by-side' : 'line-by-line';

  return (
    <section aria-labelledby="diff-title" className="diff">
      <div className="log-head">
        <h2 id="diff-title">Diff</h2>
        <label className="inline">
          <input type="checkbox" checked={sideBySide} onChange={(e) => setSideBySide(e.target.checked)} /> Side by side
        </label>
        {patch ? (
          <a className="button" href={api.paths.runPatch(runId)} download={`${runId}.diff`}>
            Download patch
          </a>
        ) : null}
      </div>
      <ErrorNote error={error} />
      {patch === undefined && !error ? <p role="status">Loading diff…</p> : null}
      {patch === null ? <p>No patch (yet).</p> : null}
      {files.map((file, i) => {
        const name = file.newName === '/dev/null' ? file.oldName : file.newName;
        return (
          <details key={`${name}-${i}`} open className="diff-file">
            <summary>
              <span className="mono">{name}</span>{' '}
              <span className="plus">+{file.addedLines}</span> <span className="minus">−{file.deletedLines}</span>
            </summary>
            <div
              className="diff-body"
              // diff2html escapes the patch's content; this is its rendered HTML, not raw input.
              dangerouslySetInnerHTML={{ __html: html([file], { outputFormat: format, drawFileList: false, matching: 'lines' }) }}
            />
          </details>
        );
      })}
    </section>
  );
}
