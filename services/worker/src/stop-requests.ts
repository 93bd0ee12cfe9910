/** Where a request to stop the worker came from. */
export type StopSource = 'SIGTERM' | 'SIGINT' | 'parent exited';

/** What a stop request means: start the drain, nothing new, or exit at once. */
export type StopAction = 'drain' | 'ignore' | 'exit_now';

export interface StopRequestsOptions {
  /** @default Date.now */
  now?: () => number;
  /** A SIGINT this long after the first request is a person pressing Ctrl-C again. @default 2000 */
  repeatAfterMs?: number;
}

/**
 * Decides what each stop request means. The first starts the drain. One stop usually arrives more
 * than once: a stack stop signals the whole process group, then the supervisor (the dispatcher's
 * local scaler, the launcher) signals each child itself a few ms later, and a worker whose
 * supervisor exits also sees its IPC channel close. None of these may cut the drain short (that
 * would leave the run leased, to be retried from scratch with an attempt used): a supervisor that
 * will not wait sends SIGKILL after its own timeout. Only a SIGINT after a pause — Ctrl-C pressed
 * again — means "exit now", like the launcher's rule.
 */
export class StopRequests {
  private firstAt: number | undefined;

  constructor(private readonly o: StopRequestsOptions = {}) {}

  request(source: StopSource): StopAction {
    const now = (this.o.now ?? Date.now)();
    if (this.firstAt === undefined) {
      this.firstAt = now;
      return 'drain';
    }
    if (source === 'SIGINT' && now - this.firstAt >= (this.o.repeatAfterMs ?? 2000)) return 'exit_now';
    return 'ignore';
  }
}
