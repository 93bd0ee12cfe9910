import { describe, expect, it } from '@jest/globals';
import { StopRequests, type StopSource } from '../src/stop-requests.js';

describe('StopRequests', () => {
  const at = (times: number[]) => {
    let i = 0;
    return new StopRequests({ now: () => times[i++]!, repeatAfterMs: 2000 });
  };

  it('starts the drain on the first request, whatever its source', () => {
    for (const source of ['SIGTERM', 'SIGINT', 'parent exited'] as StopSource[]) expect(at([0]).request(source)).toBe('drain');
  });

  it.each([
    ['the group SIGTERM, then the scaler’s SIGTERM 5 ms later', 'SIGTERM', 'SIGTERM', 5],
    ['Ctrl-C (group SIGINT), then the scaler’s SIGTERM', 'SIGINT', 'SIGTERM', 5],
    ['a SIGTERM repeated long after (a supervisor escalates with SIGKILL, not SIGTERM)', 'SIGTERM', 'SIGTERM', 60_000],
    ['the supervisor exiting during the drain', 'SIGTERM', 'parent exited', 60_000],
    ['one Ctrl-C seen twice at once', 'SIGINT', 'SIGINT', 5],
  ] as const)('ignores a repeat: %s', (_what, first, second, afterMs) => {
    const r = at([0, afterMs]);
    expect(r.request(first)).toBe('drain');
    expect(r.request(second)).toBe('ignore');
  });

  it('exits at once on a SIGINT after a pause (Ctrl-C pressed again)', () => {
    const r = at([0, 5, 2500]);
    expect(r.request('SIGINT')).toBe('drain');
    expect(r.request('SIGTERM')).toBe('ignore');
    expect(r.request('SIGINT')).toBe('exit_now');
  });
});
