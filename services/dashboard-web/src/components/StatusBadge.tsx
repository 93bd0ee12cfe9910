import type { RunStatus } from '../api/client.js';

/** Status as text plus a colour class (never colour alone). */
export function StatusBadge({ status }: { status: RunStatus }) {
  return <span className={`status status-${status}`}>{status.replace('_', ' ')}</span>;
}
