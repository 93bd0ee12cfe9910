import { ApiError } from '../api/http.js';

/** An error as an alert (announced by screen readers), or nothing. */
export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const text =
    error instanceof ApiError ? `${error.message} (${error.status})` : error instanceof Error ? error.message : String(error);
  return (
    <p role="alert" className="error">
      {text}
    </p>
  );
}
